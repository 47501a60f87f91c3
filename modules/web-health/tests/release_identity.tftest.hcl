# The release grammar shared with the release tag parser (platform/release) and every root: team, environment
# and release_version. Accepted edge cases plan; each rejected value is its own run.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  team            = "web"
  environment     = "dev"
  release_version = "1.4.0"
  artifacts_dir   = "tests/fixtures"
}

run "accepts_the_longest_team_and_version" {
  command = plan
  variables {
    team            = "web-platform"
    release_version = "1.0.0-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
  }
  assert {
    condition     = output.name == "webhealth-web-platform-dev-eu-west-1" && aws_dynamodb_table.alarms.tags["release_version"] == var.release_version
    error_message = "A 12-character team and a 128-character version are valid."
  }
}

run "accepts_the_shortest_team_and_prerelease_with_build" {
  command = plan
  variables {
    team            = "a1"
    environment     = "prod"
    release_version = "1.0.0-alpha-a.b-c.0A.1+build.1-aef.001"
  }
  assert {
    condition     = output.name == "webhealth-a1-prod-eu-west-1"
    error_message = "A 2-character team and semver pre-release and build identifiers (build parts may have leading zeros) are valid."
  }
}

run "accepts_local_and_zero_version" {
  command = plan
  variables {
    environment     = "local"
    release_version = "0.0.0"
  }
  assert {
    condition     = output.name == "webhealth-web-local-eu-west-1"
    error_message = "local and 0.0.0 are valid."
  }
}

run "rejects_one_character_team" {
  command = plan
  variables {
    team = "w"
  }
  expect_failures = [var.team]
}

run "rejects_thirteen_character_team" {
  command = plan
  variables {
    team = "web-platforms"
  }
  expect_failures = [var.team]
}

run "rejects_team_with_double_hyphen" {
  command = plan
  variables {
    team = "web--ops"
  }
  expect_failures = [var.team]
}

run "rejects_team_ending_with_hyphen" {
  command = plan
  variables {
    team = "web-"
  }
  expect_failures = [var.team]
}

run "rejects_team_starting_with_a_digit" {
  command = plan
  variables {
    team = "1web"
  }
  expect_failures = [var.team]
}

run "rejects_team_with_upper_case_or_underscore" {
  command = plan
  variables {
    team = "Web_Team"
  }
  expect_failures = [var.team]
}

run "rejects_malformed_environment" {
  command = plan
  variables {
    environment = "eu-prod"
  }
  expect_failures = [var.environment]
}

run "rejects_environment_in_upper_case" {
  command = plan
  variables {
    environment = "Dev"
  }
  expect_failures = [var.environment]
}

run "rejects_version_with_leading_v" {
  command = plan
  variables {
    release_version = "v1.4.0"
  }
  expect_failures = [var.release_version]
}

run "accepts_version_without_patch" {
  command = plan
  variables {
    release_version = "1.4"
  }
  assert {
    condition     = aws_dynamodb_table.alarms.tags["release_version"] == "1.4"
    error_message = "The seed's MAJOR.MINOR release version is a valid release_version, recorded as it is."
  }
}

run "rejects_version_of_one_number" {
  command = plan
  variables {
    release_version = "1"
  }
  expect_failures = [var.release_version]
}

run "rejects_version_with_leading_zero" {
  command = plan
  variables {
    release_version = "01.4.0"
  }
  expect_failures = [var.release_version]
}

run "rejects_numeric_prerelease_with_leading_zero" {
  command = plan
  variables {
    release_version = "1.4.0-rc.01"
  }
  expect_failures = [var.release_version]
}

run "rejects_empty_prerelease_identifier" {
  command = plan
  variables {
    release_version = "1.4.0-rc..1"
  }
  expect_failures = [var.release_version]
}

run "rejects_empty_build" {
  command = plan
  variables {
    release_version = "1.4.0+"
  }
  expect_failures = [var.release_version]
}

run "rejects_version_longer_than_128" {
  command = plan
  variables {
    release_version = "1.0.0-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
  }
  expect_failures = [var.release_version]
}

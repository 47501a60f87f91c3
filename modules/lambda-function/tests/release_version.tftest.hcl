# release_version: MAJOR.MINOR or MAJOR.MINOR.PATCH with semver 2.0.0's pre-release and build, without a leading v,
# at most 128 characters (the release grammar shared with platform/release and every root). Accepted edge cases
# plan; each rejected value is its own run.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  function_name   = "wh-web-dev-eu-west-1-crawler"
  release_version = "1.2.3"
  zip_path        = "tests/fixtures/function.zip"
  log_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/0f8fad5b-d9cb-469f-a165-70867728950e"
  alarm_topic_arn = "arn:aws:sns:eu-west-1:123456789012:ops"
}

run "accepts_prerelease_and_build" {
  command = plan
  variables {
    release_version = "1.0.0-alpha-a.b-c.0A.1+build.1-aef.001"
  }
  assert {
    condition     = aws_lambda_function.this.description == "release 1.0.0-alpha-a.b-c.0A.1+build.1-aef.001" && aws_lambda_function.this.tags["function"] == var.function_name
    error_message = "A valid release version is recorded in the published version's description."
  }
}

run "accepts_128_characters" {
  command = plan
  variables {
    release_version = "1.0.0-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
  }
  assert {
    condition     = aws_lambda_function.this.description == "release 1.0.0-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" && aws_lambda_function.this.tags["function"] == var.function_name
    error_message = "A valid release version is recorded in the published version's description."
  }
}

run "rejects_leading_v" {
  command = plan
  variables {
    release_version = "v1.2.3"
  }
  expect_failures = [var.release_version]
}

run "accepts_major_minor" {
  command = plan
  variables {
    release_version = "1.0"
  }
  assert {
    condition     = aws_lambda_function.this.description == "release 1.0"
    error_message = "The seed's MAJOR.MINOR release version (dev_us-east-1/research/1.0) is recorded as it is."
  }
}

run "rejects_major_only" {
  command = plan
  variables {
    release_version = "1"
  }
  expect_failures = [var.release_version]
}

run "rejects_four_numbers" {
  command = plan
  variables {
    release_version = "1.2.3.4"
  }
  expect_failures = [var.release_version]
}

run "rejects_leading_zero" {
  command = plan
  variables {
    release_version = "1.02.3"
  }
  expect_failures = [var.release_version]
}

run "rejects_numeric_prerelease_with_leading_zero" {
  command = plan
  variables {
    release_version = "1.2.3-rc.01"
  }
  expect_failures = [var.release_version]
}

run "rejects_empty_build" {
  command = plan
  variables {
    release_version = "1.2.3+"
  }
  expect_failures = [var.release_version]
}

run "rejects_129_characters" {
  command = plan
  variables {
    release_version = "1.0.0-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
  }
  expect_failures = [var.release_version]
}

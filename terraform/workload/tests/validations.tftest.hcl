# One run per validation rule of this root (the release tag's parts, the provider settings and what an emulator
# cannot do). The grouped
# settings are validated in modules/web-health; its tests have their runs.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

# The state bucket holds the global root's state, whose outputs describe a one-region dev environment.
mock_provider "aws" {
  alias  = "state"
  source = "./tests/mocks/state"
}

mock_provider "terraform" {
  source = "./tests/mocks/global"
}

variables {
  environment     = "dev"
  region          = "eu-west-1"
  team            = "web"
  release_version = "1.4.0"
  artifacts_dir   = "tests/fixtures"
}

run "rejects_malformed_environment" {
  command = plan
  variables {
    environment = "eu-prod"
  }
  expect_failures = [var.environment]
}

# Which environments exist is the release flow's list (ENVIRONMENTS): this root takes any environment name.
run "accepts_an_environment_of_an_extended_list" {
  command = plan
  variables {
    environment = "staging"
  }
}

run "rejects_bad_region" {
  command = plan
  variables {
    region = "eu-west"
  }
  expect_failures = [var.region]
}

run "rejects_bad_team" {
  command = plan
  variables {
    team = "-web"
  }
  expect_failures = [var.team]
}

run "rejects_bad_release_version" {
  command = plan
  variables {
    release_version = "v1.4.0"
  }
  expect_failures = [var.release_version]
}

run "rejects_endpoint_that_is_not_a_url" {
  command = plan
  variables {
    aws_endpoint_url = "127.0.0.1:5000"
  }
  expect_failures = [var.aws_endpoint_url]
}

run "rejects_assume_role_that_is_not_a_role" {
  command = plan
  variables {
    assume_role_arn = "webhealth-deploy"
  }
  expect_failures = [var.assume_role_arn]
}

run "rejects_chatbot_channels_on_an_emulator" {
  command = plan
  variables {
    environment           = "local"
    allow_private_targets = true
    aws_endpoint_url      = "http://127.0.0.1:4566"
    notifications         = { slack_channels = [{ name = "ops", slack_team_id = "T07EA123LEP", slack_channel_id = "C07EZ1ABC23" }] }
  }
  expect_failures = [var.notifications]
}

run "rejects_global_state_key_of_a_region" {
  command = plan
  variables {
    global_state = { bucket = "webhealth-tfstate-dev", key = "web/dev-eu-west-1/terraform.tfstate", region = "eu-west-1" }
  }
  expect_failures = [var.global_state]
}

run "rejects_global_state_bucket_that_is_not_a_bucket" {
  command = plan
  variables {
    global_state = { bucket = "Webhealth_State", key = "web/dev-global/terraform.tfstate", region = "eu-west-1" }
  }
  expect_failures = [var.global_state]
}

run "rejects_global_state_endpoint_with_a_path" {
  command = plan
  variables {
    global_state = { bucket = "webhealth-tfstate-dev", key = "web/dev-global/terraform.tfstate", region = "eu-west-1", endpoint = "http://127.0.0.1:4566/s3" }
  }
  expect_failures = [var.global_state]
}

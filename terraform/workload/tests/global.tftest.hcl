# A regional stack reads its environment's global root (docs/design.md, "Multi-region"): its tables, regions and
# quorum reach the functions; without a global release, or outside the environment's regions, nothing is planned.
mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

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

run "the_global_outputs_reach_the_functions" {
  command = plan

  override_data {
    target = data.terraform_remote_state.global
    values = {
      outputs = {
        home_region       = "us-east-1"
        regions           = ["us-east-1", "eu-west-1", "ap-southeast-1"]
        quorum            = 2
        urls_table_name   = "webhealth-web-dev-urls"
        checks_table_name = "webhealth-web-dev-checks"
      }
    }
  }

  assert {
    condition     = data.aws_s3_objects.global_state.bucket == "webhealth-tfstate-dev" && data.aws_s3_objects.global_state.prefix == "web/dev-global/terraform.tfstate"
    error_message = "The global state is looked up where global_state says, in the state bucket."
  }

  assert {
    condition     = data.terraform_remote_state.global.backend == "s3" && data.terraform_remote_state.global.config.bucket == "webhealth-tfstate-dev" && data.terraform_remote_state.global.config.key == "web/dev-global/terraform.tfstate" && !data.terraform_remote_state.global.config.use_path_style
    error_message = "The global root's state is read from the s3 backend at global_state (no emulator settings on AWS)."
  }

  assert {
    condition     = output.urls_table == "webhealth-web-dev-urls"
    error_message = "The regional stack uses the environment's global target table."
  }
}

run "a_regional_release_before_the_global_one_names_the_tag" {
  command = plan

  override_data {
    target = data.aws_s3_objects.global_state
    values = { keys = [] }
  }

  expect_failures = [data.aws_s3_objects.global_state]
}

run "a_region_outside_the_environment_is_refused" {
  command = plan

  override_data {
    target = data.terraform_remote_state.global
    values = {
      outputs = {
        home_region       = "us-east-1"
        regions           = ["us-east-1", "ap-southeast-1"]
        quorum            = 2
        urls_table_name   = "webhealth-web-dev-urls"
        checks_table_name = "webhealth-web-dev-checks"
      }
    }
  }

  expect_failures = [data.terraform_remote_state.global]
}

run "on_an_emulator_the_state_is_read_there" {
  command = plan

  variables {
    environment      = "local"
    aws_endpoint_url = "http://127.0.0.1:4566"
    global_state     = { bucket = "webhealth-tfstate-local", key = "local/local-global/terraform.tfstate", region = "us-east-1", endpoint = "http://127.0.0.1:4566" }
  }

  override_data {
    target = data.aws_s3_objects.global_state
    values = { keys = ["local/local-global/terraform.tfstate"] }
  }

  assert {
    condition     = data.terraform_remote_state.global.config.endpoints == { s3 = "http://127.0.0.1:4566", sts = "http://127.0.0.1:4566" } && data.terraform_remote_state.global.config.use_path_style && data.terraform_remote_state.global.config.skip_credentials_validation
    error_message = "On an emulator the global state is read from its S3, path-style, without AWS's credential checks."
  }
}

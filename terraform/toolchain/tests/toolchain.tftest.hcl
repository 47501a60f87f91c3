# Mocked plan of the three toolchains (nothing in moto can emulate CodePipeline/CodeBuild/CodeConnections).

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "111122223333" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
}

variables {
  region     = "eu-west-1"
  repository = "example-org/webhealth"
  environments = {
    dev = {
      deployment_role_arn = "arn:aws:iam::222222222222:role/webhealth-deployer"
      readonly_role_arn   = "arn:aws:iam::222222222222:role/webhealth-reader"
      drift_releases      = [{ region = "eu-west-1", team = "web" }]
    }
    beta = {
      deployment_role_arn = "arn:aws:iam::333333333333:role/webhealth-deployer"
      readonly_role_arn   = "arn:aws:iam::333333333333:role/webhealth-reader"
    }
    prod = {
      deployment_role_arn = "arn:aws:iam::444444444444:role/webhealth-deployer"
      readonly_role_arn   = "arn:aws:iam::444444444444:role/webhealth-reader"
      notification_emails = ["oncall@example.com"]
      drift_releases = [
        { region = "eu-west-1", team = "web" },
        { region = "us-east-1", team = "web" },
      ]
    }
  }
}

run "three_pipelines_one_connection" {
  command = plan

  assert {
    condition     = keys(module.pipeline) == ["beta", "dev", "prod"]
    error_message = "one toolchain per configured environment"
  }
  assert {
    condition     = length(aws_codeconnections_connection.this) == 1 && aws_codeconnections_connection.this[0].provider_type == "GitHub"
    error_message = "the pipelines must share a single connection created by the root"
  }
  assert {
    condition     = alltrue([for env, p in module.pipeline : p.tag_pattern == "${env}_*"])
    error_message = "each pipeline must release only its own environment's tags"
  }
  assert {
    condition     = { for env, p in module.pipeline : env => p.approval_required } == { beta = false, dev = false, prod = true }
    error_message = "only prod requires a manual approval by default"
  }
  assert {
    condition     = { for env, p in module.pipeline : env => p.pipeline_name } == { beta = "webhealth-beta-release", dev = "webhealth-dev-release", prod = "webhealth-prod-release" }
    error_message = "pipelines must be named <prefix>-<env>-release"
  }
  assert {
    condition     = { for env, p in module.pipeline : env => length(p.drift_schedules) } == { beta = 0, dev = 1, prod = 2 }
    error_message = "each environment must schedule a drift check per configured release"
  }
  assert {
    condition     = output.pipelines["prod"].tag_pattern == "prod_*"
    error_message = "the pipelines output must describe each environment"
  }
}

run "existing_connection_is_shared" {
  command = plan

  variables {
    connection_arn = "arn:aws:codeconnections:eu-west-1:111122223333:connection/7b65fd00-061e-43c7-8d42-e55dd18843a3"
  }

  assert {
    condition     = length(aws_codeconnections_connection.this) == 0
    error_message = "no connection may be created when one is given"
  }
  assert {
    condition     = output.connection_arn == var.connection_arn
    error_message = "the given connection must be used by every pipeline"
  }
}

run "state_region_defaults_to_the_toolchain_region" {
  command = plan

  assert {
    condition     = { for env, p in output.pipelines : env => p.state_region } == { beta = "eu-west-1", dev = "eu-west-1", prod = "eu-west-1" }
    error_message = "without state_region the builds must use the toolchain's region for the state buckets"
  }
}

run "state_region_set_once_and_per_environment" {
  command = plan

  variables {
    state_region      = "eu-central-1"
    release_promotion = { prod = "dev" }
    environments = {
      dev = {
        deployment_role_arn = "arn:aws:iam::222222222222:role/webhealth-deployer"
        readonly_role_arn   = "arn:aws:iam::222222222222:role/webhealth-reader"
      }
      prod = {
        deployment_role_arn = "arn:aws:iam::444444444444:role/webhealth-deployer"
        readonly_role_arn   = "arn:aws:iam::444444444444:role/webhealth-reader"
        state_region        = "us-east-2"
        drift_releases      = [{ region = "eu-west-1", team = "web" }]
      }
    }
  }

  assert {
    condition     = { for env, p in output.pipelines : env => p.state_region } == { dev = "eu-central-1", prod = "us-east-2" }
    error_message = "state_region must reach every pipeline, an environment's own state_region winning"
  }
}

run "state_region_not_a_region_rejected" {
  command = plan

  variables {
    state_region = "eu-west"
  }

  expect_failures = [var.state_region]
}

run "environment_state_region_not_a_region_rejected" {
  command = plan

  variables {
    environments = {
      dev = {
        deployment_role_arn = "arn:aws:iam::222222222222:role/webhealth-deployer"
        readonly_role_arn   = "arn:aws:iam::222222222222:role/webhealth-reader"
        state_region        = "EU-WEST-1"
      }
    }
  }

  expect_failures = [var.environments]
}

run "unknown_environment_rejected" {
  command = plan

  variables {
    environments = {
      staging = { deployment_role_arn = "arn:aws:iam::222222222222:role/webhealth-deployer", readonly_role_arn = "arn:aws:iam::222222222222:role/webhealth-reader" }
    }
  }

  expect_failures = [var.environments]
}

run "prod_cannot_skip_approval" {
  command = plan

  variables {
    environments = {
      prod = {
        deployment_role_arn = "arn:aws:iam::444444444444:role/webhealth-deployer"
        readonly_role_arn   = "arn:aws:iam::444444444444:role/webhealth-reader"
        require_approval    = false
      }
    }
  }

  expect_failures = [var.environments]
}

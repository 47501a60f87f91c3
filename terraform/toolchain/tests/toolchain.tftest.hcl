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
      drift_releases      = [{ region = "eu-west-1", team = "web" }]
    }
    beta = {
      deployment_role_arn = "arn:aws:iam::333333333333:role/webhealth-deployer"
    }
    prod = {
      deployment_role_arn = "arn:aws:iam::444444444444:role/webhealth-deployer"
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

run "unknown_environment_rejected" {
  command = plan

  variables {
    environments = {
      staging = { deployment_role_arn = "arn:aws:iam::222222222222:role/webhealth-deployer" }
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
        require_approval    = false
      }
    }
  }

  expect_failures = [var.environments]
}

# Plan-level tests of the workload root with a mocked AWS provider: no credentials, no network, no backend
# (terraform test keeps state in memory).

mock_provider "aws" {
  override_during = plan

  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }

  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }

  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:eu-west-1:123456789012:key/0f8fad5b-d9cb-469f-a165-70867728950e" }
  }

  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:eu-west-1:123456789012:mocked" }
  }

  mock_resource "aws_sqs_queue" {
    defaults = { arn = "arn:aws:sqs:eu-west-1:123456789012:mocked" }
  }

  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mocked" }
  }
}

variables {
  environment     = "dev"
  region          = "eu-west-1"
  team            = "web"
  release_version = "1.4.0"
  artifacts_dir   = "tests/fixtures"
}

run "dev_release_outputs_the_contract" {
  command = plan

  assert {
    condition = output.function_names == {
      crawler     = "webhealth-web-dev-eu-west-1-crawler"
      alarmlogger = "webhealth-web-dev-eu-west-1-alarmlogger"
      urlapi      = "webhealth-web-dev-eu-west-1-urlapi"
    }
    error_message = "function_names maps crawler/alarmlogger/urlapi to names unique per team, environment and region."
  }

  assert {
    condition     = output.urls_table == "webhealth-web-dev-eu-west-1-urls" && output.alarms_table == "webhealth-web-dev-eu-west-1-alarms" && output.stage_name == "v1"
    error_message = "Table and stage outputs must be set."
  }

  assert {
    condition     = output.alarm_prefix == "webhealth-web-dev-eu-west-1-target" && output.metric_namespace == "WebHealth/webhealth-web-dev-eu-west-1"
    error_message = "alarm_prefix and metric_namespace follow docs/design.md."
  }

  assert {
    condition     = output.crawler_schedule_rule == "webhealth-web-dev-eu-west-1-crawl" && output.dashboard_name == "webhealth-web-dev-eu-west-1"
    error_message = "Rule and dashboard outputs must be set."
  }

  assert {
    condition     = output.codedeploy == null
    error_message = "Without enable_codedeploy there is no CodeDeploy output."
  }
}

run "local_stack_on_an_emulator" {
  command = plan

  variables {
    environment                 = "local"
    allow_private_targets       = true
    enable_codedeploy           = false
    crawler_schedule_expression = "rate(1 minute)"
    alarm_evaluation_periods    = 1
    alarm_datapoints_to_alarm   = 1
    deletion_protection         = false
    aws_endpoint_url            = "http://127.0.0.1:5000"
    lambda_architecture         = "x86_64"
  }

  assert {
    condition     = output.function_names["crawler"] == "webhealth-web-local-eu-west-1-crawler"
    error_message = "The local environment is named like any other."
  }
}

run "prod_with_canary" {
  command = plan

  variables {
    environment              = "prod"
    enable_codedeploy        = true
    canary_deployment_config = "CodeDeployDefault.LambdaCanary10Percent10Minutes"
    assume_role_arn          = "arn:aws:iam::123456789012:role/webhealth-deploy"
  }

  assert {
    condition     = output.codedeploy["crawler"].application == "webhealth-web-prod-eu-west-1-crawler" && output.codedeploy["alarmlogger"].deployment_group == "live" && output.codedeploy["urlapi"].application == "webhealth-web-prod-eu-west-1-urlapi"
    error_message = "With CodeDeploy every function has an application and a live deployment group for make deploy-lambdas."
  }
}

# One run per validation rule of the root.

run "rejects_unknown_environment" {
  command = plan
  variables {
    environment = "qa"
  }
  expect_failures = [var.environment]
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
    release_version = "latest"
  }
  expect_failures = [var.release_version]
}

run "rejects_empty_artifacts_dir" {
  command = plan
  variables {
    artifacts_dir = " "
  }
  expect_failures = [var.artifacts_dir]
}

run "rejects_unknown_architecture" {
  command = plan
  variables {
    lambda_architecture = "amd64"
  }
  expect_failures = [var.lambda_architecture]
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

run "rejects_private_targets_outside_local" {
  command = plan
  variables {
    environment           = "dev"
    allow_private_targets = true
  }
  expect_failures = [var.allow_private_targets]
}

run "rejects_bad_schedule" {
  command = plan
  variables {
    crawler_schedule_expression = "every minute"
  }
  expect_failures = [var.crawler_schedule_expression]
}

run "rejects_crawler_timeout_out_of_range" {
  command = plan
  variables {
    crawler_timeout_seconds = 901
  }
  expect_failures = [var.crawler_timeout_seconds]
}

run "rejects_bad_alarm_period" {
  command = plan
  variables {
    alarm_period_seconds = 61
  }
  expect_failures = [var.alarm_period_seconds]
}

run "rejects_bad_evaluation_periods" {
  command = plan
  variables {
    alarm_evaluation_periods = 0
  }
  expect_failures = [var.alarm_evaluation_periods]
}

run "rejects_datapoints_above_evaluation_periods" {
  command = plan
  variables {
    alarm_evaluation_periods  = 2
    alarm_datapoints_to_alarm = 3
  }
  expect_failures = [var.alarm_datapoints_to_alarm]
}

run "rejects_bad_alarm_retention" {
  command = plan
  variables {
    alarm_retention_days = 4000
  }
  expect_failures = [var.alarm_retention_days]
}

run "rejects_bad_log_retention" {
  command = plan
  variables {
    log_retention_days = 0
  }
  expect_failures = [var.log_retention_days]
}

run "rejects_bad_log_level" {
  command = plan
  variables {
    log_level = "info"
  }
  expect_failures = [var.log_level]
}

run "rejects_non_lambda_canary" {
  command = plan
  variables {
    canary_deployment_config = "CodeDeployDefault.AllAtOnce"
  }
  expect_failures = [var.canary_deployment_config]
}

run "rejects_bad_cors_origin" {
  command = plan
  variables {
    cors_allow_origins = ["example.com"]
  }
  expect_failures = [var.cors_allow_origins]
}

run "rejects_bad_usage_plan" {
  command = plan
  variables {
    usage_plan = { rate_limit = 10, burst_limit = 0, quota_limit = 100, quota_period = "DAY" }
  }
  expect_failures = [var.usage_plan]
}

# The per-environment settings in envs/<env>.tfvars, checked with a mocked AWS provider.
# Run once per file (make tf-test does this):
#   terraform test -test-directory=tests/envs -var-file=envs/<env>.tfvars
# Only what the release tag supplies is set here, so the file's values are the ones under test.

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
  region          = "eu-west-1"
  team            = "web"
  release_version = "1.4.0"
  artifacts_dir   = "tests/fixtures"
}

run "environment_settings_are_consistent" {
  command = plan

  assert {
    condition     = var.enable_codedeploy == contains(["beta", "prod"], var.environment) && (output.codedeploy != null) == var.enable_codedeploy
    error_message = "CodeDeploy canaries run exactly in beta and prod (local cannot, dev releases directly)."
  }

  assert {
    condition     = var.deletion_protection == contains(["beta", "prod"], var.environment)
    error_message = "Tables of beta and prod are deletion-protected; local and dev are throw-away."
  }

  assert {
    condition     = var.allow_private_targets == (var.environment == "local")
    error_message = "Private targets are allowed on the local stack only."
  }

  assert {
    condition = var.crawler_timeout_seconds <= (
      can(regex("^rate\\(", var.crawler_schedule_expression))
      ? tonumber(regex("^rate\\(([0-9]+) ", var.crawler_schedule_expression)[0]) * lookup({ minute = 60, minutes = 60, hour = 3600, hours = 3600, day = 86400, days = 86400 }, regex(" ([a-z]+)\\)$", var.crawler_schedule_expression)[0], 60)
      : 900
    )
    error_message = "A crawl must end before the next one starts: crawler_timeout_seconds <= the schedule interval."
  }

  assert {
    condition     = var.alarm_datapoints_to_alarm <= var.alarm_evaluation_periods && var.alarm_retention_days >= 1
    error_message = "Alarm settings must be coherent."
  }

  assert {
    condition     = output.function_names["crawler"] == "webhealth-web-${var.environment}-eu-west-1-crawler"
    error_message = "The environment's stack plans with the names of docs/design.md."
  }
}

# One run per validation rule: each feeds one rejected value and expects exactly that variable to fail.
# (team, environment and release_version, the release grammar, are in release_identity.tftest.hcl.)

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

run "rejects_long_name_prefix" {
  command = plan
  variables {
    name_prefix = "webhealthmonitor"
  }
  expect_failures = [var.name_prefix]
}

run "rejects_artifacts_dir_with_trailing_slash" {
  command = plan
  variables {
    artifacts_dir = "tests/fixtures/"
  }
  expect_failures = [var.artifacts_dir]
}

run "rejects_unknown_architecture" {
  command = plan
  variables {
    lambda_architecture = "arm"
  }
  expect_failures = [var.lambda_architecture]
}

run "rejects_private_targets_outside_local" {
  command = plan
  variables {
    environment           = "prod"
    allow_private_targets = true
  }
  expect_failures = [var.allow_private_targets]
}

run "rejects_crawler_schedule" {
  command = plan
  variables {
    crawler = { schedule_expression = "rate(1 minutes)" }
  }
  expect_failures = [var.crawler]
}

run "rejects_crawler_timeout_out_of_range" {
  command = plan
  variables {
    crawler = { timeout_seconds = 10 }
  }
  expect_failures = [var.crawler]
}

run "rejects_crawler_memory_out_of_range" {
  command = plan
  variables {
    crawler = { memory_mb = 64 }
  }
  expect_failures = [var.crawler]
}

run "rejects_crawler_concurrency_out_of_range" {
  command = plan
  variables {
    crawler = { concurrency = 257 }
  }
  expect_failures = [var.crawler]
}

run "rejects_crawler_reserved_concurrency_out_of_range" {
  command = plan
  variables {
    crawler = { reserved_concurrency = 0 }
  }
  expect_failures = [var.crawler]
}

run "rejects_crawler_deadline_margin_not_in_go_form" {
  command = plan
  variables {
    crawler = { deadline_margin = "5 seconds" }
  }
  expect_failures = [var.crawler]
}

run "rejects_crawler_max_body_bytes_out_of_range" {
  command = plan
  variables {
    crawler = { max_body_bytes = 512 }
  }
  expect_failures = [var.crawler]
}

run "rejects_crawler_max_redirects_out_of_range" {
  command = plan
  variables {
    crawler = { max_redirects = 50 }
  }
  expect_failures = [var.crawler]
}

run "rejects_crawler_retry_delay_not_in_go_form" {
  command = plan
  variables {
    crawler = { retry_delay = "half a second" }
  }
  expect_failures = [var.crawler]
}

run "rejects_alarm_period" {
  command = plan
  variables {
    alarms = { period_seconds = 45 }
  }
  expect_failures = [var.alarms]
}

run "rejects_alarm_evaluation_periods" {
  command = plan
  variables {
    alarms = { evaluation_periods = 1441, datapoints_to_alarm = 1 }
  }
  expect_failures = [var.alarms]
}

run "rejects_datapoints_above_evaluation_periods" {
  command = plan
  variables {
    alarms = { evaluation_periods = 1, datapoints_to_alarm = 2 }
  }
  expect_failures = [var.alarms]
}

run "rejects_alarm_retention" {
  command = plan
  variables {
    alarms = { retention_days = 0 }
  }
  expect_failures = [var.alarms]
}

run "rejects_stage_name" {
  command = plan
  variables {
    api = { stage_name = "v1-beta" }
  }
  expect_failures = [var.api]
}

run "rejects_cors_origin_with_path" {
  command = plan
  variables {
    api = { cors_allow_origins = ["https://app.example.com/path"] }
  }
  expect_failures = [var.api]
}

run "rejects_api_logging_level" {
  command = plan
  variables {
    api = { logging_level = "DEBUG" }
  }
  expect_failures = [var.api]
}

run "rejects_api_throttle" {
  command = plan
  variables {
    api = { throttle = { rate_limit = 0 } }
  }
  expect_failures = [var.api]
}

run "rejects_usage_plan_limits" {
  command = plan
  variables {
    api = { usage_plan = { quota_limit = 0 } }
  }
  expect_failures = [var.api]
}

run "rejects_usage_plan_period" {
  command = plan
  variables {
    api = { usage_plan = { quota_period = "YEAR" } }
  }
  expect_failures = [var.api]
}

run "rejects_log_level" {
  command = plan
  variables {
    logging = { level = "TRACE" }
  }
  expect_failures = [var.logging]
}

run "rejects_log_retention" {
  command = plan
  variables {
    logging = { retention_days = 2 }
  }
  expect_failures = [var.logging]
}

run "rejects_non_lambda_deployment_config" {
  command = plan
  variables {
    deployment = { codedeploy_config = "CodeDeployDefault.OneAtATime" }
  }
  expect_failures = [var.deployment]
}

run "rejects_kms_deletion_window" {
  command = plan
  variables {
    data_protection = { kms_deletion_window_days = 31 }
  }
  expect_failures = [var.data_protection]
}

run "rejects_cert_expiry_days_out_of_range" {
  command = plan
  variables {
    alarms = { cert_expiry_days = 0 }
  }
  expect_failures = [var.alarms]
}

# Alarms that can fire: the per-target period against the crawl interval, preconditions of the schedule rule
# (not validations of var.alarms, so a bad crawler setting never hides a bad alarms setting).

run "rejects_alarm_period_shorter_than_the_crawl_interval" {
  command = plan
  variables {
    crawler = { schedule_expression = "rate(5 minutes)" }
    alarms  = { period_seconds = 60 }
  }
  expect_failures = [aws_cloudwatch_event_rule.crawl]
}

run "rejects_cron_schedule_without_an_alarm_period" {
  command = plan
  variables {
    crawler = { schedule_expression = "cron(0/10 * * * ? *)" }
  }
  expect_failures = [aws_cloudwatch_event_rule.crawl]
}

run "rejects_crawl_interval_longer_than_a_day" {
  command = plan
  variables {
    crawler = { schedule_expression = "rate(2 days)" }
    alarms  = { evaluation_periods = 1, datapoints_to_alarm = 1 }
  }
  expect_failures = [aws_cloudwatch_event_rule.crawl]
}

run "rejects_derived_period_times_evaluation_periods_over_a_day" {
  command = plan
  variables {
    crawler = { schedule_expression = "rate(1 day)" }
  }
  expect_failures = [aws_cloudwatch_event_rule.crawl]
}

# notifications: one run per rule.

run "rejects_email_that_is_no_address" {
  command = plan
  variables {
    notifications = { emails = ["oncall@example"] }
  }
  expect_failures = [var.notifications]
}

run "rejects_email_listed_twice" {
  command = plan
  variables {
    notifications = { emails = ["oncall@example.com", "OnCall@example.com"] }
  }
  expect_failures = [var.notifications]
}

run "rejects_channel_name" {
  command = plan
  variables {
    notifications = { webhooks = [{ name = "Ops_Slack", format = "slack", ssm_parameter = "/webhealth/dev/ops-slack" }] }
  }
  expect_failures = [var.notifications]
}

run "rejects_channel_name_used_twice" {
  command = plan
  variables {
    notifications = {
      slack_channels = [{ name = "ops", slack_team_id = "T07EA123LEP", slack_channel_id = "C07EZ1ABC23" }]
      webhooks       = [{ name = "ops", format = "slack", ssm_parameter = "/webhealth/dev/ops-slack" }]
    }
  }
  expect_failures = [var.notifications]
}

run "rejects_slack_ids" {
  command = plan
  variables {
    notifications = { slack_channels = [{ name = "ops", slack_team_id = "W07EA123LEP", slack_channel_id = "C07EZ1ABC23" }] }
  }
  expect_failures = [var.notifications]
}

run "rejects_teams_channel_id_not_url_encoded" {
  command = plan
  variables {
    notifications = { teams_channels = [{ name = "ops", team_id = "74361522-da01-538d-aa2e-ac7918c6bb92", tenant_id = "0f8fad5b-d9cb-469f-a165-70867728950e", channel_id = "19:b2f1c0d9e8a7@thread.tacv2" }] }
  }
  expect_failures = [var.notifications]
}

run "rejects_more_than_20_webhooks" {
  command = plan
  variables {
    notifications = { webhooks = [for i in range(21) : { name = "hook-${i}", format = "json", ssm_parameter = "/webhealth/dev/hook-${i}" }] }
  }
  expect_failures = [var.notifications]
}

run "rejects_webhook_format" {
  command = plan
  variables {
    notifications = { webhooks = [{ name = "ops", format = "discord", ssm_parameter = "/webhealth/dev/ops" }] }
  }
  expect_failures = [var.notifications]
}

run "rejects_webhook_with_both_secret_references" {
  command = plan
  variables {
    notifications = { webhooks = [{ name = "ops", format = "json", ssm_parameter = "/webhealth/dev/ops", secret_id = "webhealth/dev/ops" }] }
  }
  expect_failures = [var.notifications]
}

run "rejects_webhook_without_a_secret_reference" {
  command = plan
  variables {
    notifications = { webhooks = [{ name = "ops", format = "json" }] }
  }
  expect_failures = [var.notifications]
}

run "rejects_ssm_parameter_that_is_no_full_name" {
  command = plan
  variables {
    notifications = { webhooks = [{ name = "ops", format = "json", ssm_parameter = "webhealth/dev/ops" }] }
  }
  expect_failures = [var.notifications]
}

run "rejects_ssm_parameter_under_aws" {
  command = plan
  variables {
    notifications = { webhooks = [{ name = "ops", format = "json", ssm_parameter = "/AWS/service/ops" }] }
  }
  expect_failures = [var.notifications]
}

run "rejects_secret_id" {
  command = plan
  variables {
    notifications = { webhooks = [{ name = "ops", format = "pagerduty", secret_id = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:pager" }] }
  }
  expect_failures = [var.notifications]
}

run "rejects_global_with_one_table_for_both" {
  command = plan
  variables {
    global = { urls_table_name = "webhealth-web-dev-urls", checks_table_name = "webhealth-web-dev-urls", home_region = "eu-west-1", regions = ["eu-west-1"], quorum = 1 }
  }
  expect_failures = [var.global]
}

run "rejects_global_region_that_is_not_a_region" {
  command = plan
  variables {
    global = { urls_table_name = "webhealth-web-dev-urls", checks_table_name = "webhealth-web-dev-checks", home_region = "eu-west-1", regions = ["eu-west-1", "EU-WEST-2"], quorum = 1 }
  }
  expect_failures = [var.global]
}

run "rejects_global_home_region_not_first" {
  command = plan
  variables {
    global = { urls_table_name = "webhealth-web-dev-urls", checks_table_name = "webhealth-web-dev-checks", home_region = "eu-west-1", regions = ["us-east-1", "eu-west-1"], quorum = 1 }
  }
  expect_failures = [var.global]
}

run "rejects_global_quorum_above_the_regions" {
  command = plan
  variables {
    global = { urls_table_name = "webhealth-web-dev-urls", checks_table_name = "webhealth-web-dev-checks", home_region = "eu-west-1", regions = ["eu-west-1", "us-east-1"], quorum = 3 }
  }
  expect_failures = [var.global]
}

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

# The grouped settings (crawler, alarms, api, logging, deployment, data_protection): their defaults, and every
# attribute reaching the resource it configures.

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

run "defaults_when_no_group_is_set" {
  command = plan

  assert {
    condition = (
      [for k in ["memory_size", "timeout", "architecture", "log_retention_days", "application_log_level"] : module.crawler.configuration[k]] == [256, 240, "arm64", 30, "INFO"]
      && module.crawler.configuration.reserved_concurrency == null && module.crawler.configuration.codedeploy_config == null
    )
    error_message = "The crawler defaults to 256 MB, 240 s, arm64, the unreserved pool, 30-day logs at INFO and no CodeDeploy."
  }

  assert {
    condition     = module.crawler.environment_variables["PHASE_METRICS"] == "true"
    error_message = "The crawler publishes the phase metrics (DNSLatency, ConnectLatency, TLSLatency, TTFB) by default."
  }

  assert {
    condition     = module.urlapi.configuration.memory_size == 256 && module.urlapi.configuration.timeout == 10 && module.alarmlogger.configuration.memory_size == 128 && module.alarmlogger.configuration.timeout == 30 && module.notifier.configuration.memory_size == 128 && module.notifier.configuration.timeout == 60
    error_message = "The urlapi (256 MB, 10 s), the alarmlogger (128 MB, 30 s) and the notifier (128 MB, 60 s) are fixed."
  }

  assert {
    condition     = aws_cloudwatch_event_rule.crawl.schedule_expression == "rate(5 minutes)" && aws_cloudwatch_event_rule.crawl.description == "Runs the webhealth crawler (rate(5 minutes))"
    error_message = "The crawler runs every 5 minutes by default."
  }

  assert {
    condition     = output.alarm_period_seconds == 300 && jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets[0].properties.period == 300 && module.alarmlogger.environment_variables["ALARM_RETENTION_DAYS"] == "90"
    error_message = "Alarms judge periods of one crawl interval (300 s for the default rate(5 minutes)) and their records are kept 90 days by default."
  }

  assert {
    condition     = module.crawler.environment_variables["CERT_EXPIRY_DAYS"] == "14"
    error_message = "Certificate alarms fire below 14 days left by default."
  }

  assert {
    condition     = aws_api_gateway_stage.this.stage_name == "v1" && one(aws_api_gateway_method_settings.all.settings).logging_level == "OFF" && one(aws_api_gateway_method_settings.all.settings).throttling_rate_limit == 50 && one(aws_api_gateway_method_settings.all.settings).throttling_burst_limit == 100
    error_message = "The API defaults to stage v1, no execution logging, 50 requests per second with bursts of 100."
  }

  assert {
    condition = [one(aws_api_gateway_usage_plan.this.throttle_settings).rate_limit, one(aws_api_gateway_usage_plan.this.throttle_settings).burst_limit,
    one(aws_api_gateway_usage_plan.this.quota_settings).limit, one(aws_api_gateway_usage_plan.this.quota_settings).period] == [20, 40, 200000, "MONTH"]
    error_message = "The usage plan defaults to 20 requests per second, bursts of 40 and 200000 a month."
  }

  assert {
    condition     = !contains(keys(module.urlapi.environment_variables), "CORS_ALLOW_ORIGINS") && length(aws_api_gateway_account.this) == 0
    error_message = "No CORS and no API Gateway account settings by default."
  }

  assert {
    condition     = aws_cloudwatch_log_group.api_access.retention_in_days == 30 && aws_kms_key.this.deletion_window_in_days == 30
    error_message = "Access logs are kept 30 days and a destroyed stack's key waits 30 days by default."
  }

  assert {
    condition     = aws_dynamodb_table.alarms.deletion_protection_enabled && output.codedeploy == null
    error_message = "Tables are deletion-protected and CodeDeploy is off by default."
  }
}

run "every_setting_reaches_its_resource" {
  command = plan

  variables {
    environment = "prod"
    crawler = {
      schedule_expression  = "cron(0/10 * * * ? *)"
      timeout_seconds      = 120
      memory_mb            = 512
      concurrency          = 32
      reserved_concurrency = 1
      deadline_margin      = "10s"
      max_body_bytes       = 2048
      max_redirects        = 2
      retry_delay          = "1s"
      phase_metrics        = false
    }
    alarms = { period_seconds = 600, evaluation_periods = 5, datapoints_to_alarm = 3, cert_expiry_days = 30, retention_days = 30 }
    api = {
      stage_name         = "v2"
      cors_allow_origins = ["https://app.example.com"]
      logging_level      = "ERROR"
      throttle           = { rate_limit = 5, burst_limit = 10 }
      usage_plan         = { rate_limit = 1, burst_limit = 2, quota_limit = 100, quota_period = "DAY" }
      manage_account     = true
    }
    logging         = { level = "WARN", retention_days = 7 }
    deployment      = { codedeploy = true, codedeploy_config = "CodeDeployDefault.LambdaLinear10PercentEvery1Minute" }
    data_protection = { deletion_protection = false, kms_deletion_window_days = 7 }
  }

  assert {
    condition = module.crawler.configuration == {
      memory_size           = 512
      timeout               = 120
      architecture          = "arm64"
      reserved_concurrency  = 1
      log_retention_days    = 7
      application_log_level = "WARN"
      codedeploy_config     = "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"

      async_maximum_retry_attempts    = 0
      async_maximum_event_age_seconds = 60
    }
    error_message = "crawler.memory_mb, timeout_seconds and reserved_concurrency, logging and deployment must reach the crawler function (whose asynchronous invocations are never retried)."
  }

  assert {
    condition     = alltrue([for m in [module.urlapi, module.alarmlogger, module.notifier] : m.configuration.log_retention_days == 7 && m.configuration.application_log_level == "WARN" && m.configuration.codedeploy_config == "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"])
    error_message = "The logging and deployment groups apply to every function."
  }

  assert {
    condition = { for k, v in module.crawler.environment_variables : k => v if contains(["CONCURRENCY", "DEADLINE_MARGIN", "MAX_BODY_BYTES", "MAX_REDIRECTS", "RETRY_DELAY", "ALARM_PERIOD_SECONDS", "ALARM_EVALUATION_PERIODS", "ALARM_DATAPOINTS_TO_ALARM", "CERT_EXPIRY_DAYS", "PHASE_METRICS"], k) } == {
      CONCURRENCY               = "32"
      DEADLINE_MARGIN           = "10s"
      MAX_BODY_BYTES            = "2048"
      MAX_REDIRECTS             = "2"
      RETRY_DELAY               = "1s"
      ALARM_PERIOD_SECONDS      = "600"
      ALARM_EVALUATION_PERIODS  = "5"
      ALARM_DATAPOINTS_TO_ALARM = "3"
      CERT_EXPIRY_DAYS          = "30"
      PHASE_METRICS             = "false"
    }
    error_message = "The crawler's probe, metric and alarm settings must reach its environment."
  }

  assert {
    condition     = aws_cloudwatch_event_rule.crawl.schedule_expression == "cron(0/10 * * * ? *)" && module.alarmlogger.environment_variables["ALARM_RETENTION_DAYS"] == "30"
    error_message = "crawler.schedule_expression must reach the rule and alarms.retention_days the alarmlogger."
  }

  assert {
    condition     = alltrue([for i in [0, 1, 2] : jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets[i].properties.period == 600])
    error_message = "The dashboard's per-target widgets use the alarm period."
  }

  assert {
    condition     = aws_api_gateway_stage.this.stage_name == "v2" && aws_lambda_permission.urlapi_from_api.source_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/v2/*" && module.urlapi.environment_variables["CORS_ALLOW_ORIGINS"] == "https://app.example.com"
    error_message = "api.stage_name must name the stage and scope the invoke permission; api.cors_allow_origins must reach the urlapi."
  }

  assert {
    condition     = one(aws_api_gateway_method_settings.all.settings).logging_level == "ERROR" && one(aws_api_gateway_method_settings.all.settings).throttling_rate_limit == 5 && one(aws_api_gateway_method_settings.all.settings).throttling_burst_limit == 10
    error_message = "api.logging_level and api.throttle must reach the stage's method settings."
  }

  assert {
    condition = [one(aws_api_gateway_usage_plan.this.throttle_settings).rate_limit, one(aws_api_gateway_usage_plan.this.throttle_settings).burst_limit,
    one(aws_api_gateway_usage_plan.this.quota_settings).limit, one(aws_api_gateway_usage_plan.this.quota_settings).period] == [1, 2, 100, "DAY"]
    error_message = "api.usage_plan must reach the usage plan."
  }

  assert {
    condition     = length(aws_api_gateway_account.this) == 1 && aws_cloudwatch_log_group.api_access.retention_in_days == 7
    error_message = "api.manage_account must manage the account settings; logging.retention_days applies to the access logs."
  }

  assert {
    condition     = !aws_dynamodb_table.alarms.deletion_protection_enabled && !aws_dynamodb_table.deliveries.deletion_protection_enabled && aws_kms_key.this.deletion_window_in_days == 7
    error_message = "data_protection must reach the stack's tables and key."
  }

  assert {
    condition     = output.codedeploy["crawler"].application == "webhealth-web-prod-eu-west-1-crawler" && output.codedeploy["urlapi"].deployment_group == "live" && output.codedeploy["notifier"].application == "webhealth-web-prod-eu-west-1-notifier"
    error_message = "With deployment.codedeploy every function gets a CodeDeploy application and deployment group."
  }
}

run "a_partial_group_keeps_the_other_defaults" {
  command = plan

  variables {
    crawler = { memory_mb = 1024 }
    api     = { throttle = { burst_limit = 200 } }
  }

  assert {
    condition     = module.crawler.configuration.memory_size == 1024 && module.crawler.configuration.timeout == 240 && module.crawler.environment_variables["CONCURRENCY"] == "16"
    error_message = "Attributes left out of a group keep their defaults."
  }

  assert {
    condition     = one(aws_api_gateway_method_settings.all.settings).throttling_burst_limit == 200 && one(aws_api_gateway_method_settings.all.settings).throttling_rate_limit == 50 && one(aws_api_gateway_usage_plan.this.quota_settings).limit == 200000
    error_message = "Nested attributes left out keep their defaults, and so do nested objects left out."
  }
}

run "null_attributes_take_the_defaults" {
  command = plan

  # What terraform/workload passes for attributes an envs/<env>.tfvars leaves out.
  variables {
    crawler       = { schedule_expression = null, timeout_seconds = null }
    alarms        = { period_seconds = null, cert_expiry_days = null }
    api           = { stage_name = null, throttle = null, usage_plan = { quota_period = null } }
    notifications = { emails = null, slack_channels = null, teams_channels = null, webhooks = null }
  }

  assert {
    condition     = module.crawler.environment_variables["ALARM_PERIOD_SECONDS"] == "300" && module.crawler.environment_variables["CERT_EXPIRY_DAYS"] == "14"
    error_message = "A null alarms.period_seconds is the crawl interval and a null cert_expiry_days its default 14."
  }

  assert {
    condition     = module.notifier.environment_variables["NOTIFY_CHANNELS"] == "[]" && length(aws_sns_topic_subscription.email) == 0 && length(aws_iam_role.chatbot) == 0
    error_message = "Null channel lists are empty: no webhook, no e-mail, no Chatbot."
  }

  assert {
    condition     = aws_cloudwatch_event_rule.crawl.schedule_expression == "rate(5 minutes)" && module.crawler.configuration.timeout == 240
    error_message = "A null attribute must take the module's default."
  }

  assert {
    condition     = aws_api_gateway_stage.this.stage_name == "v1" && one(aws_api_gateway_method_settings.all.settings).throttling_rate_limit == 50 && one(aws_api_gateway_usage_plan.this.quota_settings).period == "MONTH"
    error_message = "Null nested objects and attributes must take the module's defaults."
  }
}

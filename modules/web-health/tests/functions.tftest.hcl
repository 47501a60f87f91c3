# The functions' environments: exactly the variables docs/design.md lists.
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

run "function_environments_match_the_contract" {
  command = plan

  assert {
    condition = module.crawler.environment_variables == tomap({
      URLS_TABLE                = "webhealth-web-dev-urls"
      ALARM_TOPIC_ARN           = "arn:aws:sns:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-alarms"
      ALARM_PREFIX              = "webhealth-web-dev-eu-west-1-target"
      METRIC_NAMESPACE          = "WebHealth/webhealth-web-dev-eu-west-1"
      CONCURRENCY               = "16"
      DEADLINE_MARGIN           = "5s"
      ALLOW_PRIVATE_TARGETS     = "false"
      MAX_BODY_BYTES            = "1048576"
      MAX_REDIRECTS             = "5"
      RETRY_DELAY               = "500ms"
      ALARM_PERIOD_SECONDS      = "300"
      ALARM_EVALUATION_PERIODS  = "2"
      ALARM_DATAPOINTS_TO_ALARM = "2"
      CERT_EXPIRY_DAYS          = "14"
      PHASE_METRICS             = "true"
      MAX_SHARDS                = "100"
      SHARD_QUEUE_URL           = "https://sqs.eu-west-1.amazonaws.com/123456789012/webhealth-web-dev-eu-west-1-crawler-shards"
      HOME_REGION               = "eu-west-1"
      REGIONS                   = "eu-west-1"
      QUORUM                    = "1"
      STALE_AFTER_SECONDS       = "900"
    })
    error_message = "The crawler gets exactly the variables docs/design.md lists; its alarm period is the default schedule's interval (rate(5 minutes): 300 s), and with the default 100 shards it fans out through the shard queue."
  }

  assert {
    condition     = module.crawler_worker[0].environment_variables == module.crawler.environment_variables && output.function_environments["crawlworker"] == module.crawler.environment_variables
    error_message = "The shard worker runs with the crawler's environment (the shard queue and MAX_SHARDS included), and function_environments lists it."
  }

  assert {
    condition = module.urlapi.environment_variables == tomap({
      URLS_TABLE            = "webhealth-web-dev-urls"
      ALARMS_TABLE          = "webhealth-web-dev-eu-west-1-alarms"
      ALLOW_PRIVATE_TARGETS = "false"
      HOME_REGION           = "eu-west-1"
      REGIONS               = "eu-west-1"
      QUORUM                = "1"
      STALE_AFTER_SECONDS   = "900"
    })
    error_message = "The urlapi gets its tables and the private-target switch; no CORS variable when no origins are configured."
  }

  assert {
    condition = module.alarmlogger.environment_variables == tomap({
      URLS_TABLE           = "webhealth-web-dev-urls"
      ALARMS_TABLE         = "webhealth-web-dev-eu-west-1-alarms"
      ALARM_PREFIX         = "webhealth-web-dev-eu-west-1-target"
      ALARM_RETENTION_DAYS = "90"
    })
    error_message = "The alarmlogger gets its table, the URL table (to record whether the target was muted), the alarm prefix and the retention."
  }

  assert {
    condition = module.notifier.environment_variables == tomap({
      URLS_TABLE            = "webhealth-web-dev-urls"
      ALARMS_TABLE          = "webhealth-web-dev-eu-west-1-alarms"
      DELIVERIES_TABLE      = "webhealth-web-dev-eu-west-1-deliveries"
      ALARM_PREFIX          = "webhealth-web-dev-eu-west-1-target"
      NOTIFY_CHANNELS       = "[]"
      ALLOW_PRIVATE_TARGETS = "false"
      HOME_REGION           = "eu-west-1"
      REGIONS               = "eu-west-1"
      QUORUM                = "1"
      STALE_AFTER_SECONDS   = "900"
    })
    error_message = "The notifier gets its three tables, the alarm prefix, the private-target switch and an empty channel list without webhooks; no CONSOLE_URL in the standard partition."
  }
}

run "webhooks_become_the_notifiers_channels" {
  command = plan

  variables {
    notifications = {
      emails = ["oncall@example.com"]
      webhooks = [
        { name = "ops-slack", format = "slack", ssm_parameter = "/webhealth/dev/ops-slack" },
        { name = "pager", format = "pagerduty", secret_id = "webhealth/dev/pagerduty" },
      ]
    }
  }

  assert {
    condition = jsondecode(module.notifier.environment_variables["NOTIFY_CHANNELS"]) == [
      { name = "ops-slack", format = "slack", ssm_parameter = "/webhealth/dev/ops-slack" },
      { name = "pager", format = "pagerduty", secret_id = "webhealth/dev/pagerduty" },
    ]
    error_message = "NOTIFY_CHANNELS lists each webhook with its name, format and exactly the one of ssm_parameter and secret_id it names (no null for the other)."
  }

  assert {
    condition     = !strcontains(module.notifier.environment_variables["NOTIFY_CHANNELS"], "null") && !strcontains(module.notifier.environment_variables["NOTIFY_CHANNELS"], "oncall@")
    error_message = "NOTIFY_CHANNELS holds the webhooks only, never null attributes; e-mail goes through SNS."
  }
}

run "other_partitions_get_their_console" {
  command = plan

  override_data {
    target = data.aws_partition.current
    values = { partition = "aws-cn" }
  }

  assert {
    condition     = module.notifier.environment_variables["CONSOLE_URL"] == "https://console.amazonaws.cn"
    error_message = "In the aws-cn partition the notifier links to its console (CONSOLE_URL)."
  }
}

run "local_environment_allows_private_targets_and_cors" {
  command = plan

  variables {
    environment           = "local"
    allow_private_targets = true
    api                   = { cors_allow_origins = ["http://localhost:3000", "https://app.example.com"] }
  }

  assert {
    condition     = module.crawler.environment_variables["ALLOW_PRIVATE_TARGETS"] == "true" && module.urlapi.environment_variables["ALLOW_PRIVATE_TARGETS"] == "true"
    error_message = "Both the API and the crawler must see the private-target switch."
  }

  assert {
    condition     = module.urlapi.environment_variables["CORS_ALLOW_ORIGINS"] == "http://localhost:3000,https://app.example.com"
    error_message = "CORS origins are passed comma-separated."
  }
}

run "one_shard_is_no_fan_out" {
  command = plan

  variables {
    crawler = { max_shards = 1 }
  }

  assert {
    condition     = module.crawler.environment_variables["MAX_SHARDS"] == "1" && !contains(keys(module.crawler.environment_variables), "SHARD_QUEUE_URL")
    error_message = "With max_shards 1 the crawler gets MAX_SHARDS but no SHARD_QUEUE_URL, so every run judges all its targets itself."
  }

  assert {
    condition     = length(module.crawler_worker) == 0 && !contains(keys(output.function_environments), "crawlworker") && keys(output.function_names) == ["alarmlogger", "crawler", "notifier", "urlapi"]
    error_message = "With max_shards 1 there is no worker function."
  }
}

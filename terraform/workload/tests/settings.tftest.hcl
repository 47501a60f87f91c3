# The grouped settings pass through to modules/web-health unchanged; what a group leaves out gets the
# module's default (this root declares no defaults and no rules of its own for them).

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

run "groups_reach_the_module" {
  command = plan

  variables {
    environment           = "local"
    allow_private_targets = true
    crawler               = { schedule_expression = "rate(2 minutes)", timeout_seconds = 100, memory_mb = 512, reserved_concurrency = 1 }
    alarms                = { retention_days = 7, cert_expiry_days = 30 }
    notifications         = { emails = ["oncall@example.com"], webhooks = [{ name = "ops", format = "slack", secret_id = "webhealth/local/ops" }] }
    api                   = { stage_name = "v2", usage_plan = { quota_period = "DAY" } }
    logging               = { level = "DEBUG", retention_days = 1 }
    deployment            = { codedeploy = true, codedeploy_config = "CodeDeployDefault.LambdaAllAtOnce" }
    data_protection       = { deletion_protection = false }
  }

  assert {
    condition = (
      [for k in ["memory_size", "timeout", "reserved_concurrency", "log_retention_days", "application_log_level", "codedeploy_config"] : module.web_health.function_configurations["crawler"][k]]
      == [512, 100, 1, 1, "DEBUG", "CodeDeployDefault.LambdaAllAtOnce"]
    )
    error_message = "crawler, logging and deployment must reach the crawler function."
  }

  assert {
    condition     = output.stage_name == "v2" && output.codedeploy["urlapi"].deployment_group == "live"
    error_message = "api and deployment must reach the module."
  }

  assert {
    condition     = module.web_health.notification_channels.emails == tolist(["oncall@example.com"]) && module.web_health.notification_channels.webhooks == ["ops"] && output.alarm_period_seconds == 120
    error_message = "notifications must reach the module, and the alarm period follows the schedule (rate(2 minutes))."
  }
}

run "every_crawl_setting_reaches_the_module" {
  command = plan

  variables {
    crawler = {
      schedule_expression  = "rate(10 minutes)"
      timeout_seconds      = 300
      memory_mb            = 1024
      concurrency          = 64
      reserved_concurrency = 2
      deadline_margin      = "10s"
      max_body_bytes       = 65536
      max_redirects        = 2
      retry_delay          = "250ms"
      phase_metrics        = false
      max_shards           = 8
    }
  }

  assert {
    condition = (
      { for k, v in module.web_health.function_environments["crawler"] : k => v if contains(["CONCURRENCY", "DEADLINE_MARGIN", "MAX_BODY_BYTES", "MAX_REDIRECTS", "RETRY_DELAY", "PHASE_METRICS", "MAX_SHARDS"], k) }
      == { CONCURRENCY = "64", DEADLINE_MARGIN = "10s", MAX_BODY_BYTES = "65536", MAX_REDIRECTS = "2", RETRY_DELAY = "250ms", PHASE_METRICS = "false", MAX_SHARDS = "8" }
      && module.web_health.crawler_shard_mapping.maximum_concurrency == 8
    )
    error_message = "crawler.concurrency, deadline_margin, max_body_bytes, max_redirects, retry_delay, phase_metrics and max_shards must reach the crawler's environment (max_shards also the mapping's maximum concurrency)."
  }

  assert {
    condition = (
      [for k in ["memory_size", "timeout", "reserved_concurrency"] : module.web_health.function_configurations["crawler"][k]] == [1024, 300, 2]
      && output.alarm_period_seconds == 600
    )
    error_message = "crawler.memory_mb, timeout_seconds and reserved_concurrency must reach the crawler function, and schedule_expression the alarm period."
  }
}

run "left_out_attributes_take_the_module_defaults" {
  command = plan

  variables {
    crawler = { memory_mb = 512 }
  }

  assert {
    condition     = module.web_health.function_configurations["crawler"].memory_size == 512 && module.web_health.function_configurations["crawler"].timeout == 240 && module.web_health.function_configurations["crawler"].log_retention_days == 30
    error_message = "Attributes an envs file leaves out are null here and take modules/web-health's defaults."
  }

  assert {
    condition = (
      { for k, v in module.web_health.function_environments["crawler"] : k => v if contains(["CONCURRENCY", "DEADLINE_MARGIN", "MAX_BODY_BYTES", "MAX_REDIRECTS", "RETRY_DELAY", "PHASE_METRICS", "MAX_SHARDS"], k) }
      == { CONCURRENCY = "16", DEADLINE_MARGIN = "5s", MAX_BODY_BYTES = "1048576", MAX_REDIRECTS = "5", RETRY_DELAY = "500ms", PHASE_METRICS = "true", MAX_SHARDS = "100" }
      && module.web_health.function_configurations["crawler"].reserved_concurrency == null
    )
    error_message = "Crawl settings an envs file leaves out take modules/web-health's defaults (16 probes, 5s margin, 1 MiB bodies, 5 redirects, 500ms retry delay, phase metrics on, the unreserved pool)."
  }

  assert {
    condition     = output.stage_name == "v1" && output.codedeploy == null && module.web_health.function_configurations["urlapi"].application_log_level == "INFO"
    error_message = "Groups left out entirely take the module's defaults."
  }
}

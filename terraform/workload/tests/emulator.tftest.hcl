# aws_endpoint_url is the one emulator switch: with it the module's work-arounds are on and CodeDeploy is off,
# whatever the environment asks for; without it nothing changes.

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

run "on_aws_nothing_is_worked_around" {
  command = plan

  variables {
    environment = "prod"
    deployment  = { codedeploy = true }
  }

  assert {
    condition     = output.codedeploy != null && alltrue([for f in values(module.web_health.function_configurations) : f.application_log_level == "INFO" && f.codedeploy_config != null])
    error_message = "On AWS the functions keep their logging config and CodeDeploy runs when asked for."
  }

  assert {
    condition     = module.web_health.crawler_shard_mapping.enabled && module.web_health.function_configurations["crawlworker"].codedeploy_config != null
    error_message = "On AWS the shard queue's mapping is enabled (Lambda delivers the shards), and the worker's alias is shifted by CodeDeploy like the others'."
  }
}

run "on_an_emulator_codedeploy_is_off_and_the_work_arounds_on" {
  command = plan

  variables {
    environment      = "prod"
    deployment       = { codedeploy = true, codedeploy_config = "CodeDeployDefault.LambdaCanary10Percent10Minutes" }
    aws_endpoint_url = "http://127.0.0.1:4566"
  }

  assert {
    condition     = output.codedeploy == null && alltrue([for f in values(module.web_health.function_configurations) : f.codedeploy_config == null])
    error_message = "A prod release rehearsed on the emulator moves the aliases directly: no CodeDeploy there."
  }

  assert {
    condition     = alltrue([for f in values(module.web_health.function_configurations) : f.application_log_level == null])
    error_message = "On the emulator the functions get no logging config (emulator_compatibility.omit_lambda_logging_config)."
  }

  assert {
    condition     = module.web_health.crawler_shard_mapping.enabled == false && module.web_health.crawler_shard_mapping.batch_size == 1 && module.web_health.function_environments["crawlworker"]["SHARD_QUEUE_URL"] == output.crawler_shard_queue_url
    error_message = "On the emulator the shard mapping is created disabled (moto would run the worker in Docker; the local runtime delivers the queue itself), the worker and its queue as on AWS."
  }

  assert {
    condition     = module.web_health.crawler_shard_dlq_url != null && module.web_health.crawler_shard_queue_url != null
    error_message = "On the emulator the shard queue and DLQ exist (only the DLQ's redrive allow policy, which moto does not store, is left out)."
  }
}

run "on_an_emulator_webhooks_are_the_channels" {
  command = plan

  variables {
    environment           = "local"
    allow_private_targets = true
    aws_endpoint_url      = "http://127.0.0.1:4566"
    notifications         = { webhooks = [{ name = "local", format = "json", ssm_parameter = "/webhealth/local/notify-webhook" }] }
  }

  assert {
    condition     = module.web_health.notification_channels.webhooks == ["local"] && output.function_names["notifier"] == "webhealth-web-local-eu-west-1-notifier"
    error_message = "The local stack's webhook (make up NOTIFY_WEBHOOK_URL=...) reaches the notifier; SSM works on moto. (Slack and Teams are refused there: validations.tftest.hcl.)"
  }
}

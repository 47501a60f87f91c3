# aws_endpoint_url is the one emulator switch: with it the module's work-arounds are on and CodeDeploy is off,
# whatever the environment asks for; without it nothing changes.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
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

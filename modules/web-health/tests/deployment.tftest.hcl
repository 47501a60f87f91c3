# How new versions go live: CodeDeploy canaries (deployment.codedeploy) or the aliases moving at once.

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

run "codedeploy_canary_on" {
  command = plan

  variables {
    environment = "prod"
    deployment  = { codedeploy = true }
  }

  assert {
    condition     = output.codedeploy["crawler"].application == "webhealth-web-prod-eu-west-1-crawler" && output.codedeploy["urlapi"].deployment_group == "live" && output.codedeploy["alarmlogger"].application == "webhealth-web-prod-eu-west-1-alarmlogger"
    error_message = "Each function gets a CodeDeploy application and deployment group."
  }

  assert {
    condition     = alltrue([for m in [module.crawler, module.alarmlogger, module.urlapi, module.notifier] : m.configuration.codedeploy_config == "CodeDeployDefault.LambdaCanary10Percent5Minutes"])
    error_message = "The canary defaults to CodeDeployDefault.LambdaCanary10Percent5Minutes."
  }
}

run "codedeploy_off_by_default" {
  command = plan

  assert {
    condition     = output.codedeploy == null && alltrue([for m in [module.crawler, module.alarmlogger, module.urlapi, module.notifier] : m.codedeploy_app_name == null])
    error_message = "Without CodeDeploy there is no application and nothing to deploy after apply."
  }
}

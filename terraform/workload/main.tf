module "web_health" {
  source = "../../modules/web-health"

  team            = var.team
  environment     = var.environment
  release_version = var.release_version

  artifacts_dir         = var.artifacts_dir
  lambda_architecture   = var.lambda_architecture
  allow_private_targets = var.allow_private_targets
  cors_allow_origins    = var.cors_allow_origins

  crawler_schedule_expression = var.crawler_schedule_expression
  crawler_timeout_seconds     = var.crawler_timeout_seconds
  alarm_period_seconds        = var.alarm_period_seconds
  alarm_evaluation_periods    = var.alarm_evaluation_periods
  alarm_datapoints_to_alarm   = var.alarm_datapoints_to_alarm
  alarm_retention_days        = var.alarm_retention_days
  log_retention_days          = var.log_retention_days
  log_level                   = var.log_level

  deletion_protection = var.deletion_protection
  # The emulator has no working CodeDeploy, so rehearsing a beta/prod tag locally moves the aliases directly.
  enable_codedeploy         = var.enable_codedeploy && !local.emulated
  canary_deployment_config  = var.canary_deployment_config
  usage_plan                = var.usage_plan
  manage_apigateway_account = var.manage_apigateway_account
  kms_deletion_window_days  = var.environment == "local" ? 7 : 30

  # Emulator gaps (README "Applying to a local emulator"); never on AWS.
  emulator_compatibility = {
    omit_lambda_logging_config = local.emulated
    static_apigateway_tags     = local.emulated
  }
}

locals {
  # The one emulator switch: aws_endpoint_url set means a local emulator (moto), never AWS. It points the provider
  # there (providers.tf), turns on modules/web-health's emulator_compatibility work-arounds and turns CodeDeploy
  # off, which moto cannot run, so a beta or prod release rehearsed there moves the aliases directly. The crawler's
  # shard mapping is created disabled there: the local runtime delivers the shard queue to the worker itself.
  emulated = var.aws_endpoint_url != null

  emulator_compatibility = {
    omit_lambda_logging_config    = local.emulated
    static_apigateway_tags        = local.emulated
    disable_event_source_mappings = local.emulated
    omit_sqs_redrive_allow_policy = local.emulated
  }
}

module "web_health" {
  source = "../../modules/web-health"

  team            = var.team
  environment     = var.environment
  release_version = var.release_version

  artifacts_dir         = var.artifacts_dir
  lambda_architecture   = var.lambda_architecture
  allow_private_targets = var.allow_private_targets

  crawler         = var.crawler
  alarms          = var.alarms
  api             = var.api
  logging         = var.logging
  deployment      = local.emulated ? merge(var.deployment, { codedeploy = false }) : var.deployment
  data_protection = var.data_protection
  notifications   = var.notifications

  emulator_compatibility = local.emulator_compatibility
}

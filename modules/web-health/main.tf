data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # Unique per (team, environment, region) in one account; IAM role names (global) include the region.
  name = "${var.name_prefix}-${var.team}-${var.environment}-${local.region}"

  # The crawler owns the alarms with this prefix (it deletes those whose target is gone), so nothing else may use it.
  alarm_prefix     = "${local.name}-target"
  metric_namespace = "WebHealth/${local.name}"

  function_names = {
    crawler     = "${local.name}-crawler"
    alarmlogger = "${local.name}-alarmlogger"
    urlapi      = "${local.name}-urlapi"
  }

  tags = merge(var.tags, {
    project         = "webhealth"
    team            = var.team
    environment     = var.environment
    release_version = var.release_version
  })

  # API Gateway resources carry the release version too, except on an emulator that cannot retag them.
  apigateway_tags = var.emulator_compatibility.static_apigateway_tags ? { for k, v in local.tags : k => v if k != "release_version" } : local.tags

  arn_prefix = {
    logs       = "arn:${local.partition}:logs:${local.region}:${local.account_id}"
    cloudwatch = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}"
  }
}

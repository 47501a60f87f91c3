# The release toolchains of dev, beta and prod: one modules/pipeline per entry of var.environments, all
# watching the same repository. One connection serves the three pipelines, so the console handshake is done
# once; each pipeline only reacts to its own tags (<env>_*).

resource "aws_codeconnections_connection" "this" {
  count = var.source_type == "connection" && var.connection_arn == null ? 1 : 0

  name          = substr("${var.name_prefix}-${lower(var.connection_provider)}", 0, 32)
  provider_type = var.connection_provider
  tags          = var.tags
}

data "aws_caller_identity" "current" {}

locals {
  # Where the prior environment's pipeline records its releases (its release_snapshot_uri output: artifact
  # bucket <name_prefix>-<env>-artifacts-<account>-<region>, prefix releases/<env>). A module cannot take
  # another instance's output of the same for_each, so the name is derived here; tests/promotion.tftest.hcl
  # holds it to that output.
  prior_release_uris = {
    for env, prior in var.release_promotion : env => "s3://${var.name_prefix}-${prior}-artifacts-${data.aws_caller_identity.current.account_id}-${var.region}/releases/${prior}"
    if contains(keys(var.environments), env)
  }
  connection_arn = var.source_type == "connection" ? coalesce(var.connection_arn, one(aws_codeconnections_connection.this[*].arn)) : null
}

module "pipeline" {
  source   = "../../modules/pipeline"
  for_each = var.environments

  name_prefix          = var.name_prefix
  environment          = each.key
  release_environments = var.release_environments
  source_type          = var.source_type
  repository           = var.repository
  connection_arn       = local.connection_arn

  deployment_role_arn = each.value.deployment_role_arn
  readonly_role_arn   = each.value.readonly_role_arn
  source_branch       = var.release_branch
  release_promotion   = var.release_promotion
  prior_release_uri   = lookup(local.prior_release_uris, each.key, null)
  require_approval    = each.value.require_approval
  drift_releases      = each.value.drift_releases
  notification_emails = each.value.notification_emails
  lambda_architecture = each.value.lambda_architecture

  state_prefix              = var.state_prefix
  state_region              = coalesce(each.value.state_region, var.state_region, var.region)
  state_locking             = var.state_locking
  drift_schedule_expression = var.drift_schedule_expression
  tags                      = var.tags
}

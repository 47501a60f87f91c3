locals {
  # The one emulator switch: aws_endpoint_url set means a local emulator (moto), never AWS. It points the provider
  # there (providers.tf), turns on modules/web-health's emulator_compatibility work-arounds and turns CodeDeploy
  # off, which moto cannot run, so a beta or prod release rehearsed there moves the aliases directly. The crawler's
  # shard mapping is created disabled there: the local runtime delivers the shard queue to the worker itself.
  emulated = var.aws_endpoint_url != null

  # Where the global state is read (global_state.endpoint, set by the release flow with aws_endpoint_url): on an
  # emulator's S3, the aws.state provider and the remote state take its S3 settings.
  state_emulated = var.global_state.endpoint != null

  emulator_compatibility = {
    omit_lambda_logging_config    = local.emulated
    static_apigateway_tags        = local.emulated
    disable_event_source_mappings = local.emulated
    omit_sqs_redrive_allow_policy = local.emulated
  }
}

# The environment's global root (docs/design.md, "Multi-region"). terraform_remote_state fails on a missing key
# with a bare S3 error, so the key is looked up first and its absence named: the tag to push before this one.
data "aws_s3_objects" "global_state" {
  provider = aws.state
  bucket   = var.global_state.bucket
  prefix   = var.global_state.key
  max_keys = 1

  lifecycle {
    postcondition {
      condition     = contains(self.keys, var.global_state.key)
      error_message = "No global stack for ${var.environment}/${var.team} yet (no state at s3://${var.global_state.bucket}/${var.global_state.key}): release it first by pushing the tag ${var.environment}_global/${var.team}/<version> (terraform/global, regions in terraform/global/envs/${var.environment}.tfvars), then this tag again."
    }
  }
}

data "terraform_remote_state" "global" {
  backend = "s3"
  # On an emulator (global_state.endpoint) the backend settings the release flow's backend.hcl has there.
  config = {
    bucket                      = var.global_state.bucket
    key                         = var.global_state.key
    region                      = var.global_state.region
    endpoints                   = local.state_emulated ? { s3 = var.global_state.endpoint, sts = var.global_state.endpoint } : null
    use_path_style              = local.state_emulated
    skip_credentials_validation = local.state_emulated
    skip_requesting_account_id  = local.state_emulated
    skip_metadata_api_check     = local.state_emulated
    skip_region_validation      = local.state_emulated
    skip_s3_checksum            = local.state_emulated
  }

  depends_on = [data.aws_s3_objects.global_state]

  # The region must be one of the environment's: its replica of the global tables exists only then.
  lifecycle {
    postcondition {
      condition     = contains(self.outputs.regions, var.region)
      error_message = "Region ${var.region} is not one of ${var.environment}'s regions (${join(", ", self.outputs.regions)}): add it to terraform/global/envs/${var.environment}.tfvars and release ${var.environment}_global/${var.team}/<version> first."
    }
  }
}

locals {
  global = data.terraform_remote_state.global.outputs
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

  global = {
    urls_table_name   = local.global.urls_table_name
    checks_table_name = local.global.checks_table_name
    home_region       = local.global.home_region
    regions           = local.global.regions
    quorum            = local.global.quorum
  }

  emulator_compatibility = local.emulator_compatibility
}

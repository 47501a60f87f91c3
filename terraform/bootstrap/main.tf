module "state_backend" {
  source   = "../../modules/state-backend"
  for_each = var.environments

  prefix                             = var.state_prefix
  environment                        = each.key
  sse_algorithm                      = var.sse_algorithm
  deletion_protection                = each.value.deletion_protection
  noncurrent_version_expiration_days = each.value.noncurrent_version_expiration_days

  # Emulator work-arounds (modules/state-backend README "Local emulator"), on exactly when aws_endpoint_url is set.
  emulator_compatibility = {
    omit_tls_only_policy           = local.emulated
    omit_newer_noncurrent_versions = local.emulated
  }
}

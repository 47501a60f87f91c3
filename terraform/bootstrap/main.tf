module "state_backend" {
  source   = "../../modules/state-backend"
  for_each = var.environments

  prefix                             = var.state_prefix
  environment                        = each.key
  sse_algorithm                      = var.sse_algorithm
  deletion_protection                = each.value.deletion_protection
  noncurrent_version_expiration_days = each.value.noncurrent_version_expiration_days
  # moto ignores NewerNoncurrentVersions and the provider would wait forever for it: only on real AWS.
  noncurrent_versions_to_keep = local.emulated ? null : 10
  # moto serves plain HTTP and applies Deny statements without their conditions: the TLS-only policy would
  # lock everyone out of the bucket there. Always attached on AWS.
  deny_insecure_transport = !local.emulated
}

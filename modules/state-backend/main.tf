data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  bucket_name = "${var.prefix}-${var.environment}"
  table_name  = "${var.prefix}-lock-${var.environment}"

  use_kms     = var.sse_algorithm == "aws:kms"
  create_key  = local.use_kms && var.kms_key_arn == null
  kms_key_arn = local.use_kms ? (local.create_key ? aws_kms_key.state[0].arn : var.kms_key_arn) : null

  account_root = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"

  tags = merge(var.tags, { environment = var.environment, purpose = "terraform-state" })
}

locals {
  # Every KMS action the account's IAM policies may delegate, named one by one (no kms:*).
  kms_account_actions = [
    "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:CreateGrant", "kms:Decrypt", "kms:DeleteAlias", "kms:DescribeKey",
    "kms:DisableKey", "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation", "kms:Encrypt",
    "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus",
    "kms:ListAliases", "kms:ListGrants", "kms:ListKeyPolicies", "kms:ListKeyRotations", "kms:ListResourceTags",
    "kms:PutKeyPolicy", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:RetireGrant", "kms:RevokeGrant",
    "kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
  ]
}

resource "aws_kms_key" "state" {
  count = local.create_key ? 1 : 0

  description             = "Terraform state of ${var.environment} (${local.bucket_name}, ${local.table_name})"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days

  # The account's IAM policies decide who uses the key (the usual delegation), nothing else is granted.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AccountIAMPolicies"
      Effect    = "Allow"
      Principal = { AWS = local.account_root }
      Action    = local.kms_account_actions
      Resource  = "*"
    }]
  })

  tags = local.tags
}

resource "aws_kms_alias" "state" {
  count = local.create_key ? 1 : 0

  name          = "alias/${local.bucket_name}"
  target_key_id = aws_kms_key.state[0].key_id
}

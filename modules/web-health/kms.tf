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

  key_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        # The account's IAM policies decide which principals use the key (the functions' roles get it per service).
        Sid       = "AccountIAMPolicies"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = local.kms_account_actions
        Resource  = "*"
      },
      {
        # CloudWatch Logs encrypts this stack's log groups (and only those).
        Sid       = "CloudWatchLogsOfThisStack"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"]
        Resource  = "*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = [
              "${local.arn_prefix.logs}:log-group:/aws/lambda/${local.name}-*",
              "${local.arn_prefix.logs}:log-group:/aws/apigateway/${local.name}/*",
            ]
          }
        }
      },
      {
        # CloudWatch alarms publish to the encrypted topics. The AWS managed aws/sns key cannot be used for this
        # because its policy cannot be changed; which alarms may publish is decided by the topic policies.
        Sid       = "CloudWatchAlarmsPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = "*"
      },
    ]
  }
}

# One customer-managed key per stack: tables, log groups, topics, the failure queues and the shard queues (the
# functions use it through SQS and DynamoDB: local.use_key_statement; the account delegates to IAM, so no SQS grant).
resource "aws_kms_key" "this" {
  description             = "webhealth ${local.name}: tables, logs, topics, queue"
  enable_key_rotation     = true
  deletion_window_in_days = var.data_protection.kms_deletion_window_days
  policy                  = jsonencode(local.key_policy)
  tags                    = local.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.this.key_id
}

# Lock table for the DynamoDB locking of the S3 backend (deprecated from Terraform 1.11 in favour of
# use_lockfile, kept so older configurations and the transition period keep working).
resource "aws_dynamodb_table" "lock" {
  name         = local.table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "LockID"

  attribute {
    name = "LockID"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  # aws:kms: the state key; AES256: DynamoDB's default encryption with an AWS owned key.
  server_side_encryption {
    enabled     = local.use_kms
    kms_key_arn = local.kms_key_arn
  }

  deletion_protection_enabled = var.deletion_protection

  tags = local.tags
}

# Targets and their URL-uniqueness items (docs/design.md, "URL table").
resource "aws_dynamodb_table" "urls" {
  name         = "${local.name}-urls"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"

  attribute {
    name = "id"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }

  deletion_protection_enabled = var.data_protection.deletion_protection

  tags = local.tags
}

# Alarm history per target, newest first by sk, expired by TTL (docs/design.md, "Alarm table").
resource "aws_dynamodb_table" "alarms" {
  name         = "${local.name}-alarms"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "target_id"
  range_key    = "sk"

  attribute {
    name = "target_id"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }

  deletion_protection_enabled = var.data_protection.deletion_protection

  tags = local.tags
}

# The notifier's deliveries: one item per <SNS MessageId>#<channel>, so a redelivered message pages nobody
# twice; short-lived, expired by TTL (docs/design.md, "Deliveries table").
resource "aws_dynamodb_table" "deliveries" {
  name         = "${local.name}-deliveries"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"

  attribute {
    name = "id"
    type = "S"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }

  deletion_protection_enabled = var.data_protection.deletion_protection

  tags = local.tags
}

# The environment's target list and the regions' checks are terraform/global's global tables (docs/design.md,
# "Multi-region"): this stack reads its own region's replica of each, by name.
data "aws_dynamodb_table" "urls" {
  name = var.global.urls_table_name
}

data "aws_dynamodb_table" "checks" {
  name = var.global.checks_table_name
}

# The stack's own URL table before the global tables (release 1.x): forgotten, not destroyed, so its targets
# stay where they are until they are copied into the global table (docs/runbook.md, "Moving to the global tables").
removed {
  from = aws_dynamodb_table.urls

  lifecycle {
    destroy = false
  }
}

# This region's registration in the target list (docs/design.md, "Multi-region"): written by this stack only, read
# by the other regions' APIs to name this region's endpoint (the home region's, for a refused write).
resource "aws_dynamodb_table_item" "region" {
  table_name = data.aws_dynamodb_table.urls.name
  hash_key   = "id"
  item = jsonencode({
    id      = { S = "region#${local.region}" }
    kind    = { S = "region" }
    region  = { S = local.region }
    api_url = { S = aws_api_gateway_stage.this.invoke_url }
  })

  lifecycle {
    precondition {
      condition     = contains(var.global.regions, local.region)
      error_message = "This stack's region ${local.region} is not one of the environment's regions (global.regions: ${join(", ", var.global.regions)}): add it to terraform/global's envs/${var.environment}.tfvars and release the global stack first."
    }
  }
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

# What an environment's regions share (docs/design.md, "Multi-region"): the target list and the regions' checks
# as DynamoDB global tables (version 2019.11.21), in the home region with one replica in every other region.
locals {
  # The one emulator switch: aws_endpoint_url set means a local emulator (moto), never AWS.
  emulated = var.aws_endpoint_url != null

  emulator_compatibility = {
    # moto records no replica (README "Emulator"): the tables are created without replica blocks there and
    # tagged replica_regions instead, from which the local runtime (platform/localrun/replicate) creates the
    # other regions' tables and fills them from the streams.
    omit_replicas = local.emulated
  }

  home_region     = var.regions[0]
  other_regions   = slice(var.regions, 1, length(var.regions))
  replica_regions = local.emulator_compatibility.omit_replicas ? [] : local.other_regions

  # A majority of the regions unless the environment sets its own.
  quorum = var.quorum != null ? var.quorum : floor(length(var.regions) / 2) + 1

  # Unique per (team, environment) in one account: no region in the name, the same table in every region.
  name = "${var.name_prefix}-${var.team}-${var.environment}"

  tags = {
    project         = "webhealth"
    team            = var.team
    environment     = var.environment
    release_version = var.release_version
  }

  # On an emulator the replicas the tables would have, space-separated (docs/design.md, "Local stack").
  table_tags = merge(local.tags, local.emulator_compatibility.omit_replicas && length(local.other_regions) > 0 ? { replica_regions = join(" ", local.other_regions) } : {})
}

# Targets, URL-uniqueness items, region items and the crawlers' run leases (docs/design.md, "URL table"). Written
# in the home region only, except each region's own region and lease items.
resource "aws_dynamodb_table" "urls" {
  name         = "${local.name}-urls"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"

  attribute {
    name = "id"
    type = "S"
  }

  # A global table replicates through its stream; the local stack replays the same stream on the emulator.
  stream_enabled   = true
  stream_view_type = "NEW_AND_OLD_IMAGES"

  point_in_time_recovery {
    enabled = true
  }

  # The AWS managed key alias/aws/dynamodb of each region (no kms_key_arn): a customer key would be one key per
  # region, which this root's one provider cannot create for a list of regions.
  server_side_encryption {
    enabled = true
  }

  dynamic "replica" {
    for_each = local.replica_regions
    content {
      region_name            = replica.value
      point_in_time_recovery = true
      propagate_tags         = true
    }
  }

  deletion_protection_enabled = var.data_protection.deletion_protection

  tags = local.table_tags
}

# Each region's latest check of each target: (target_id, region), written only by that region's crawler, expired
# by TTL 7 days after the check so a deleted target's checks go away (docs/design.md, "Multi-region").
resource "aws_dynamodb_table" "checks" {
  name         = "${local.name}-checks"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "target_id"
  range_key    = "region"

  attribute {
    name = "target_id"
    type = "S"
  }

  attribute {
    name = "region"
    type = "S"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  stream_enabled   = true
  stream_view_type = "NEW_AND_OLD_IMAGES"

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }

  dynamic "replica" {
    for_each = local.replica_regions
    content {
      region_name            = replica.value
      point_in_time_recovery = true
      propagate_tags         = true
    }
  }

  deletion_protection_enabled = var.data_protection.deletion_protection

  tags = local.table_tags
}

# The stack's own tables of docs/design.md, and its place in the environment's global target table.
mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

override_resource {
  target          = aws_api_gateway_stage.this
  override_during = plan
  values          = { invoke_url = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/v1" }
}

variables {
  team            = "web"
  environment     = "dev"
  release_version = "1.4.0"
  artifacts_dir   = "tests/fixtures"
}

run "tables_match_the_design" {
  command = plan

  assert {
    condition     = data.aws_dynamodb_table.urls.name == "webhealth-web-dev-urls" && data.aws_dynamodb_table.checks.name == "webhealth-web-dev-checks"
    error_message = "The target list and the checks are terraform/global's tables, read by name (global)."
  }

  assert {
    condition = aws_dynamodb_table_item.region.table_name == "webhealth-web-dev-urls" && aws_dynamodb_table_item.region.hash_key == "id" && jsondecode(aws_dynamodb_table_item.region.item) == {
      id      = { S = "region#eu-west-1" }
      kind    = { S = "region" }
      region  = { S = "eu-west-1" }
      api_url = { S = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/v1" }
    }
    error_message = "The stack registers its region in the target list: region#<region>, kind region, its API's invoke URL (internal/store RegionItem)."
  }

  assert {
    condition     = aws_dynamodb_table.alarms.hash_key == "target_id" && aws_dynamodb_table.alarms.range_key == "sk" && aws_dynamodb_table.alarms.billing_mode == "PAY_PER_REQUEST"
    error_message = "The alarm table has hash key target_id and range key sk, on demand."
  }

  assert {
    condition     = one(aws_dynamodb_table.alarms.ttl).attribute_name == "expires_at" && one(aws_dynamodb_table.alarms.ttl).enabled
    error_message = "Alarm records expire by TTL on expires_at."
  }

  assert {
    condition     = aws_dynamodb_table.deliveries.hash_key == "id" && aws_dynamodb_table.deliveries.range_key == null && aws_dynamodb_table.deliveries.billing_mode == "PAY_PER_REQUEST" && one(aws_dynamodb_table.deliveries.ttl).attribute_name == "expires_at" && one(aws_dynamodb_table.deliveries.ttl).enabled
    error_message = "The deliveries table has hash key id (<SNS MessageId>#<channel>), on demand, expiring by TTL on expires_at."
  }

  assert {
    condition = alltrue([for t in [aws_dynamodb_table.alarms, aws_dynamodb_table.deliveries] :
      one(t.point_in_time_recovery).enabled && one(t.server_side_encryption).enabled &&
    one(t.server_side_encryption).kms_key_arn == aws_kms_key.this.arn && t.deletion_protection_enabled])
    error_message = "Every table has PITR, the stack's KMS key and (by default) deletion protection."
  }
}

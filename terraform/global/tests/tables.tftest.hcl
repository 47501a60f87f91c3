# The two global tables: names, keys, streams, encryption, point-in-time recovery, replicas, deletion protection
# and tags (docs/design.md, "Multi-region").

mock_provider "aws" {}

variables {
  environment     = "prod"
  team            = "web"
  release_version = "1.4.0"
  regions         = ["eu-west-1", "us-east-1", "ap-southeast-1"]
}

run "tables_are_named_per_team_and_environment" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.urls.name == "webhealth-web-prod-urls" && output.urls_table_name == "webhealth-web-prod-urls"
    error_message = "The target table is <name_prefix>-<team>-<env>-urls, with no region: the same name in every region."
  }

  assert {
    condition     = aws_dynamodb_table.checks.name == "webhealth-web-prod-checks" && output.checks_table_name == "webhealth-web-prod-checks"
    error_message = "The checks table is <name_prefix>-<team>-<env>-checks."
  }
}

run "the_target_table_has_the_url_table_schema" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.urls.hash_key == "id" && aws_dynamodb_table.urls.range_key == null && [for a in aws_dynamodb_table.urls.attribute : "${a.name}:${a.type}"] == ["id:S"]
    error_message = "The target table keeps the URL table's schema: hash key id (S), no range key."
  }

  assert {
    condition     = aws_dynamodb_table.urls.billing_mode == "PAY_PER_REQUEST"
    error_message = "The target table is on-demand (a global table's replicas need the same capacity mode)."
  }
}

run "the_checks_table_is_keyed_by_target_and_region" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.checks.hash_key == "target_id" && aws_dynamodb_table.checks.range_key == "region"
    error_message = "The checks table has hash key target_id and range key region: one item per target and region."
  }

  assert {
    condition     = toset([for a in aws_dynamodb_table.checks.attribute : "${a.name}:${a.type}"]) == toset(["target_id:S", "region:S"])
    error_message = "target_id and region are strings."
  }

  assert {
    condition     = one(aws_dynamodb_table.checks.ttl).enabled && one(aws_dynamodb_table.checks.ttl).attribute_name == "expires_at"
    error_message = "The checks expire by TTL on expires_at (a deleted target's checks go away)."
  }
}

run "both_tables_stream_encrypt_and_recover" {
  command = plan

  assert {
    condition = alltrue([for t in [aws_dynamodb_table.urls, aws_dynamodb_table.checks] :
    t.stream_enabled && t.stream_view_type == "NEW_AND_OLD_IMAGES"])
    error_message = "Both tables stream NEW_AND_OLD_IMAGES (a global table replicates through it)."
  }

  assert {
    condition = alltrue([for t in [aws_dynamodb_table.urls, aws_dynamodb_table.checks] :
    one(t.server_side_encryption).enabled])
    error_message = "Both tables are encrypted with a KMS key: SSE enabled (the AWS managed alias/aws/dynamodb, as main.tf sets no kms_key_arn)."
  }

  assert {
    condition = alltrue([for t in [aws_dynamodb_table.urls, aws_dynamodb_table.checks] :
    one(t.point_in_time_recovery).enabled])
    error_message = "Both home-region tables have point-in-time recovery."
  }
}

run "one_replica_per_region_after_the_home_region" {
  command = plan

  assert {
    condition = alltrue([for t in [aws_dynamodb_table.urls, aws_dynamodb_table.checks] :
    toset([for r in t.replica : r.region_name]) == toset(["us-east-1", "ap-southeast-1"])])
    error_message = "Each table has one replica in every region but the home region (eu-west-1)."
  }

  assert {
    condition = alltrue(flatten([for t in [aws_dynamodb_table.urls, aws_dynamodb_table.checks] :
    [for r in t.replica : r.point_in_time_recovery && r.propagate_tags]]))
    error_message = "Every replica has point-in-time recovery and the table's tags."
  }

  assert {
    condition     = output.home_region == "eu-west-1" && output.regions == tolist(["eu-west-1", "us-east-1", "ap-southeast-1"])
    error_message = "The home region is the first of the list; regions is the list as given."
  }
}

run "a_single_region_has_no_replica" {
  command = plan

  variables {
    regions = ["us-east-1"]
  }

  assert {
    condition     = length(aws_dynamodb_table.urls.replica) == 0 && length(aws_dynamodb_table.checks.replica) == 0
    error_message = "An environment of one region has tables without replicas."
  }

  assert {
    condition     = output.home_region == "us-east-1"
    error_message = "The only region is the home region."
  }
}

run "deletion_protection_is_on_by_default" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.urls.deletion_protection_enabled && aws_dynamodb_table.checks.deletion_protection_enabled
    error_message = "Without data_protection both tables are protected from deletion."
  }
}

run "deletion_protection_off_for_throw_away_environments" {
  command = plan

  variables {
    data_protection = { deletion_protection = false }
  }

  assert {
    condition     = !aws_dynamodb_table.urls.deletion_protection_enabled && !aws_dynamodb_table.checks.deletion_protection_enabled
    error_message = "data_protection.deletion_protection = false leaves both tables unprotected."
  }
}

run "tables_are_tagged_with_the_release" {
  command = plan

  variables {
    release_version = "1.0"
  }

  assert {
    condition = alltrue([for t in [aws_dynamodb_table.urls, aws_dynamodb_table.checks] :
    t.tags == tomap({ project = "webhealth", team = "web", environment = "prod", release_version = "1.0" })])
    error_message = "Both tables carry project, team, environment and release_version."
  }
}

run "name_prefix_names_the_tables" {
  command = plan

  variables {
    name_prefix = "wh2"
  }

  assert {
    condition     = output.urls_table_name == "wh2-web-prod-urls" && output.checks_table_name == "wh2-web-prod-checks"
    error_message = "name_prefix is the first part of both names."
  }
}

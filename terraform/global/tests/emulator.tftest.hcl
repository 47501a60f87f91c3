# What aws_endpoint_url switches: the provider's endpoints and the emulator work-around that leaves the replicas
# out (moto records no replica and the provider would wait for it for its whole create timeout; README "Emulator").

mock_provider "aws" {}

variables {
  environment      = "local"
  team             = "web"
  regions          = ["us-east-1", "eu-west-1"]
  aws_endpoint_url = "http://127.0.0.1:4566"
}

run "an_emulator_gets_tables_without_replicas" {
  command = plan

  assert {
    condition     = length(aws_dynamodb_table.urls.replica) == 0 && length(aws_dynamodb_table.checks.replica) == 0
    error_message = "On an emulator the tables have no replica blocks (the local stack replicates from the stream)."
  }

  assert {
    condition     = aws_dynamodb_table.urls.stream_enabled && aws_dynamodb_table.urls.stream_view_type == "NEW_AND_OLD_IMAGES" && aws_dynamodb_table.checks.stream_enabled
    error_message = "The streams stay on: the local stack replays them into the other regions' tables."
  }

  assert {
    condition     = aws_dynamodb_table.urls.tags["replica_regions"] == "eu-west-1" && aws_dynamodb_table.checks.tags["replica_regions"] == "eu-west-1"
    error_message = "On an emulator each table is tagged replica_regions, the regions after the home region (what the local runtime replicates into)."
  }

  assert {
    condition     = output.regions == tolist(["us-east-1", "eu-west-1"]) && output.home_region == "us-east-1" && output.quorum == 2
    error_message = "The regions, the home region and the quorum are the same with or without replicas."
  }
}

run "aws_gets_the_replicas" {
  command = plan

  variables {
    aws_endpoint_url = null
  }

  assert {
    condition     = [for r in aws_dynamodb_table.urls.replica : r.region_name] == ["eu-west-1"]
    error_message = "Without an emulator the tables have their replicas."
  }

  assert {
    condition     = !contains(keys(aws_dynamodb_table.urls.tags), "replica_regions")
    error_message = "On AWS the replicas are real: no replica_regions tag."
  }
}

run "an_emulator_tags_every_other_region" {
  command = plan

  variables {
    regions = ["us-east-1", "eu-west-1", "ap-southeast-1"]
  }

  assert {
    condition     = aws_dynamodb_table.urls.tags["replica_regions"] == "eu-west-1 ap-southeast-1"
    error_message = "replica_regions lists the other regions in order, space-separated."
  }
}

run "an_emulator_with_one_region_has_no_replica_tag" {
  command = plan

  variables {
    regions = ["us-east-1"]
  }

  assert {
    condition     = !contains(keys(aws_dynamodb_table.urls.tags), "replica_regions") && !contains(keys(aws_dynamodb_table.checks.tags), "replica_regions")
    error_message = "Without other regions there is nothing to replicate and no replica_regions tag."
  }
}

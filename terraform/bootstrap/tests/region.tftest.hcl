# region: the AWS region grammar shared with the release tag parser (platform/release) and every root.

mock_provider "aws" {
  override_during = plan

  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }

  mock_data "aws_partition" {
    defaults = { partition = "aws-us-gov" }
  }

  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/0f8fad5b-d9cb-469f-a165-70867728950e" }
  }
}

variables {
  region       = "us-gov-west-1"
  environments = { prod = {} }
}

run "accepts_a_partition_region" {
  command = plan

  assert {
    condition     = output.backends["prod"].bucket == "webhealth-tfstate-prod"
    error_message = "us-gov-west-1 is a region: the backends plan there."
  }
}

run "accepts_a_two_digit_region_number" {
  command = plan
  variables {
    region = "ap-southeast-10"
  }
  assert {
    condition     = output.backends["prod"].dynamodb_table == "webhealth-tfstate-lock-prod"
    error_message = "Region numbers run from 1 to 99."
  }
}

run "rejects_unknown_prefix" {
  command = plan
  variables {
    region = "xx-west-1"
  }
  expect_failures = [var.region]
}

run "rejects_unknown_direction" {
  command = plan
  variables {
    region = "eu-middle-1"
  }
  expect_failures = [var.region]
}

run "rejects_region_number_with_leading_zero" {
  command = plan
  variables {
    region = "eu-west-01"
  }
  expect_failures = [var.region]
}

run "rejects_region_without_number" {
  command = plan
  variables {
    region = "eu-west"
  }
  expect_failures = [var.region]
}

# region, state_region and environments.<env>.state_region: the AWS region grammar shared with the release tag
# parser (platform/release) and every root.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "111122223333" }
  }
  mock_data "aws_region" {
    defaults = { name = "us-gov-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws-us-gov" }
  }
}

variables {
  region     = "us-gov-west-1"
  repository = "example-org/webhealth"
  environments = {
    prod = {
      deployment_role_arn = "arn:aws-us-gov:iam::444444444444:role/webhealth-deployer"
      readonly_role_arn   = "arn:aws-us-gov:iam::444444444444:role/webhealth-reader"
      state_region        = "us-gov-east-1"
    }
  }
  # Regions are under test here, not the promotion (tests/promotion.tftest.hcl).
  release_promotion = {}
}

run "accepts_partition_regions" {
  command = plan

  assert {
    condition     = output.pipelines["prod"].state_region == "us-gov-east-1"
    error_message = "us-gov-west-1 and us-gov-east-1 are regions."
  }
}

run "rejects_region_of_unknown_prefix" {
  command = plan
  variables {
    region = "xx-west-1"
  }
  expect_failures = [var.region]
}

run "rejects_region_number_with_leading_zero" {
  command = plan
  variables {
    region = "us-gov-west-01"
  }
  expect_failures = [var.region]
}

run "rejects_state_region_of_unknown_direction" {
  command = plan
  variables {
    state_region = "eu-middle-1"
  }
  expect_failures = [var.state_region]
}

run "rejects_environment_state_region_without_number" {
  command = plan
  variables {
    environments = {
      prod = {
        deployment_role_arn = "arn:aws-us-gov:iam::444444444444:role/webhealth-deployer"
        readonly_role_arn   = "arn:aws-us-gov:iam::444444444444:role/webhealth-reader"
        state_region        = "us-gov-east"
      }
    }
  }
  expect_failures = [var.environments]
}

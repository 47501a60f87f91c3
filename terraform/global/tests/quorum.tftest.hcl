# quorum: null resolves to a majority of the regions, floor(n/2)+1; a number from 1 to n is kept.

mock_provider "aws" {}

variables {
  environment = "dev"
  team        = "web"
}

run "one_region_majority_is_one" {
  command = plan

  variables {
    regions = ["eu-west-1"]
  }

  assert {
    condition     = output.quorum == 1
    error_message = "The majority of 1 region is 1."
  }
}

run "two_regions_majority_is_two" {
  command = plan

  variables {
    regions = ["eu-west-1", "us-east-1"]
  }

  assert {
    condition     = output.quorum == 2
    error_message = "The majority of 2 regions is 2 (floor(2/2)+1)."
  }
}

run "three_regions_majority_is_two" {
  command = plan

  variables {
    regions = ["eu-west-1", "us-east-1", "ap-southeast-1"]
  }

  assert {
    condition     = output.quorum == 2
    error_message = "The majority of 3 regions is 2."
  }
}

run "eight_regions_majority_is_five" {
  command = plan

  variables {
    regions = ["eu-west-1", "us-east-1", "ap-southeast-1", "us-west-2", "eu-central-1", "ap-northeast-1", "sa-east-1", "ca-central-1"]
  }

  assert {
    condition     = output.quorum == 5
    error_message = "The majority of 8 regions is 5."
  }
}

run "an_explicit_quorum_is_kept" {
  command = plan

  variables {
    regions = ["eu-west-1", "us-east-1", "ap-southeast-1"]
    quorum  = 1
  }

  assert {
    condition     = output.quorum == 1
    error_message = "quorum = 1 is kept (one region seeing the target down is enough)."
  }
}

run "a_quorum_of_every_region_is_allowed" {
  command = plan

  variables {
    regions = ["eu-west-1", "us-east-1", "ap-southeast-1"]
    quorum  = 3
  }

  assert {
    condition     = output.quorum == 3
    error_message = "quorum may be the number of regions."
  }
}

# One expect_failures run per rule of this root's variables.

mock_provider "aws" {}

variables {
  environment = "dev"
  team        = "web"
  regions     = ["eu-west-1", "us-east-1"]
}

run "valid_inputs_plan" {
  command = plan
}

run "refuses_an_environment_that_is_no_name" {
  command = plan
  variables {
    environment = "Dev-1"
  }
  expect_failures = [var.environment]
}

run "refuses_an_upper_case_team" {
  command = plan
  variables {
    team = "Web"
  }
  expect_failures = [var.team]
}

run "refuses_a_double_hyphen_team" {
  command = plan
  variables {
    team = "web--x"
  }
  expect_failures = [var.team]
}

run "refuses_a_leading_v_version" {
  command = plan
  variables {
    release_version = "v1.0"
  }
  expect_failures = [var.release_version]
}

run "accepts_a_major_minor_version" {
  command = plan
  variables {
    release_version = "1.0"
  }
}

run "refuses_a_bad_name_prefix" {
  command = plan
  variables {
    name_prefix = "Web-Health"
  }
  expect_failures = [var.name_prefix]
}

run "refuses_no_region" {
  command = plan
  variables {
    regions = []
  }
  expect_failures = [var.regions]
}

run "refuses_nine_regions" {
  command = plan
  variables {
    regions = ["eu-west-1", "us-east-1", "ap-southeast-1", "us-west-2", "eu-central-1", "ap-northeast-1", "sa-east-1", "ca-central-1", "eu-north-1"]
  }
  expect_failures = [var.regions]
}

run "accepts_eight_regions" {
  command = plan
  variables {
    regions = ["eu-west-1", "us-east-1", "ap-southeast-1", "us-west-2", "eu-central-1", "ap-northeast-1", "sa-east-1", "ca-central-1"]
  }
}

run "refuses_an_upper_case_region" {
  command = plan
  variables {
    regions = ["eu-west-1", "US-EAST-1"]
  }
  expect_failures = [var.regions]
}

run "refuses_a_region_that_is_no_region_name" {
  command = plan
  variables {
    regions = ["eu-west-1", "global"]
  }
  expect_failures = [var.regions]
}

run "refuses_a_region_twice" {
  command = plan
  variables {
    regions = ["eu-west-1", "us-east-1", "eu-west-1"]
  }
  expect_failures = [var.regions]
}

run "refuses_a_quorum_of_zero" {
  command = plan
  variables {
    quorum = 0
  }
  expect_failures = [var.quorum]
}

run "refuses_a_quorum_above_the_regions" {
  command = plan
  variables {
    quorum = 3
  }
  expect_failures = [var.quorum]
}

run "refuses_a_fractional_quorum" {
  command = plan
  variables {
    quorum = 1.5
  }
  expect_failures = [var.quorum]
}

run "refuses_an_endpoint_with_a_path" {
  command = plan
  variables {
    aws_endpoint_url = "http://127.0.0.1:5000/x"
  }
  expect_failures = [var.aws_endpoint_url]
}

run "refuses_an_assume_role_that_is_no_role_arn" {
  command = plan
  variables {
    assume_role_arn = "arn:aws:iam::123456789012:user/deploy"
  }
  expect_failures = [var.assume_role_arn]
}

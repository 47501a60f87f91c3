# Plan-level tests with a mocked AWS provider: no credentials, no network.

mock_provider "aws" {
  override_during = plan

  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }

  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:eu-west-1:123456789012:key/0f8fad5b-d9cb-469f-a165-70867728950e" }
  }
}

variables {
  region = "eu-west-1"
}

run "one_backend_per_environment" {
  command = plan

  assert {
    condition     = toset(keys(module.state_backend)) == toset(["local", "dev", "beta", "prod"])
    error_message = "By default every environment (local, dev, beta, prod) gets a backend."
  }

  assert {
    condition     = output.backends["prod"].bucket == "webhealth-tfstate-prod" && output.backends["prod"].dynamodb_table == "webhealth-tfstate-lock-prod"
    error_message = "Backends follow <state_prefix>-<env> and <state_prefix>-lock-<env>."
  }

  assert {
    condition     = output.backend_configs["dev"]["use_lockfile"] == "true" && output.backend_configs["dev"]["encrypt"] == "true"
    error_message = "The backend settings use S3 native locking and encryption."
  }
}

run "custom_prefix_and_environments" {
  command = plan

  variables {
    state_prefix = "acme-state"
    environments = { dev = {}, prod = { noncurrent_version_expiration_days = 365 } }
  }

  assert {
    condition     = output.backends == { dev = { bucket = "acme-state-dev", dynamodb_table = "acme-state-lock-dev", kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/0f8fad5b-d9cb-469f-a165-70867728950e" }, prod = { bucket = "acme-state-prod", dynamodb_table = "acme-state-lock-prod", kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/0f8fad5b-d9cb-469f-a165-70867728950e" } }
    error_message = "Only the listed environments get a backend, named with the prefix."
  }
}

run "rejects_bad_region" {
  command = plan
  variables {
    region = "Europe"
  }
  expect_failures = [var.region]
}

run "rejects_bad_prefix" {
  command = plan
  variables {
    state_prefix = "Web_State"
  }
  expect_failures = [var.state_prefix]
}

run "rejects_prefix_with_double_hyphen" {
  command = plan
  variables {
    state_prefix = "web--state"
  }
  expect_failures = [var.state_prefix]
}

run "rejects_bad_environment_names" {
  command = plan
  variables {
    environments = { "Prod-EU" = {} }
  }
  expect_failures = [var.environments]
}

run "rejects_unknown_sse_algorithm" {
  command = plan
  variables {
    sse_algorithm = "none"
  }
  expect_failures = [var.sse_algorithm]
}

run "rejects_endpoint_with_path" {
  command = plan
  variables {
    aws_endpoint_url = "http://127.0.0.1:5000/moto"
  }
  expect_failures = [var.aws_endpoint_url]
}

run "rejects_assume_role_that_is_not_a_role" {
  command = plan
  variables {
    assume_role_arn = "arn:aws:iam::123456789012:user/deployer"
  }
  expect_failures = [var.assume_role_arn]
}

# One run per validation rule: each feeds exactly one rejected value and expects that variable to fail.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "111122223333" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
}

variables {
  environment         = "dev"
  repository          = "webhealth/webhealth"
  connection_arn      = "arn:aws:codeconnections:eu-west-1:111122223333:connection/7b65fd00-061e-43c7-8d42-e55dd18843a3"
  deployment_role_arn = "arn:aws:iam::444455556666:role/webhealth-deployer"
  readonly_role_arn   = "arn:aws:iam::444455556666:role/webhealth-reader"
  state_region        = "eu-west-1"
}

run "valid_inputs_plan" {
  command = plan

  variables {
    tag_pattern               = "dev_eu-*"
    drift_releases            = [{ region = "eu-west-1", team = "web" }]
    drift_schedule_expression = "cron(30 5 ? * MON-FRI *)"
    drift_schedule_timezone   = "Europe/Paris"
    notification_emails       = ["oncall@example.com"]
    connection_arn            = "arn:aws:codestar-connections:us-east-1:111122223333:connection/7b65fd00-061e-43c7-8d42-e55dd18843a3"
  }

  assert {
    condition     = aws_codepipeline.release.trigger[0].git_configuration[0].push[0].tags[0].includes == tolist(["dev_eu-*"])
    error_message = "a valid narrower tag_pattern must be used as the trigger"
  }
}

run "name_prefix_with_upper_case" {
  command = plan

  variables {
    name_prefix = "Web_Health"
  }

  expect_failures = [var.name_prefix]
}

run "environment_local_has_no_pipeline" {
  command = plan

  variables {
    environment = "local"
  }

  expect_failures = [var.environment]
}

run "source_type_unknown" {
  command = plan

  variables {
    source_type = "svn"
  }

  expect_failures = [var.source_type]
}

run "repository_not_owner_slash_name" {
  command = plan

  variables {
    repository = "webhealth"
  }

  expect_failures = [var.repository]
}

run "source_branch_with_dotdot" {
  command = plan

  variables {
    source_branch = "release/../main"
  }

  expect_failures = [var.source_branch]
}

run "connection_provider_unsupported" {
  command = plan

  variables {
    connection_provider = "Gitea"
  }

  expect_failures = [var.connection_provider]
}

run "connection_arn_of_another_service" {
  command = plan

  variables {
    connection_arn = "arn:aws:iam::111122223333:role/connection"
  }

  expect_failures = [var.connection_arn]
}

run "tag_pattern_of_another_environment" {
  command = plan

  variables {
    tag_pattern = "prod_*"
  }

  expect_failures = [var.tag_pattern]
}

run "deployment_role_arn_not_a_role" {
  command = plan

  variables {
    deployment_role_arn = "arn:aws:iam::444455556666:user/deployer"
  }

  expect_failures = [var.deployment_role_arn]
}

run "state_prefix_with_underscore" {
  command = plan

  variables {
    state_prefix = "webhealth_tfstate"
  }

  expect_failures = [var.state_prefix]
}

run "state_region_not_a_region" {
  command = plan

  variables {
    state_region = "europe-west1"
  }

  expect_failures = [var.state_region]
}

run "state_locking_unknown" {
  command = plan

  variables {
    state_locking = "consul"
  }

  expect_failures = [var.state_locking]
}

run "prod_without_approval" {
  command = plan

  variables {
    environment       = "prod"
    require_approval  = false
    prior_release_uri = "s3://webhealth-beta-artifacts-111122223333-eu-west-1/releases/beta"
  }

  expect_failures = [var.require_approval]
}

run "lambda_architecture_unknown" {
  command = plan

  variables {
    lambda_architecture = "amd64"
  }

  expect_failures = [var.lambda_architecture]
}

run "build_environment_type_unknown" {
  command = plan

  variables {
    build_environment = { type = "WINDOWS_SERVER_2019_CONTAINER" }
  }

  expect_failures = [var.build_environment]
}

run "build_environment_compute_type_unknown" {
  command = plan

  variables {
    build_environment = { compute_type = "BUILD_LAMBDA_1GB" }
  }

  expect_failures = [var.build_environment]
}

run "drift_release_region_invalid" {
  command = plan

  variables {
    drift_releases = [{ region = "europe-west1", team = "web" }]
  }

  expect_failures = [var.drift_releases]
}

run "drift_release_team_invalid" {
  command = plan

  variables {
    drift_releases = [{ region = "eu-west-1", team = "Web Team" }]
  }

  expect_failures = [var.drift_releases]
}

run "drift_release_listed_twice" {
  command = plan

  variables {
    drift_releases = [{ region = "eu-west-1", team = "web" }, { region = "eu-west-1", team = "web" }]
  }

  expect_failures = [var.drift_releases]
}

run "drift_schedule_expression_invalid" {
  command = plan

  variables {
    drift_schedule_expression = "every day at 6"
  }

  expect_failures = [var.drift_schedule_expression]
}

run "drift_schedule_timezone_invalid" {
  command = plan

  variables {
    drift_schedule_timezone = "CET+1"
  }

  expect_failures = [var.drift_schedule_timezone]
}

run "notification_email_invalid" {
  command = plan

  variables {
    notification_emails = ["oncall"]
  }

  expect_failures = [var.notification_emails]
}

run "log_retention_days_not_a_retention_value" {
  command = plan

  variables {
    log_retention_days = 10
  }

  expect_failures = [var.log_retention_days]
}

run "noncurrent_artifact_days_zero" {
  command = plan

  variables {
    noncurrent_artifact_days = 0
  }

  expect_failures = [var.noncurrent_artifact_days]
}

run "access_log_bucket_not_a_bucket_name" {
  command = plan

  variables {
    access_log_bucket = "Logs_Bucket"
  }

  expect_failures = [var.access_log_bucket]
}

# The release grammar shared with the release tag parser (platform/release) and the workload root: regions
# and teams.

run "release_grammar_edge_cases_plan" {
  command = plan

  variables {
    state_region   = "us-gov-west-1"
    drift_releases = [{ region = "ap-southeast-10", team = "web-platform" }, { region = "eu-west-1", team = "a1" }]
  }

  assert {
    condition     = output.state_region == "us-gov-west-1" && length(output.drift_schedules) == 2
    error_message = "partition regions, two-digit region numbers and 2- to 12-character teams are valid"
  }
}

run "state_region_number_with_leading_zero" {
  command = plan

  variables {
    state_region = "eu-west-01"
  }

  expect_failures = [var.state_region]
}

run "drift_release_region_of_unknown_prefix" {
  command = plan

  variables {
    drift_releases = [{ region = "xx-west-1", team = "web" }]
  }

  expect_failures = [var.drift_releases]
}

run "drift_release_team_longer_than_12" {
  command = plan

  variables {
    drift_releases = [{ region = "eu-west-1", team = "web-platforms" }]
  }

  expect_failures = [var.drift_releases]
}

run "drift_release_team_with_double_hyphen" {
  command = plan

  variables {
    drift_releases = [{ region = "eu-west-1", team = "web--ops" }]
  }

  expect_failures = [var.drift_releases]
}

run "connection_arn_region_not_a_region" {
  command = plan

  variables {
    connection_arn = "arn:aws:codeconnections:europe-1:111122223333:connection/7b65fd00-061e-43c7-8d42-e55dd18843a3"
  }

  expect_failures = [var.connection_arn]
}

run "readonly_role_arn_not_a_role" {
  command = plan

  variables {
    readonly_role_arn = "arn:aws:iam::444455556666:user/reader"
  }

  expect_failures = [var.readonly_role_arn]
}

run "readonly_role_is_the_deployment_role" {
  command = plan

  variables {
    readonly_role_arn = "arn:aws:iam::444455556666:role/webhealth-deployer"
  }

  expect_failures = [var.readonly_role_arn]
}

run "release_promotion_names_an_unknown_environment" {
  command = plan

  variables {
    release_promotion = { prod = "qa" }
  }

  expect_failures = [var.release_promotion]
}

run "release_promotion_to_itself" {
  command = plan

  variables {
    release_promotion = { prod = "prod" }
  }

  expect_failures = [var.release_promotion]
}

run "release_promotion_from_local" {
  command = plan

  variables {
    release_promotion = { dev = "local" }
  }

  expect_failures = [var.release_promotion]
}

run "prod_without_its_prior_records" {
  command = plan

  variables {
    environment = "prod"
  }

  expect_failures = [var.prior_release_uri]
}

run "prior_records_without_a_prior_environment" {
  command = plan

  variables {
    prior_release_uri = "s3://webhealth-beta-artifacts-111122223333-eu-west-1/releases/beta"
  }

  expect_failures = [var.prior_release_uri]
}

run "prior_records_not_an_s3_uri" {
  command = plan

  variables {
    environment       = "prod"
    prior_release_uri = "https://webhealth-beta-artifacts-111122223333-eu-west-1.s3.amazonaws.com/releases/beta"
  }

  expect_failures = [var.prior_release_uri]
}

run "prior_records_of_another_environment" {
  command = plan

  variables {
    environment       = "prod"
    prior_release_uri = "s3://webhealth-dev-artifacts-111122223333-eu-west-1/releases/dev"
  }

  expect_failures = [var.prior_release_uri]
}

# Plan-level tests with a mocked AWS provider: no credentials, no network.
# override_during = plan makes the mocked computed values (ARNs) known at plan time, so policies can be inspected.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

# The release sequence below applies (mocked) twice; values generated at apply time must stay stable there.
mock_provider "aws" {
  alias = "applying"

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/wh-web-dev-eu-west-1-crawler"
    }
  }

  mock_resource "aws_lambda_function" {
    defaults = {
      arn     = "arn:aws:lambda:eu-west-1:123456789012:function:wh-web-dev-eu-west-1-crawler"
      version = "7"
    }
  }
}

variables {
  function_name   = "wh-web-dev-eu-west-1-crawler"
  description     = "webhealth crawler"
  release_version = "1.2.3"
  zip_path        = "tests/fixtures/function.zip"
  architecture    = "x86_64"
  timeout         = 100
  log_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/0f8fad5b-d9cb-469f-a165-70867728950e"
  alarm_topic_arn = "arn:aws:sns:eu-west-1:123456789012:ops"
  tags            = { team = "web", environment = "dev", release_version = "1.2.3" }
  environment_variables = {
    URLS_TABLE = "urls"
  }
  policy_statements = [
    {
      sid       = "ReadUrls"
      actions   = ["dynamodb:Scan", "dynamodb:UpdateItem"]
      resources = ["arn:aws:dynamodb:eu-west-1:123456789012:table/urls"]
    },
    {
      sid       = "PutMetrics"
      actions   = ["cloudwatch:PutMetricData"]
      resources = ["*"]
      conditions = [
        { test = "StringEquals", variable = "cloudwatch:namespace", values = ["WebHealth/x"] },
        { test = "StringEquals", variable = "aws:RequestedRegion", values = ["eu-west-1"] },
        { test = "Bool", variable = "aws:SecureTransport", values = ["true"] },
      ]
    },
  ]
}

run "function_is_a_published_go_function_with_json_logs" {
  command = plan

  assert {
    condition     = aws_lambda_function.this.function_name == "wh-web-dev-eu-west-1-crawler" && aws_lambda_function.this.runtime == "provided.al2023" && aws_lambda_function.this.handler == "bootstrap"
    error_message = "The function must be named as given and run provided.al2023 with the bootstrap handler."
  }

  assert {
    condition     = aws_lambda_function.this.architectures == tolist(["x86_64"]) && aws_lambda_function.this.timeout == 100 && aws_lambda_function.this.memory_size == 128
    error_message = "Architecture, timeout and memory must come from the variables."
  }

  assert {
    condition     = aws_lambda_function.this.publish && aws_lambda_function.this.description == "webhealth crawler release 1.2.3"
    error_message = "Every apply must publish a version whose description records the release version."
  }

  assert {
    condition     = aws_lambda_function.this.source_code_hash == filebase64sha256("tests/fixtures/function.zip")
    error_message = "The code hash must be the zip's base64 SHA-256 so new code, and only new code, is deployed."
  }

  assert {
    condition     = aws_lambda_function.this.logging_config[0].log_format == "JSON" && aws_lambda_function.this.logging_config[0].log_group == "/aws/lambda/wh-web-dev-eu-west-1-crawler" && aws_lambda_function.this.logging_config[0].application_log_level == "INFO"
    error_message = "Logs must be JSON, go to the module's log group and default to level INFO."
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables == tomap({ URLS_TABLE = "urls" })
    error_message = "The environment must be exactly the map passed in."
  }

  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == -1
    error_message = "Without reserved_concurrency the function must stay on the unreserved pool (-1)."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.retention_in_days == 30 && aws_cloudwatch_log_group.this.kms_key_id == var.log_kms_key_arn
    error_message = "The log group must have a retention and be encrypted with the given KMS key."
  }

  assert {
    condition     = aws_lambda_function.this.tags["team"] == "web" && aws_lambda_function.this.tags["environment"] == "dev" && aws_lambda_function.this.tags["release_version"] == "1.2.3" && aws_iam_role.this.tags["release_version"] == "1.2.3" && aws_cloudwatch_log_group.this.tags["team"] == "web"
    error_message = "Resources must carry the team, environment and release_version tags."
  }

  assert {
    condition = (
      [for k in ["memory_size", "timeout", "architecture", "log_retention_days", "application_log_level"] : output.configuration[k]] == [128, 100, "x86_64", 30, "INFO"]
      && output.configuration.reserved_concurrency == null && output.configuration.codedeploy_config == null
    )
    error_message = "The configuration output reports what the function is planned with."
  }
}

run "alias_follows_new_versions_without_codedeploy" {
  command = plan

  assert {
    condition     = length(aws_lambda_alias.live) == 1 && length(aws_lambda_alias.live_codedeploy) == 0
    error_message = "Without CodeDeploy exactly the Terraform-managed alias must exist."
  }

  assert {
    condition     = aws_lambda_alias.live[0].name == "live" && aws_lambda_alias.live[0].function_version == "7"
    error_message = "The live alias must point at the version this apply publishes."
  }

  assert {
    condition     = length(aws_codedeploy_app.this) == 0 && length(aws_codedeploy_deployment_group.this) == 0 && length(aws_iam_role.codedeploy) == 0
    error_message = "No CodeDeploy resources may exist when CodeDeploy is off."
  }

  assert {
    condition     = output.codedeploy_app_name == null && output.codedeploy_deployment_group_name == null && output.codedeploy_appspec == null
    error_message = "CodeDeploy outputs must be null when CodeDeploy is off."
  }

  assert {
    condition     = output.alias_arn == "arn:aws:lambda:eu-west-1:123456789012:function:wh-web-dev-eu-west-1-crawler:live"
    error_message = "alias_arn must be the live alias."
  }

  assert {
    condition     = length(aws_lambda_function_event_invoke_config.live) == 0
    error_message = "Without a failure destination or async settings no async invoke config may be created."
  }

  assert {
    condition     = output.configuration.async_maximum_retry_attempts == 2 && output.configuration.async_maximum_event_age_seconds == 21600
    error_message = "Without an async invoke config the configuration output reports Lambda's defaults (2 retries, 21600 s)."
  }
}

run "execution_role_has_only_the_given_statements" {
  command = plan

  assert {
    condition     = jsondecode(aws_iam_role.this.assume_role_policy).Statement[0].Principal.Service == "lambda.amazonaws.com"
    error_message = "Only Lambda may assume the execution role."
  }

  assert {
    condition     = aws_iam_role.this.name == "wh-web-dev-eu-west-1-crawler"
    error_message = "The role is named after the function."
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Sid] == ["WriteOwnLogGroup", "ReadUrls", "PutMetrics"]
    error_message = "The role must hold the log statement and exactly the statements passed in, in order."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : alltrue([for a in s.Action : !strcontains(a, "*")])])
    error_message = "No statement may grant a wildcard action."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Effect == "Allow"])
    error_message = "Execution role statements are Allow statements."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.this.policy).Statement[0].Resource == ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/wh-web-dev-eu-west-1-crawler:log-stream:*"]
    error_message = "The function may write only to the streams of its own log group."
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.this.policy).Statement[2].Condition == {
      StringEquals = { "cloudwatch:namespace" = ["WebHealth/x"], "aws:RequestedRegion" = ["eu-west-1"] }
      Bool         = { "aws:SecureTransport" = ["true"] }
    }
    error_message = "Conditions must be grouped by operator in IAM's JSON form."
  }

  assert {
    condition     = !contains(keys(jsondecode(aws_iam_role_policy.this.policy).Statement[1]), "Condition")
    error_message = "A statement without conditions must have no Condition key."
  }
}

run "operational_alarms_go_to_the_ops_topic" {
  command = plan

  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.this)) == toset(["errors", "throttles", "duration"])
    error_message = "Errors, Throttles and Duration alarms must exist."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["duration"].extended_statistic == "p99" && aws_cloudwatch_metric_alarm.this["duration"].threshold == 80000
    error_message = "The Duration alarm must compare p99 with 80% of the timeout (100 s -> 80000 ms)."
  }

  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.this : a.alarm_actions == toset([var.alarm_topic_arn]) && a.ok_actions == toset([var.alarm_topic_arn]) && a.namespace == "AWS/Lambda" && a.dimensions["FunctionName"] == var.function_name])
    error_message = "Every alarm must watch this function's AWS/Lambda metrics and notify the ops topic on ALARM and OK."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["errors"].alarm_name == "wh-web-dev-eu-west-1-crawler-errors"
    error_message = "Alarm names are <function>-<kind>."
  }
}

run "failure_destination_sqs" {
  command = plan

  variables {
    failure_destination = { type = "sqs", arn = "arn:aws:sqs:eu-west-1:123456789012:dlq" }
  }

  assert {
    condition     = aws_lambda_function_event_invoke_config.live[0].qualifier == "live" && aws_lambda_function_event_invoke_config.live[0].destination_config[0].on_failure[0].destination == var.failure_destination.arn
    error_message = "Failed async invocations of the live alias must go to the destination."
  }

  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "SendFailedInvocations" && s.Action == ["sqs:SendMessage"] && s.Resource == [var.failure_destination.arn]]) == 1
    error_message = "The role must be allowed sqs:SendMessage on the queue, and nothing broader."
  }
}

run "async_settings_without_a_failure_destination" {
  command = plan

  variables {
    async_maximum_retry_attempts    = 0
    async_maximum_event_age_seconds = 60
  }

  assert {
    condition = (
      length(aws_lambda_function_event_invoke_config.live) == 1
      && aws_lambda_function_event_invoke_config.live[0].qualifier == "live"
      && aws_lambda_function_event_invoke_config.live[0].maximum_retry_attempts == 0
      && aws_lambda_function_event_invoke_config.live[0].maximum_event_age_in_seconds == 60
      && length(aws_lambda_function_event_invoke_config.live[0].destination_config) == 0
    )
    error_message = "Async settings alone configure the live alias's asynchronous invocations (no retry, events dropped after 60 s), with no destination."
  }

  assert {
    condition     = output.configuration.async_maximum_retry_attempts == 0 && output.configuration.async_maximum_event_age_seconds == 60
    error_message = "The configuration output reports the async settings as planned."
  }

  assert {
    condition     = !contains([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Sid], "SendFailedInvocations")
    error_message = "Without a failure destination the role may send failed invocations nowhere."
  }
}

run "failure_destination_sns" {
  command = plan

  variables {
    failure_destination = { type = "sns", arn = "arn:aws:sns:eu-west-1:123456789012:failures" }
  }

  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "SendFailedInvocations" && s.Action == ["sns:Publish"] && s.Resource == [var.failure_destination.arn]]) == 1
    error_message = "An SNS destination needs sns:Publish on that topic."
  }
}

run "reserved_concurrency" {
  command = plan

  variables {
    reserved_concurrency = 1
  }

  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == 1
    error_message = "reserved_concurrency must be applied to the function."
  }

  assert {
    condition     = output.configuration.reserved_concurrency == 1
    error_message = "The configuration output reports the reserved concurrency."
  }
}

run "codedeploy_canary" {
  command = plan

  variables {
    enable_codedeploy      = true
    deployment_config_name = "CodeDeployDefault.LambdaCanary10Percent10Minutes"
  }

  assert {
    condition     = length(aws_lambda_alias.live) == 0 && length(aws_lambda_alias.live_codedeploy) == 1 && aws_lambda_alias.live_codedeploy[0].name == "live"
    error_message = "With CodeDeploy the alias must be the one whose version CodeDeploy moves."
  }

  assert {
    condition     = aws_codedeploy_app.this[0].compute_platform == "Lambda" && aws_codedeploy_deployment_group.this[0].deployment_config_name == "CodeDeployDefault.LambdaCanary10Percent10Minutes"
    error_message = "A Lambda CodeDeploy application with the chosen canary configuration must exist."
  }

  assert {
    condition     = output.configuration.codedeploy_config == "CodeDeployDefault.LambdaCanary10Percent10Minutes"
    error_message = "The configuration output reports the canary configuration."
  }

  assert {
    condition     = aws_codedeploy_deployment_group.this[0].deployment_style[0].deployment_type == "BLUE_GREEN" && aws_codedeploy_deployment_group.this[0].deployment_style[0].deployment_option == "WITH_TRAFFIC_CONTROL"
    error_message = "Lambda deployments are blue/green with traffic control."
  }

  assert {
    condition     = aws_codedeploy_deployment_group.this[0].alarm_configuration[0].enabled && toset(aws_codedeploy_deployment_group.this[0].alarm_configuration[0].alarms) == toset(["wh-web-dev-eu-west-1-crawler-errors", "wh-web-dev-eu-west-1-crawler-throttles", "wh-web-dev-eu-west-1-crawler-duration"])
    error_message = "The deployment group must watch exactly the function's operational alarms."
  }

  assert {
    condition     = aws_codedeploy_deployment_group.this[0].auto_rollback_configuration[0].enabled && toset(aws_codedeploy_deployment_group.this[0].auto_rollback_configuration[0].events) == toset(["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"])
    error_message = "A failed deployment or a firing alarm must roll back automatically."
  }

  assert {
    condition     = jsondecode(aws_iam_role.codedeploy[0].assume_role_policy).Statement[0].Principal.Service == "codedeploy.amazonaws.com" && aws_iam_role.codedeploy[0].name == "wh-web-dev-eu-west-1-crawler-deploy"
    error_message = "The CodeDeploy role must be assumable by CodeDeploy only."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role_policy.codedeploy[0].policy).Statement : alltrue([for a in s.Action : !strcontains(a, "*")])])
    error_message = "The CodeDeploy role may not have wildcard actions."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.codedeploy[0].policy).Statement[0].Resource == [aws_lambda_function.this.arn, "${aws_lambda_function.this.arn}:live"]
    error_message = "CodeDeploy may shift only this function's live alias."
  }

}

# One run per validation rule.

run "rejects_long_function_name" {
  command = plan
  variables {
    function_name = "a-function-name-that-is-far-too-long-for-the-deploy-role-suffix"
  }
  expect_failures = [var.function_name]
}

run "rejects_long_description" {
  command = plan
  variables {
    description = join("", [for i in range(201) : "x"])
  }
  expect_failures = [var.description]
}

run "rejects_non_zip_artifact" {
  command = plan
  variables {
    zip_path = "main.tf"
  }
  expect_failures = [var.zip_path]
}

run "rejects_unknown_architecture" {
  command = plan
  variables {
    architecture = "amd64"
  }
  expect_failures = [var.architecture]
}

run "rejects_memory_out_of_range" {
  command = plan
  variables {
    memory_size = 64
  }
  expect_failures = [var.memory_size]
}

run "rejects_timeout_out_of_range" {
  command = plan
  variables {
    timeout = 901
  }
  expect_failures = [var.timeout]
}

run "rejects_reserved_environment_names" {
  command = plan
  variables {
    environment_variables = { AWS_ENDPOINT_URL = "http://localhost" }
  }
  expect_failures = [var.environment_variables]
}

run "rejects_non_alphanumeric_sid" {
  command = plan
  variables {
    policy_statements = [{ sid = "read-urls", actions = ["dynamodb:GetItem"], resources = ["arn:aws:dynamodb:eu-west-1:123456789012:table/urls"] }]
  }
  expect_failures = [var.policy_statements]
}

run "rejects_duplicate_sids" {
  command = plan
  variables {
    policy_statements = [
      { sid = "Read", actions = ["dynamodb:GetItem"], resources = ["arn:aws:dynamodb:eu-west-1:123456789012:table/urls"] },
      { sid = "Read", actions = ["dynamodb:Query"], resources = ["arn:aws:dynamodb:eu-west-1:123456789012:table/urls"] },
    ]
  }
  expect_failures = [var.policy_statements]
}

run "rejects_wildcard_actions" {
  command = plan
  variables {
    policy_statements = [{ sid = "Everything", actions = ["dynamodb:*"], resources = ["arn:aws:dynamodb:eu-west-1:123456789012:table/urls"] }]
  }
  expect_failures = [var.policy_statements]
}

run "rejects_statement_without_resources" {
  command = plan
  variables {
    policy_statements = [{ sid = "Read", actions = ["dynamodb:GetItem"], resources = [] }]
  }
  expect_failures = [var.policy_statements]
}

run "rejects_unknown_condition_operator" {
  command = plan
  variables {
    policy_statements = [{
      sid        = "Read"
      actions    = ["dynamodb:GetItem"]
      resources  = ["arn:aws:dynamodb:eu-west-1:123456789012:table/urls"]
      conditions = [{ test = "StringEqualz", variable = "aws:SourceAccount", values = ["123456789012"] }]
    }]
  }
  expect_failures = [var.policy_statements]
}

run "rejects_unlisted_log_retention" {
  command = plan
  variables {
    log_retention_days = 10
  }
  expect_failures = [var.log_retention_days]
}

run "rejects_log_key_that_is_not_an_arn" {
  command = plan
  variables {
    log_kms_key_arn = "alias/aws/logs"
  }
  expect_failures = [var.log_kms_key_arn]
}

run "rejects_unknown_log_level" {
  command = plan
  variables {
    application_log_level = "VERBOSE"
  }
  expect_failures = [var.application_log_level]
}

run "rejects_negative_reserved_concurrency" {
  command = plan
  variables {
    reserved_concurrency = -1
  }
  expect_failures = [var.reserved_concurrency]
}

run "rejects_failure_destination_of_other_types" {
  command = plan
  variables {
    failure_destination = { type = "s3", arn = "arn:aws:sqs:eu-west-1:123456789012:dlq" }
  }
  expect_failures = [var.failure_destination]
}

run "rejects_failure_destination_arn_of_other_services" {
  command = plan
  variables {
    failure_destination = { type = "sqs", arn = "arn:aws:s3:::bucket" }
  }
  expect_failures = [var.failure_destination]
}

run "rejects_too_many_async_retries" {
  command = plan
  variables {
    async_maximum_retry_attempts = 3
  }
  expect_failures = [var.async_maximum_retry_attempts]
}

run "rejects_negative_async_retries" {
  command = plan
  variables {
    async_maximum_retry_attempts = -1
  }
  expect_failures = [var.async_maximum_retry_attempts]
}

run "rejects_event_age_out_of_range" {
  command = plan
  variables {
    async_maximum_event_age_seconds = 30
  }
  expect_failures = [var.async_maximum_event_age_seconds]
}

run "rejects_event_age_above_six_hours" {
  command = plan
  variables {
    async_maximum_event_age_seconds = 21601
  }
  expect_failures = [var.async_maximum_event_age_seconds]
}

run "rejects_event_age_not_whole_seconds" {
  command = plan
  variables {
    async_maximum_event_age_seconds = 60.5
  }
  expect_failures = [var.async_maximum_event_age_seconds]
}

run "rejects_unknown_deployment_config" {
  command = plan
  variables {
    deployment_config_name = "CodeDeployDefault.AllAtOnce"
  }
  expect_failures = [var.deployment_config_name]
}

run "rejects_alarm_topic_that_is_not_sns" {
  command = plan
  variables {
    alarm_topic_arn = "arn:aws:sqs:eu-west-1:123456789012:ops"
  }
  expect_failures = [var.alarm_topic_arn]
}

run "rejects_errors_threshold_below_one" {
  command = plan
  variables {
    errors_alarm_threshold = 0
  }
  expect_failures = [var.errors_alarm_threshold]
}

run "rejects_duration_percent_above_100" {
  command = plan
  variables {
    duration_alarm_percent_of_timeout = 120
  }
  expect_failures = [var.duration_alarm_percent_of_timeout]
}

run "rejects_alarm_period_not_whole_minutes" {
  command = plan
  variables {
    alarm_period_seconds = 90
  }
  expect_failures = [var.alarm_period_seconds]
}

run "rejects_alarm_evaluation_periods_out_of_range" {
  command = plan
  variables {
    alarm_evaluation_periods = 0
  }
  expect_failures = [var.alarm_evaluation_periods]
}

# With CodeDeploy the first release points live at the first published version and has nothing to shift.
# (Mocks keep computed values on update, so the later 6 -> 7 shift is shown on the emulator/AWS, not here.)
run "codedeploy_first_release" {
  command = apply

  providers = {
    aws = aws.applying
  }

  variables {
    enable_codedeploy = true
  }

  override_resource {
    target = aws_lambda_function.this
    values = {
      arn     = "arn:aws:lambda:eu-west-1:123456789012:function:wh-web-dev-eu-west-1-crawler"
      version = "6"
    }
  }

  assert {
    condition     = aws_lambda_alias.live_codedeploy[0].function_version == "6" && output.codedeploy_appspec == null
    error_message = "The first release points live at the first version; nothing to shift."
  }
}

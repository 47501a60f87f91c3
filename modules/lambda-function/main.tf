locals {
  alias_name = "live"

  # The published version records the release it came from.
  version_description = trimspace(join(" ", compact([var.description, "release ${var.release_version}"])))

  tags = merge(var.tags, { function = var.function_name })
}

resource "aws_lambda_function" "this" {
  function_name = var.function_name
  description   = local.version_description
  role          = aws_iam_role.this.arn

  filename         = var.zip_path
  source_code_hash = filebase64sha256(var.zip_path)
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.architecture]
  memory_size      = var.memory_size
  timeout          = var.timeout
  publish          = true

  reserved_concurrent_executions = coalesce(var.reserved_concurrency, -1)

  dynamic "environment" {
    for_each = length(var.environment_variables) > 0 ? [1] : []
    content {
      variables = var.environment_variables
    }
  }

  dynamic "logging_config" {
    for_each = var.emulator_compatibility.omit_logging_config ? [] : [1]
    content {
      log_format            = "JSON"
      log_group             = aws_cloudwatch_log_group.this.name
      application_log_level = var.application_log_level
      system_log_level      = "WARN"
    }
  }

  tags = local.tags

  # The role's log permissions must exist before the first invocation can write.
  depends_on = [aws_iam_role_policy.this]
}

# The alias every event source invokes. Without CodeDeploy it follows each new version at once.
resource "aws_lambda_alias" "live" {
  count = var.enable_codedeploy ? 0 : 1

  name             = local.alias_name
  description      = "Live traffic; follows the latest published version"
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version
}

# With CodeDeploy the alias is moved by the canary deployment, not by Terraform: Terraform creates it once
# and then leaves function_version to CodeDeploy (a deployment shifts it from the current to the new version).
resource "aws_lambda_alias" "live_codedeploy" {
  count = var.enable_codedeploy ? 1 : 0

  name             = local.alias_name
  description      = "Live traffic; moved by CodeDeploy (${var.deployment_config_name})"
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version

  lifecycle {
    ignore_changes = [function_version, routing_config]
  }
}

locals {
  alias = var.enable_codedeploy ? aws_lambda_alias.live_codedeploy[0] : aws_lambda_alias.live[0]
}

# Asynchronous invocations of the live alias (SNS, EventBridge): how often a failed one is retried, how long
# an event may wait, and where the failed ones go. Without any of the three, Lambda's defaults apply.
resource "aws_lambda_function_event_invoke_config" "live" {
  count = var.failure_destination != null || var.async_maximum_retry_attempts != null || var.async_maximum_event_age_seconds != null ? 1 : 0

  function_name                = aws_lambda_function.this.function_name
  qualifier                    = local.alias.name
  maximum_retry_attempts       = var.async_maximum_retry_attempts
  maximum_event_age_in_seconds = var.async_maximum_event_age_seconds

  dynamic "destination_config" {
    for_each = var.failure_destination == null ? [] : [var.failure_destination]
    content {
      on_failure {
        destination = destination_config.value.arn
      }
    }
  }

  depends_on = [aws_iam_role_policy.this]
}

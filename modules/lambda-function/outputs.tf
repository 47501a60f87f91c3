output "function_name" {
  description = "Name of the function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "Unqualified ARN of the function."
  value       = aws_lambda_function.this.arn
}

output "alias_name" {
  description = "Name of the alias event sources invoke (live)."
  value       = local.alias.name
}

output "alias_arn" {
  description = "ARN of the live alias; the target of every event source."
  value       = local.alias.arn
}

output "alias_invoke_arn" {
  description = "Invoke ARN of the live alias (API Gateway integration URI)."
  value       = local.alias.invoke_arn
}

output "alias_function_version" {
  description = "Version the live alias points at (with CodeDeploy: the version CodeDeploy last shifted to)."
  value       = local.alias.function_version
}

output "latest_version" {
  description = "Latest published version of the function."
  value       = aws_lambda_function.this.version
}

output "role_name" {
  description = "Name of the execution role."
  value       = aws_iam_role.this.name
}

output "role_arn" {
  description = "ARN of the execution role."
  value       = aws_iam_role.this.arn
}

output "log_group_name" {
  description = "Name of the function's log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_group_arn" {
  description = "ARN of the function's log group."
  value       = aws_cloudwatch_log_group.this.arn
}

output "alarm_names" {
  description = "Operational alarms by kind (errors, throttles, duration)."
  value       = { for k, a in aws_cloudwatch_metric_alarm.this : k => a.alarm_name }
}

output "codedeploy_app_name" {
  description = "CodeDeploy application (null when CodeDeploy is off)."
  value       = try(aws_codedeploy_app.this[0].name, null)
}

output "codedeploy_deployment_group_name" {
  description = "CodeDeploy deployment group (null when CodeDeploy is off)."
  value       = try(aws_codedeploy_deployment_group.this[0].deployment_group_name, null)
}

output "codedeploy_appspec" {
  description = "AppSpec content (JSON) of a deployment shifting the live alias from its current version to the latest one; null when CodeDeploy is off or the alias is already there. Pass it to CreateDeployment as revisionType AppSpecContent."
  value = var.enable_codedeploy && local.alias.function_version != aws_lambda_function.this.version ? jsonencode({
    version = "0.0"
    Resources = [{
      (var.function_name) = {
        Type = "AWS::Lambda::Function"
        Properties = {
          Name           = aws_lambda_function.this.function_name
          Alias          = local.alias.name
          CurrentVersion = local.alias.function_version
          TargetVersion  = aws_lambda_function.this.version
        }
      }
    }]
  }) : null
}

output "execution_policy" {
  description = "The execution role's policy document (JSON): the log statement, the failure destination statement and the statements passed in."
  value       = local.execution_policy
}

output "environment_variables" {
  description = "Environment variables configured on the function."
  value       = var.environment_variables
}

output "configuration" {
  description = "The function's settings as planned: memory_size, timeout, architecture, reserved_concurrency (null: the unreserved pool), log_retention_days, application_log_level (null when the logging config is omitted for an emulator), codedeploy_config (null without CodeDeploy), and async_maximum_retry_attempts and async_maximum_event_age_seconds of the live alias's asynchronous invocations (Lambda's defaults, 2 and 21600, when not configured)."
  value = {
    memory_size           = aws_lambda_function.this.memory_size
    timeout               = aws_lambda_function.this.timeout
    architecture          = one(aws_lambda_function.this.architectures)
    reserved_concurrency  = aws_lambda_function.this.reserved_concurrent_executions == -1 ? null : aws_lambda_function.this.reserved_concurrent_executions
    log_retention_days    = aws_cloudwatch_log_group.this.retention_in_days
    application_log_level = one(aws_lambda_function.this.logging_config[*].application_log_level)
    codedeploy_config     = one(aws_codedeploy_deployment_group.this[*].deployment_config_name)

    async_maximum_retry_attempts    = coalesce(one(aws_lambda_function_event_invoke_config.live[*].maximum_retry_attempts), 2)
    async_maximum_event_age_seconds = coalesce(one(aws_lambda_function_event_invoke_config.live[*].maximum_event_age_in_seconds), 21600)
  }
}

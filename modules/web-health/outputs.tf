output "name" {
  description = "Name shared by the stack's resources (<name_prefix>-<team>-<environment>-<region>)."
  value       = local.name
}

output "api_url" {
  description = "Invoke URL of the API stage."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "api_key" {
  description = "Value of the API key (send as x-api-key)."
  value       = aws_api_gateway_api_key.this.value
  sensitive   = true
}

output "api_id" {
  description = "ID of the REST API."
  value       = aws_api_gateway_rest_api.this.id
}

output "stage_name" {
  description = "Stage of the REST API."
  value       = aws_api_gateway_stage.this.stage_name
}

output "urls_table" {
  description = "The environment's global target table (URLS_TABLE), read through this region's replica."
  value       = data.aws_dynamodb_table.urls.name
}

output "alarms_table" {
  description = "Alarm table name (ALARMS_TABLE)."
  value       = aws_dynamodb_table.alarms.name
}

output "alarm_topic_arn" {
  description = "Topic of the per-target alarms (ALARM_TOPIC_ARN); the alarmlogger and the notifier are subscribed (people are told through var.notifications, not here)."
  value       = aws_sns_topic.alarms.arn
}

output "ops_topic_arn" {
  description = "Topic of the stack's operational alarms; the notifier is subscribed (people are told through var.notifications, not here)."
  value       = aws_sns_topic.ops.arn
}

output "notifications_topic_arn" {
  description = "The people topic (NOTIFY_TOPIC_ARN) that the e-mail addresses and Chatbot channels of var.notifications subscribe to and only the notifier publishes to; null without such channels."
  value       = local.people_topic_arn
}

output "alarm_prefix" {
  description = "Prefix of the alarms the crawler owns (ALARM_PREFIX)."
  value       = local.alarm_prefix
}

output "metric_namespace" {
  description = "CloudWatch namespace of the probe metrics (METRIC_NAMESPACE)."
  value       = local.metric_namespace
}

output "function_names" {
  description = "Function names by role: crawler, alarmlogger, urlapi, notifier, and crawlworker (the shard worker) with fan-out (crawler.max_shards > 1)."
  value       = { for k, m in local.function_modules : k => m.function_name }
}

output "function_configurations" {
  description = "Per function (crawler, alarmlogger, urlapi, notifier; crawlworker with fan-out): memory_size, timeout, architecture, reserved_concurrency, log_retention_days, application_log_level, codedeploy_config, async_maximum_retry_attempts and async_maximum_event_age_seconds as planned (modules/lambda-function output configuration)."
  value       = { for k, m in local.function_modules : k => m.configuration }
}

output "function_environments" {
  description = "Per function (crawler, alarmlogger, urlapi, notifier; crawlworker with fan-out): its environment variables as planned, the settings it runs with (names as docs/design.md lists them; no secret is among them: a webhook names its SSM parameter or secret)."
  value       = { for k, m in local.function_modules : k => m.environment_variables }
}

output "function_alias_arns" {
  description = "ARNs of the live aliases by role."
  value       = { for k, m in local.function_modules : k => m.alias_arn }
}

output "crawler_schedule_rule" {
  description = "EventBridge rule that runs the crawler."
  value       = aws_cloudwatch_event_rule.crawl.name
}

output "dashboard_name" {
  description = "CloudWatch dashboard of availability and latency per target."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "kms_key_arn" {
  description = "The stack's KMS key."
  value       = aws_kms_key.this.arn
}

output "alarmlogger_failure_queue_url" {
  description = "SQS queue receiving alarm notifications the alarmlogger failed on."
  value       = aws_sqs_queue.alarmlogger_failures.url
}

output "notifier_failure_queue_url" {
  description = "SQS queue receiving notifications the notifier failed to deliver to every channel after Lambda's retries."
  value       = aws_sqs_queue.notifier_failures.url
}

output "crawler_shard_queue_url" {
  description = "SQS queue of the crawler fan-out's shards (SHARD_QUEUE_URL), delivered to the crawlworker function by an event source mapping; null without fan-out (crawler.max_shards = 1)."
  value       = one(aws_sqs_queue.crawler_shards[*].url)
}

output "crawler_shard_queue_arn" {
  description = "ARN of the shard queue (the event source of the crawlworker's mapping); null without fan-out."
  value       = one(aws_sqs_queue.crawler_shards[*].arn)
}

output "crawler_shard_dlq_url" {
  description = "SQS queue receiving the shards a worker failed on (maxReceiveCount 1); null without fan-out."
  value       = one(aws_sqs_queue.crawler_shards_dlq[*].url)
}

output "crawler_shard_dlq_arn" {
  description = "ARN of the shard DLQ; null without fan-out."
  value       = one(aws_sqs_queue.crawler_shards_dlq[*].arn)
}

output "crawler_shard_mapping" {
  description = "The event source mapping from the shard queue to the crawlworker's live alias: uuid, enabled (false with emulator_compatibility.disable_event_source_mappings, where the local runtime delivers), batch_size, maximum_concurrency; null without fan-out."
  value = one([for m in aws_lambda_event_source_mapping.crawler_shards : {
    uuid                = m.uuid
    enabled             = m.enabled
    batch_size          = m.batch_size
    maximum_concurrency = one(m.scaling_config[*].maximum_concurrency)
  }])
}

output "deliveries_table" {
  description = "The notifier's deliveries table (DELIVERIES_TABLE): one item per SNS message and channel."
  value       = aws_dynamodb_table.deliveries.name
}

output "alarm_period_seconds" {
  description = "Period of the per-target alarms (ALARM_PERIOD_SECONDS): alarms.period_seconds, or the crawl interval when it is null."
  value       = local.alarm_period_seconds
}

output "ops_alarms" {
  description = "Every operational alarm of the stack, on the ops topic, by <what>: crawler-heartbeat, crawler-skipped, crawler-failures, crawler-alarm-backlog, api-5xx, <queue>-messages (alarmlogger-failures, notifier-failures), with fan-out crawler-shards-age and crawler-shards-dlq-messages, and <function>-{errors,throttles,duration} for crawler, alarmlogger, urlapi, notifier and (with fan-out) crawlworker."
  value = merge(
    { for k, a in aws_cloudwatch_metric_alarm.ops : k => a.alarm_name },
    merge([for f, m in local.function_modules : { for kind, name in m.alarm_names : "${f}-${kind}" => name }]...),
  )
}

output "notification_channels" {
  description = "The channels of var.notifications as deployed: emails (subscribed to the people topic), chatbot (configuration ARN by channel name, Slack and Teams) and webhooks (the names the notifier posts to)."
  value = {
    emails   = var.notifications.emails
    chatbot  = merge({ for k, c in aws_chatbot_slack_channel_configuration.this : k => c.chat_configuration_arn }, { for k, c in aws_chatbot_teams_channel_configuration.this : k => c.chat_configuration_arn })
    webhooks = [for w in var.notifications.webhooks : w.name]
  }
}

output "codedeploy" {
  description = "Per function: CodeDeploy application, deployment group and the AppSpec content of the pending shift of the live alias (null when CodeDeploy is off or nothing is pending). Create a deployment with it after apply."
  value = var.deployment.codedeploy ? {
    for k, m in local.function_modules : k => {
      application      = m.codedeploy_app_name
      deployment_group = m.codedeploy_deployment_group_name
      appspec          = m.codedeploy_appspec
    }
  } : null
}

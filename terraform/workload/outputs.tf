# Consumed by the local runtime, the Makefile and the tests (docs/design.md, "Terraform outputs").

output "api_url" {
  description = "Invoke URL of the API stage."
  value       = module.web_health.api_url
}

output "api_key" {
  description = "API key value (x-api-key header)."
  value       = module.web_health.api_key
  sensitive   = true
}

output "api_id" {
  description = "ID of the REST API."
  value       = module.web_health.api_id
}

output "stage_name" {
  description = "Stage of the REST API."
  value       = module.web_health.stage_name
}

output "urls_table" {
  description = "URL table name."
  value       = module.web_health.urls_table
}

output "alarms_table" {
  description = "Alarm table name."
  value       = module.web_health.alarms_table
}

output "alarm_topic_arn" {
  description = "Topic of the per-target alarms (the alarmlogger is subscribed)."
  value       = module.web_health.alarm_topic_arn
}

output "alarm_prefix" {
  description = "Prefix of the alarms the crawler owns."
  value       = module.web_health.alarm_prefix
}

output "metric_namespace" {
  description = "CloudWatch namespace of the probe metrics."
  value       = module.web_health.metric_namespace
}

output "function_names" {
  description = "Function names: crawler, alarmlogger, urlapi, notifier, and crawlworker (the shard worker) with fan-out."
  value       = module.web_health.function_names
}

output "crawler_schedule_rule" {
  description = "EventBridge rule running the crawler."
  value       = module.web_health.crawler_schedule_rule
}

output "dashboard_name" {
  description = "CloudWatch dashboard of availability and latency per target."
  value       = module.web_health.dashboard_name
}

output "ops_topic_arn" {
  description = "Topic of the stack's operational alarms (ops_alarms)."
  value       = module.web_health.ops_topic_arn
}

output "ops_alarms" {
  description = "Every operational alarm by <what>: crawler-heartbeat, crawler-skipped, crawler-failures, crawler-alarm-backlog, api-5xx, alarmlogger-failures-messages, notifier-failures-messages, with fan-out crawler-shards-age and crawler-shards-dlq-messages, and <function>-{errors,throttles,duration} of crawler, alarmlogger, urlapi, notifier and (with fan-out) crawlworker."
  value       = module.web_health.ops_alarms
}

output "crawler_shard_queue_url" {
  description = "SQS queue of the crawler fan-out's shards (SHARD_QUEUE_URL; its event source mapping feeds the crawlworker); null without fan-out."
  value       = module.web_health.crawler_shard_queue_url
}

output "crawler_shard_queue_arn" {
  description = "ARN of the shard queue; null without fan-out."
  value       = module.web_health.crawler_shard_queue_arn
}

output "crawler_shard_dlq_url" {
  description = "SQS queue of the shards a worker failed on; null without fan-out."
  value       = module.web_health.crawler_shard_dlq_url
}

output "deliveries_table" {
  description = "The notifier's deliveries table (one item per SNS message and channel)."
  value       = module.web_health.deliveries_table
}

output "alarm_period_seconds" {
  description = "Period of the per-target alarms: alarms.period_seconds, or the crawl interval when it is null."
  value       = module.web_health.alarm_period_seconds
}

output "codedeploy" {
  description = "Per function: CodeDeploy application, deployment group and pending AppSpec (null when CodeDeploy is off)."
  value       = module.web_health.codedeploy
}

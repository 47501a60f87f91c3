# Watching the watcher: the stack's own alarms, on the ops topic (named <stack>-..., which the topic policy
# lets publish). The functions' errors/throttles/duration alarms come from modules/lambda-function.

locals {
  # The heartbeat judges crawl intervals (the alarm period for a cron schedule, which is at least its longest
  # gap); two empty intervals in a row raise it, so one late run does not.
  heartbeat_period_seconds = local.crawl_interval_seconds != null ? local.crawl_interval_seconds : local.alarm_period_seconds
  heartbeat_periods        = try(local.heartbeat_period_seconds * 2 <= 86400, true) ? 2 : 1
  # The alarm backlog must last 10 crawl intervals in a row (as many as fit in CloudWatch's one day).
  backlog_periods = try(max(1, min(10, floor(86400 / local.heartbeat_period_seconds))), 1)

  queues = {
    alarmlogger-failures = { queue = aws_sqs_queue.alarmlogger_failures, function = "alarmlogger", holds = "alarm notifications it could not record in the alarm history" }
    notifier-failures    = { queue = aws_sqs_queue.notifier_failures, function = "notifier", holds = "notifications it could not deliver to every channel" }
  }

  ops_alarms = merge(
    {
      crawler-heartbeat = {
        description = "webhealth ${local.name}: the crawler has completed no run for ${local.heartbeat_periods * local.heartbeat_period_seconds} s (no RunDuration datapoint; missing data breaches), so no target is checked and no target alarm can fire. Check that the EventBridge rule ${aws_cloudwatch_event_rule.crawl.name} is enabled, the ${local.function_names.crawler}-errors and -throttles alarms and the log group /aws/lambda/${local.function_names.crawler} (docs/runbook.md, crawler-heartbeat)."
        namespace   = local.metric_namespace
        metric      = "RunDuration"
        dimensions  = { Region = local.region }
        statistic   = "SampleCount"
        period      = local.heartbeat_period_seconds
        periods     = local.heartbeat_periods
        comparison  = "LessThanThreshold"
        threshold   = 1
        missing     = "breaching"
      }
      crawler-skipped = {
        description = "webhealth ${local.name}: a crawl ended before it had checked every enabled target (TargetsSkipped > 0): those targets got no check, no metrics and no alarm evaluation. Raise crawler.timeout_seconds or crawler.concurrency, or find the slow targets in /aws/lambda/${local.function_names.crawler} (docs/runbook.md, crawler-skipped)."
        namespace   = local.metric_namespace
        metric      = "TargetsSkipped"
        dimensions  = { Region = local.region }
        statistic   = "Maximum"
        period      = local.heartbeat_period_seconds
        periods     = 1
        comparison  = "GreaterThanThreshold"
        threshold   = 0
        missing     = "notBreaching"
      }
      crawler-failures = {
        description = "webhealth ${local.name}: a crawl run had failures it reported instead of failing (RunFailures > 0): last_check writes, alarm calls, metric batches that failed or target items it could not read, so some targets may lack this interval's metrics, last_check or alarm. Each failure is logged in /aws/lambda/${local.function_names.crawler}; look for throttling or access denied on DynamoDB and CloudWatch (docs/runbook.md, crawler-failures)."
        namespace   = local.metric_namespace
        metric      = "RunFailures"
        dimensions  = { Region = local.region }
        statistic   = "Maximum"
        period      = local.heartbeat_period_seconds
        periods     = 1
        comparison  = "GreaterThanThreshold"
        threshold   = 0
        missing     = "notBreaching"
      }
      # Sum: the shard workers of a fanned-out run each publish their own AlarmsPending (same dimensions), so a
      # period's Sum is the run's total; a Minimum would stay 0 while one shard's alarms never catch up.
      crawler-alarm-backlog = {
        description = "webhealth ${local.name}: the crawl runs of ${local.backlog_periods} crawl intervals in a row (${local.backlog_periods * local.heartbeat_period_seconds} s) each left alarm creations, updates or deletions for the next run (AlarmsPending Sum > 0 in every interval, the shard workers' summed): alarm reconciliation is not catching up, so new, changed or deleted targets keep stale or missing alarms. Look for throttled PutMetricAlarm or DeleteAlarms in /aws/lambda/${local.function_names.crawler}${local.fan_out ? " and /aws/lambda/${local.worker_function_name}" : ""} (docs/runbook.md, crawler-alarm-backlog)."
        namespace   = local.metric_namespace
        metric      = "AlarmsPending"
        dimensions  = { Region = local.region }
        statistic   = "Sum"
        period      = local.heartbeat_period_seconds
        periods     = local.backlog_periods
        comparison  = "GreaterThanThreshold"
        threshold   = 0
        missing     = "notBreaching"
      }
      api-5xx = {
        description = "webhealth ${local.name}: more than 5% of the URL API's requests (${aws_api_gateway_rest_api.this.name}, stage ${var.api.stage_name}) answered 5xx in 5 minutes. Check the ${local.function_names.urlapi}-errors alarm, /aws/lambda/${local.function_names.urlapi} and the access log /aws/apigateway/${local.name}/access (docs/runbook.md, api-5xx)."
        namespace   = "AWS/ApiGateway"
        metric      = "5XXError"
        dimensions  = { ApiName = aws_api_gateway_rest_api.this.name, Stage = var.api.stage_name }
        statistic   = "Average"
        period      = 300
        periods     = 1
        comparison  = "GreaterThanThreshold"
        threshold   = 0.05
        missing     = "notBreaching"
      }
    },
    # The fan-out's queues (fanout.tf), only with crawler.max_shards > 1.
    { for k, a in {
      crawler-shards-age = {
        description = "webhealth ${local.name}: a crawler shard has waited ${local.heartbeat_period_seconds} s (a whole crawl interval) in SQS queue ${local.shard_queue_names.queue} (ApproximateAgeOfOldestMessage), so it missed its run: its worker will drop it and its targets go unjudged this interval. Look for throttles of the worker ${local.worker_function_name} (its -throttles alarm, the account's concurrency) and for a disabled event source mapping (docs/runbook.md, crawler-shards-age)."
        namespace   = "AWS/SQS"
        metric      = "ApproximateAgeOfOldestMessage"
        dimensions  = { QueueName = local.shard_queue_names.queue }
        statistic   = "Maximum"
        period      = 60
        periods     = 1
        comparison  = "GreaterThanOrEqualToThreshold"
        threshold   = local.heartbeat_period_seconds
        missing     = "notBreaching"
      }
      crawler-shards-dlq-messages = {
        description = "webhealth ${local.name}: SQS queue ${local.shard_queue_names.dlq} holds crawler shards a worker failed on (a function error or timeout): their targets were not judged in that run (the next run judges them again; a failed shard is not re-run). Find the cause in /aws/lambda/${local.worker_function_name} and its -errors and -duration alarms (docs/runbook.md, crawler-shards-dlq-messages)."
        namespace   = "AWS/SQS"
        metric      = "ApproximateNumberOfMessagesVisible"
        dimensions  = { QueueName = local.shard_queue_names.dlq }
        statistic   = "Maximum"
        period      = 300
        periods     = 1
        comparison  = "GreaterThanThreshold"
        threshold   = 0
        missing     = "notBreaching"
      }
    } : k => a if local.fan_out },
    {
      for k, q in local.queues : "${k}-messages" => {
        description = "webhealth ${local.name}: SQS queue ${q.queue.name} holds ${q.holds} (the ${q.function} failed on them after Lambda's retries). Find the cause in /aws/lambda/${local.function_names[q.function]}, then read and redrive the messages (docs/runbook.md, ${k}-messages)."
        namespace   = "AWS/SQS"
        metric      = "ApproximateNumberOfMessagesVisible"
        dimensions  = { QueueName = q.queue.name }
        statistic   = "Maximum"
        period      = 300
        periods     = 1
        comparison  = "GreaterThanThreshold"
        threshold   = 0
        missing     = "notBreaching"
      }
    },
  )
}

resource "aws_cloudwatch_metric_alarm" "ops" {
  for_each = local.ops_alarms

  alarm_name          = "${local.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = each.value.period
  evaluation_periods  = each.value.periods
  datapoints_to_alarm = each.value.periods
  threshold           = each.value.threshold
  comparison_operator = each.value.comparison
  treat_missing_data  = each.value.missing
  alarm_actions       = [aws_sns_topic.ops.arn]
  ok_actions          = [aws_sns_topic.ops.arn]
  tags                = local.tags
}

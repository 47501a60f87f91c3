locals {
  duration_threshold_ms = floor(var.timeout * 1000 * var.duration_alarm_percent_of_timeout / 100)

  alarms = {
    errors = {
      metric     = "Errors"
      statistic  = "Sum"
      extended   = null
      threshold  = var.errors_alarm_threshold
      comparison = "GreaterThanOrEqualToThreshold"
      what       = "invocations failed"
    }
    throttles = {
      metric     = "Throttles"
      statistic  = "Sum"
      extended   = null
      threshold  = 1
      comparison = "GreaterThanOrEqualToThreshold"
      what       = "invocations were throttled"
    }
    duration = {
      metric     = "Duration"
      statistic  = null
      extended   = "p99"
      threshold  = local.duration_threshold_ms
      comparison = "GreaterThanThreshold"
      what       = "p99 duration is above ${var.duration_alarm_percent_of_timeout}% of the ${var.timeout}s timeout"
    }
  }
}

# Operational alarms; with CodeDeploy they also stop and roll back a canary deployment.
resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.function_name}-${each.key}"
  alarm_description   = "${var.function_name}: ${each.value.what}"
  namespace           = "AWS/Lambda"
  metric_name         = each.value.metric
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = each.value.statistic
  extended_statistic  = each.value.extended
  period              = var.alarm_period_seconds
  evaluation_periods  = var.alarm_evaluation_periods
  threshold           = each.value.threshold
  comparison_operator = each.value.comparison
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
  ok_actions          = [var.alarm_topic_arn]
  tags                = local.tags
}

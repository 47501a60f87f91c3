locals {
  topics = {
    # Per-target alarms made by the crawler: their state changes are recorded by the alarmlogger.
    alarms = { name = "${local.name}-alarms", alarm_arns = "${local.arn_prefix.cloudwatch}:alarm:${local.alarm_prefix}-*" }
    # Operational alarms of the functions (for people and paging integrations to subscribe to).
    ops = { name = "${local.name}-ops", alarm_arns = "${local.arn_prefix.cloudwatch}:alarm:${local.name}-*" }
  }
}

resource "aws_sns_topic" "alarms" {
  name              = local.topics.alarms.name
  kms_master_key_id = aws_kms_key.this.arn
  tags              = local.tags
}

resource "aws_sns_topic" "ops" {
  name              = local.topics.ops.name
  kms_master_key_id = aws_kms_key.this.arn
  tags              = local.tags
}

# Only CloudWatch alarms of this account (and of this stack's alarm names) may publish; the account's own
# principals keep their IAM-granted access.
resource "aws_sns_topic_policy" "this" {
  for_each = { alarms = aws_sns_topic.alarms.arn, ops = aws_sns_topic.ops.arn }

  arn = each.value
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "CloudWatchAlarmsOfThisAccount"
      Effect    = "Allow"
      Principal = { Service = "cloudwatch.amazonaws.com" }
      Action    = ["sns:Publish"]
      Resource  = each.value
      Condition = {
        StringEquals = { "aws:SourceAccount" = local.account_id }
        ArnLike      = { "aws:SourceArn" = local.topics[each.key].alarm_arns }
      }
    }]
  })
}

resource "aws_sns_topic_subscription" "alarmlogger" {
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "lambda"
  endpoint  = module.alarmlogger.alias_arn

  depends_on = [aws_lambda_permission.alarmlogger_from_sns]
}

resource "aws_lambda_permission" "alarmlogger_from_sns" {
  statement_id  = "AllowAlarmTopic"
  action        = "lambda:InvokeFunction"
  function_name = module.alarmlogger.function_name
  qualifier     = module.alarmlogger.alias_name
  principal     = "sns.amazonaws.com"
  source_arn    = aws_sns_topic.alarms.arn
}

# Alarm notifications the alarmlogger failed on after Lambda's retries.
resource "aws_sqs_queue" "alarmlogger_failures" {
  name                      = "${local.name}-alarmlogger-failures"
  kms_master_key_id         = aws_kms_key.this.arn
  message_retention_seconds = 1209600
  tags                      = local.tags
}

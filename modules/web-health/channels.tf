# The channels of var.notifications that are plain subscriptions of both topics: e-mail and AWS Chatbot.
# (Webhooks go through the notifier, notifier.tf.) These receive CloudWatch's own alarm notifications.

locals {
  notification_topics = { alarms = aws_sns_topic.alarms.arn, ops = aws_sns_topic.ops.arn }

  email_subscriptions = {
    for pair in setproduct(keys(local.notification_topics), var.notifications.emails) : "${pair[0]} ${pair[1]}" => {
      topic_arn = local.notification_topics[pair[0]]
      email     = pair[1]
    }
  }

  chatbot_enabled = length(var.notifications.slack_channels) + length(var.notifications.teams_channels) > 0
}

resource "aws_sns_topic_subscription" "email" {
  for_each = local.email_subscriptions

  topic_arn = each.value.topic_arn
  protocol  = "email"
  endpoint  = each.value.email
}

# The role Chatbot assumes to show an alarm's details in the channel: CloudWatch reads only.
resource "aws_iam_role" "chatbot" {
  count = local.chatbot_enabled ? 1 : 0

  name        = "${local.name}-chatbot"
  description = "AWS Chatbot channels of ${local.name}: read the CloudWatch alarms they are notified about"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "ChatbotAssume"
      Effect    = "Allow"
      Principal = { Service = "chatbot.amazonaws.com" }
      Action    = ["sts:AssumeRole"]
    }]
  })
  tags = local.tags
}

resource "aws_iam_role_policy" "chatbot" {
  count = local.chatbot_enabled ? 1 : 0

  name = "read-alarms"
  role = aws_iam_role.chatbot[0].id
  # DescribeAlarms, GetMetricData, GetMetricStatistics, GetMetricWidgetImage and ListMetrics have no
  # resource-level permissions, so ReadAlarmsAndMetrics needs Resource "*".
  #tfsec:ignore:aws-iam-no-policy-wildcards
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadAlarmsAndMetrics"
        Effect   = "Allow"
        Action   = ["cloudwatch:DescribeAlarms", "cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics", "cloudwatch:GetMetricWidgetImage", "cloudwatch:ListMetrics"]
        Resource = ["*"]
      },
      {
        Sid      = "ReadAlarmHistory"
        Effect   = "Allow"
        Action   = ["cloudwatch:DescribeAlarmHistory"]
        Resource = ["${local.arn_prefix.cloudwatch}:alarm:${local.name}-*"]
      },
    ]
  })
}

locals {
  # What anyone in a channel may do through Chatbot, whatever the role allows: read CloudWatch.
  chatbot_guardrail_policy_arns = ["arn:${local.partition}:iam::aws:policy/CloudWatchReadOnlyAccess"]
}

# Chatbot is a global service; the provider manages it through one of its API regions (us-west-2 when the
# stack's region has none). Configuration names are unique per account, so they carry the stack name.
resource "aws_chatbot_slack_channel_configuration" "this" {
  for_each = { for c in var.notifications.slack_channels : c.name => c }

  configuration_name    = "${local.name}-${each.key}"
  iam_role_arn          = aws_iam_role.chatbot[0].arn
  slack_team_id         = each.value.slack_team_id
  slack_channel_id      = each.value.slack_channel_id
  sns_topic_arns        = values(local.notification_topics)
  guardrail_policy_arns = local.chatbot_guardrail_policy_arns
  logging_level         = "ERROR"
  tags                  = local.tags

  depends_on = [aws_iam_role_policy.chatbot]
}

resource "aws_chatbot_teams_channel_configuration" "this" {
  for_each = { for c in var.notifications.teams_channels : c.name => c }

  configuration_name    = "${local.name}-${each.key}"
  iam_role_arn          = aws_iam_role.chatbot[0].arn
  team_id               = each.value.team_id
  tenant_id             = each.value.tenant_id
  channel_id            = each.value.channel_id
  sns_topic_arns        = values(local.notification_topics)
  guardrail_policy_arns = local.chatbot_guardrail_policy_arns
  logging_level         = "ERROR"
  tags                  = local.tags

  depends_on = [aws_iam_role_policy.chatbot]
}

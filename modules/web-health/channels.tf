# The channels of var.notifications that people read without a webhook: e-mail and AWS Chatbot (Slack,
# Teams). They subscribe to the people topic, which only the notifier publishes to: one readable message per
# state change it tells (never a muted target's change or a new alarm's first evaluation, once also when SNS
# delivers an alarm twice), docs/design.md "Notifications". Nobody subscribes to the alarm and ops topics but
# the alarm logger and the notifier, so CloudWatch's raw notifications reach no person. (Webhooks are posted
# by the notifier itself, notifier.tf.)

locals {
  chatbot_enabled = length(var.notifications.slack_channels) + length(var.notifications.teams_channels) > 0

  # The people topic exists only when someone subscribes to it.
  people_topic_enabled = length(var.notifications.emails) > 0 || local.chatbot_enabled
  people_topic_arn     = one(aws_sns_topic.notifications[*].arn)
}

resource "aws_sns_topic" "notifications" {
  count = local.people_topic_enabled ? 1 : 0

  name              = "${local.name}-notifications"
  kms_master_key_id = aws_kms_key.this.arn
  tags              = local.tags
}

# Only the notifier publishes to the people topic: whatever else an IAM policy of the account allows, no other
# principal (nor any service) may put a message in front of the people subscribed to it.
resource "aws_sns_topic_policy" "notifications" {
  count = local.people_topic_enabled ? 1 : 0

  arn = aws_sns_topic.notifications[0].arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "TheNotifierPublishes"
        Effect    = "Allow"
        Principal = { AWS = module.notifier.role_arn }
        Action    = ["sns:Publish"]
        Resource  = aws_sns_topic.notifications[0].arn
      },
      {
        Sid       = "NobodyElsePublishes"
        Effect    = "Deny"
        Principal = "*"
        Action    = ["sns:Publish"]
        Resource  = aws_sns_topic.notifications[0].arn
        Condition = { ArnNotEquals = { "aws:PrincipalArn" = module.notifier.role_arn } }
      },
    ]
  })
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.notifications.emails)

  topic_arn = aws_sns_topic.notifications[0].arn
  protocol  = "email"
  endpoint  = each.value
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
  sns_topic_arns        = [aws_sns_topic.notifications[0].arn]
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
  sns_topic_arns        = [aws_sns_topic.notifications[0].arn]
  guardrail_policy_arns = local.chatbot_guardrail_policy_arns
  logging_level         = "ERROR"
  tags                  = local.tags

  depends_on = [aws_iam_role_policy.chatbot]
}

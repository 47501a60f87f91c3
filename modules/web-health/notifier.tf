# The notifier: subscribed to both topics, it decides who is told of each state change and tells them once: it
# posts to every webhook of var.notifications and publishes to the people topic (channels.tf) that e-mail and
# Chatbot subscribe to (docs/design.md, "Notifier"). It always exists; with no channel at all it reads and drops.

locals {
  # NOTIFY_CHANNELS as the notifier reads it: name, format and exactly one of ssm_parameter or secret_id.
  notify_channels = [for w in var.notifications.webhooks : merge(
    { name = w.name, format = w.format },
    w.ssm_parameter != null ? { ssm_parameter = w.ssm_parameter } : { secret_id = w.secret_id },
  )]

  # Console bases of the partitions whose console is not the standard one (CONSOLE_URL).
  partition_console_urls = {
    aws-cn     = "https://console.amazonaws.cn"
    aws-us-gov = "https://console.amazonaws-us-gov.com"
  }

  # The exact parameters and secrets the channels name: the notifier may read those and nothing else.
  channel_parameter_arns = [for w in var.notifications.webhooks : "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter${w.ssm_parameter}" if w.ssm_parameter != null]
  channel_secret_ids     = [for w in var.notifications.webhooks : w.secret_id if w.secret_id != null]
  # A secret named without its ARN: Secrets Manager appends '-' and six random characters to the name.
  channel_secret_arns = [for id in local.channel_secret_ids : startswith(id, "arn:") ? id : "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:${id}-??????"]
  # The KMS keys of a secret live in its region and account; the encryption context names the secret.
  channel_secret_key_arns = distinct([for arn in local.channel_secret_arns : "arn:${local.partition}:kms:${split(":", arn)[3]}:${split(":", arn)[4]}:key/*"])
  channel_secret_regions  = distinct([for arn in local.channel_secret_arns : split(":", arn)[3]])

  notifier_policy_statements = concat(
    [
      {
        sid       = "ReadTargets"
        actions   = ["dynamodb:GetItem"]
        resources = [local.urls_table_arn]
      },
      {
        # When the ALARM that an OK recovers from began.
        sid       = "ReadAlarmHistory"
        actions   = ["dynamodb:Query"]
        resources = [aws_dynamodb_table.alarms.arn]
      },
      {
        # One delivery per SNS message and channel: claim and complete (UpdateItem), release a failed claim (DeleteItem), look up.
        sid       = "RecordDeliveries"
        actions   = ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
        resources = [aws_dynamodb_table.deliveries.arn]
      },
      local.use_key_statement,
    ],
    [for s in [
      {
        # The people topic: one message per state change told, for e-mail and Chatbot.
        sid       = "PublishToPeople"
        actions   = ["sns:Publish"]
        resources = [local.people_topic_arn]
      },
      {
        # The topic is encrypted with the stack key: a data key for each message, through SNS and for that topic only.
        sid       = "EncryptForPeople"
        actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
        resources = [aws_kms_key.this.arn]
        conditions = [
          { test = "StringEquals", variable = "kms:ViaService", values = ["sns.${local.region}.amazonaws.com"] },
          { test = "StringEquals", variable = "kms:EncryptionContext:aws:sns:topicArn", values = [local.people_topic_arn] },
        ]
      },
    ] : s if local.people_topic_enabled],
    [for s in [
      {
        sid       = "ReadChannelParameters"
        actions   = ["ssm:GetParameter"]
        resources = local.channel_parameter_arns
      },
      {
        # SecureStrings under any key of this account and region, but only for these parameters (SSM puts the
        # parameter's ARN into the encryption context); the AWS managed aws/ssm key needs no grant.
        sid       = "DecryptChannelParameters"
        actions   = ["kms:Decrypt"]
        resources = ["arn:${local.partition}:kms:${local.region}:${local.account_id}:key/*"]
        conditions = [
          { test = "StringEquals", variable = "kms:ViaService", values = ["ssm.${local.region}.amazonaws.com"] },
          { test = "StringEquals", variable = "kms:EncryptionContext:PARAMETER_ARN", values = local.channel_parameter_arns },
        ]
      },
    ] : s if length(local.channel_parameter_arns) > 0],
    [for s in [
      {
        sid       = "ReadChannelSecrets"
        actions   = ["secretsmanager:GetSecretValue"]
        resources = local.channel_secret_arns
      },
      {
        # As for the parameters: Secrets Manager puts the secret's ARN into the encryption context.
        sid       = "DecryptChannelSecrets"
        actions   = ["kms:Decrypt"]
        resources = local.channel_secret_key_arns
        conditions = [
          { test = "StringEquals", variable = "kms:ViaService", values = [for r in local.channel_secret_regions : "secretsmanager.${r}.amazonaws.com"] },
          { test = "StringLike", variable = "kms:EncryptionContext:SecretARN", values = local.channel_secret_arns },
        ]
      },
    ] : s if length(local.channel_secret_arns) > 0],
  )

  # What the notifier is told beyond the fixed settings in functions.tf: the people topic, when there is one.
  notifier_topic_environment = local.people_topic_enabled ? { NOTIFY_TOPIC_ARN = local.people_topic_arn } : {}

  # Both topics reach the notifier: the target alarms and the stack's operational alarms.
  notifier_topics = {
    alarms = { arn = aws_sns_topic.alarms.arn, statement_id = "AllowAlarmTopic" }
    ops    = { arn = aws_sns_topic.ops.arn, statement_id = "AllowOpsTopic" }
  }
}

resource "aws_sns_topic_subscription" "notifier" {
  for_each = local.notifier_topics

  topic_arn = each.value.arn
  protocol  = "lambda"
  endpoint  = module.notifier.alias_arn

  depends_on = [aws_lambda_permission.notifier_from_sns]
}

resource "aws_lambda_permission" "notifier_from_sns" {
  for_each = local.notifier_topics

  statement_id  = each.value.statement_id
  action        = "lambda:InvokeFunction"
  function_name = module.notifier.function_name
  qualifier     = module.notifier.alias_name
  principal     = "sns.amazonaws.com"
  source_arn    = each.value.arn
}

# Notifications the notifier still failed on after Lambda's retries (a channel kept failing).
resource "aws_sqs_queue" "notifier_failures" {
  name                      = "${local.name}-notifier-failures"
  kms_master_key_id         = aws_kms_key.this.arn
  message_retention_seconds = 1209600
  tags                      = local.tags
}

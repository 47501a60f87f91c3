# One encrypted topic for the people who own this environment: failed pipeline executions, approvals
# waiting, drift found by the scheduled check.

resource "aws_sns_topic" "notifications" {
  name              = "${local.name}-release-notifications"
  kms_master_key_id = aws_kms_key.this.arn
  tags              = local.tags
}

resource "aws_sns_topic_policy" "notifications" {
  arn    = aws_sns_topic.notifications.arn
  policy = jsonencode(local.topic_policy)
}

locals {
  topic_policy = {
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid       = "CodeStarNotificationsPublishPipelineEvents"
          Effect    = "Allow"
          Principal = { Service = "codestar-notifications.amazonaws.com" }
          Action    = "sns:Publish"
          Resource  = aws_sns_topic.notifications.arn
          Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
        },
      ],
      local.drift_enabled ? [
        {
          Sid       = "EventBridgePublishesDriftAlerts"
          Effect    = "Allow"
          Principal = { Service = "events.amazonaws.com" }
          Action    = "sns:Publish"
          Resource  = aws_sns_topic.notifications.arn
          Condition = { ArnEquals = { "aws:SourceArn" = aws_cloudwatch_event_rule.drift_failed[0].arn } }
        },
      ] : [],
    )
  }
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.notification_emails)

  topic_arn = aws_sns_topic.notifications.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_codestarnotifications_notification_rule" "pipeline_failed" {
  name        = "${local.pipeline_name}-failed"
  resource    = aws_codepipeline.release.arn
  detail_type = "FULL"
  event_type_ids = [
    "codepipeline-pipeline-pipeline-execution-failed",
    "codepipeline-pipeline-manual-approval-failed",
  ]

  target {
    type    = "SNS"
    address = aws_sns_topic.notifications.arn
  }

  tags = local.tags

  depends_on = [aws_sns_topic_policy.notifications]
}

# The drift build fails when `terraform plan -detailed-exitcode` exits 2 (drift) or when the check itself
# breaks; either way someone has to look. The log holds the drifted resource addresses.
resource "aws_cloudwatch_event_rule" "drift_failed" {
  count = local.drift_enabled ? 1 : 0

  name        = "${local.name}-drift-failed"
  description = "The ${var.environment} drift check found drift or could not run"
  event_pattern = jsonencode({
    source        = ["aws.codebuild"]
    "detail-type" = ["CodeBuild Build State Change"]
    detail = {
      "project-name" = [aws_codebuild_project.stage["drift"].name]
      "build-status" = ["FAILED", "FAULT", "TIMED_OUT", "STOPPED"]
    }
  })
  tags = local.tags
}

resource "aws_cloudwatch_event_target" "drift_failed" {
  count = local.drift_enabled ? 1 : 0

  rule = aws_cloudwatch_event_rule.drift_failed[0].name
  arn  = aws_sns_topic.notifications.arn

  input_transformer {
    input_paths = {
      build    = "$.detail.build-id"
      status   = "$.detail.build-status"
      snapshot = "$.detail.additional-information.source.location"
      logs     = "$.detail.additional-information.logs.deep-link"
    }
    input_template = "\"${var.environment} drift check <status>: live infrastructure differs from the release recorded at <snapshot> (terraform plan exit code 2), or the check could not run. Build <build>, log <logs>\""
  }
}

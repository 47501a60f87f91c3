# Scheduled drift check: for each configured region/team release, EventBridge Scheduler starts the drift
# project on the snapshot the last successful apply of that release recorded (its sources, its Lambda zips
# and its tag), so the check compares the live infrastructure with exactly the code that was released.
# The build runs `make ci-drift`: `terraform plan -detailed-exitcode`; exit code 2 fails the build and
# notifications.tf turns the failure into an SNS alert.

resource "aws_iam_role" "scheduler" {
  count = local.drift_enabled ? 1 : 0

  name        = "${local.name}-drift-scheduler"
  description = "EventBridge Scheduler role: start the ${var.environment} drift check"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "scheduler.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })
  tags = local.tags
}

locals {
  scheduler_policy = {
    Version = "2012-10-17"
    Statement = [{
      Sid      = "StartDriftCheck"
      Effect   = "Allow"
      Action   = ["codebuild:StartBuild"]
      Resource = [local.project_arns["drift"]]
    }]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  count = local.drift_enabled ? 1 : 0

  name   = "start-drift-check"
  role   = aws_iam_role.scheduler[0].id
  policy = jsonencode(local.scheduler_policy)
}

resource "aws_scheduler_schedule" "drift" {
  for_each = local.drift_releases

  # Names allow letters, digits, '.', '-', '_'; at most 64 characters.
  name                         = substr("${local.name}-drift-${each.value.region}-${each.value.team}", 0, 64)
  description                  = "Drift check of the ${var.environment} release ${each.key}"
  schedule_expression          = var.drift_schedule_expression
  schedule_expression_timezone = var.drift_schedule_timezone
  state                        = "ENABLED"

  flexible_time_window {
    mode                      = "FLEXIBLE"
    maximum_window_in_minutes = 15
  }

  target {
    # Universal target: the input is the StartBuild request, so each schedule points the project at its own
    # release snapshot.
    arn      = "arn:${local.partition}:scheduler:::aws-sdk:codebuild:startBuild"
    role_arn = aws_iam_role.scheduler[0].arn
    input = jsonencode({
      ProjectName            = aws_codebuild_project.stage["drift"].name
      SourceTypeOverride     = "S3"
      SourceLocationOverride = local.snapshot_locations[each.key]
      EnvironmentVariablesOverride = [
        { Name = "DRIFT_RELEASE", Value = each.key, Type = "PLAINTEXT" },
      ]
    })

    retry_policy {
      maximum_retry_attempts       = 2
      maximum_event_age_in_seconds = 3600
    }
  }
}

# Where releases come from.
#
# connection: a CodeConnections connection (GitHub, GitLab, Bitbucket). The V2 pipeline trigger in pipeline.tf
#   starts an execution for each pushed tag matching tag_pattern, at the tagged commit, and the source action
#   emits the tag as #{SourceVariables.TagName}.
# codecommit: pipeline triggers only support connections, so an EventBridge rule matches the tag creation
#   events of the repository and starts a tiny CodeBuild "starter" that calls StartPipelineExecution with the
#   tagged commit as source revision and the tag as the pipeline variable RELEASE_TAG.

locals {
  use_connection = var.source_type == "connection"
  use_codecommit = var.source_type == "codecommit"

  connection_arn = local.use_connection ? coalesce(var.connection_arn, one(aws_codeconnections_connection.this[*].arn)) : null
  # Connections created before the CodeConnections rename have codestar-connections ARNs; IAM matches the
  # ARN as written, so grant both spellings.
  connection_arns = local.use_connection ? distinct([
    local.connection_arn,
    replace(local.connection_arn, ":codestar-connections:", ":codeconnections:"),
    replace(local.connection_arn, ":codeconnections:", ":codestar-connections:"),
  ]) : []

  codecommit_repository_arn = "arn:${local.partition}:codecommit:${local.region}:${local.account_id}:${var.repository}"
  starter_name              = "${local.name}-release-starter"
}

resource "aws_codeconnections_connection" "this" {
  count = local.use_connection && var.connection_arn == null ? 1 : 0

  # 32 characters at most; the handshake with the provider is completed once in the console.
  name          = substr("${local.name}-${lower(var.connection_provider)}", 0, 32)
  provider_type = var.connection_provider
  tags          = local.tags
}

# --- CodeCommit: tag created -> starter build -> StartPipelineExecution ---------------------------------

resource "aws_cloudwatch_event_rule" "codecommit_tag" {
  count = local.use_codecommit ? 1 : 0

  name        = "${local.name}-release-tag"
  description = "A ${local.tag_pattern} tag was created in ${var.repository}: start the ${var.environment} release"
  event_pattern = jsonencode({
    source        = ["aws.codecommit"]
    "detail-type" = ["CodeCommit Repository State Change"]
    resources     = [local.codecommit_repository_arn]
    detail = {
      event         = ["referenceCreated"]
      referenceType = ["tag"]
      referenceName = [{ wildcard = local.tag_pattern }]
    }
  })
  tags = local.tags
}

resource "aws_cloudwatch_event_target" "codecommit_tag" {
  count = local.use_codecommit ? 1 : 0

  rule     = aws_cloudwatch_event_rule.codecommit_tag[0].name
  arn      = aws_codebuild_project.starter[0].arn
  role_arn = aws_iam_role.events_starter[0].arn

  # The event becomes the StartBuild request: the tag and its commit as environment variables.
  input_transformer {
    input_paths = {
      tag    = "$.detail.referenceName"
      commit = "$.detail.commitId"
    }
    input_template = <<-EOT
      {"environmentVariablesOverride": [
        {"name": "RELEASE_TAG", "type": "PLAINTEXT", "value": "<tag>"},
        {"name": "COMMIT_ID", "type": "PLAINTEXT", "value": "<commit>"}
      ]}
    EOT
  }
}

resource "aws_cloudwatch_log_group" "starter" {
  count = local.use_codecommit ? 1 : 0

  name              = "/aws/codebuild/${local.starter_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
  tags              = local.tags
}

resource "aws_codebuild_project" "starter" {
  count = local.use_codecommit ? 1 : 0

  name           = local.starter_name
  description    = "Starts the ${var.environment} release pipeline at a tagged CodeCommit commit"
  service_role   = aws_iam_role.starter[0].arn
  build_timeout  = 5
  encryption_key = aws_kms_key.this.arn

  artifacts {
    type = "NO_ARTIFACTS"
  }

  environment {
    type         = var.build_environment.type
    image        = var.build_environment.image
    compute_type = "BUILD_GENERAL1_SMALL"

    environment_variable {
      name  = "PIPELINE_NAME"
      value = local.pipeline_name
    }
  }

  # No repository checkout: this build only calls one API. The values come from the event, are passed as
  # JSON by jq, and never reach a shell unquoted.
  source {
    type      = "NO_SOURCE"
    buildspec = <<-EOT
      version: 0.2
      phases:
        build:
          commands:
            - test -n "$RELEASE_TAG" && test -n "$COMMIT_ID"
            - >-
              aws codepipeline start-pipeline-execution --name "$PIPELINE_NAME"
              --variables "$(jq -nc --arg v "$RELEASE_TAG" '[{name:"RELEASE_TAG",value:$v}]')"
              --source-revisions "$(jq -nc --arg c "$COMMIT_ID" '[{actionName:"Source",revisionType:"COMMIT_ID",revisionValue:$c}]')"
    EOT
  }

  logs_config {
    cloudwatch_logs {
      group_name = aws_cloudwatch_log_group.starter[0].name
    }
  }

  tags = local.tags
}

resource "aws_iam_role" "starter" {
  count = local.use_codecommit ? 1 : 0

  name               = local.starter_name
  description        = "CodeBuild role of the ${var.environment} release starter: StartPipelineExecution only"
  assume_role_policy = jsonencode(local.codebuild_trust[local.starter_name])
  tags               = local.tags
}

resource "aws_iam_role_policy" "starter" {
  count = local.use_codecommit ? 1 : 0

  name = "start-release"
  role = aws_iam_role.starter[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "StartTheReleasePipeline"
        Effect   = "Allow"
        Action   = ["codepipeline:StartPipelineExecution"]
        Resource = [local.pipeline_arn]
      },
      {
        Sid      = "WriteBuildLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${aws_cloudwatch_log_group.starter[0].arn}:*"]
      },
      {
        Sid      = "EncryptBuildOutput"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
        Resource = [aws_kms_key.this.arn]
      },
    ]
  })
}

resource "aws_iam_role" "events_starter" {
  count = local.use_codecommit ? 1 : 0

  name        = "${local.name}-release-tag-events"
  description = "EventBridge role: start the ${var.environment} release starter build"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })
  tags = local.tags
}

resource "aws_iam_role_policy" "events_starter" {
  count = local.use_codecommit ? 1 : 0

  name = "start-starter-build"
  role = aws_iam_role.events_starter[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "StartTheStarterBuild"
      Effect   = "Allow"
      Action   = ["codebuild:StartBuild"]
      Resource = [aws_codebuild_project.starter[0].arn]
    }]
  })
}

# Least privilege, one role per CodeBuild project plus the pipeline role. No statement allows a wildcard
# action. The plan/apply/test/drift builds have no rights in the workload account of their own: they assume
# a role there (ASSUME_ROLE_ARN; platform release hands its session to Terraform and CodeDeploy): plan, test
# and drift var.readonly_role_arn, apply alone var.deployment_role_arn.
# Policies are built as plain objects (not aws_iam_policy_document) so tests can read the exact JSON.

locals {
  codebuild_trust = {
    for name in concat(values(local.project_names), [local.starter_name]) : name => {
      Version = "2012-10-17"
      Statement = [{
        Effect    = "Allow"
        Principal = { Service = "codebuild.amazonaws.com" }
        Action    = "sts:AssumeRole"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
          ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:codebuild:${local.region}:${local.account_id}:project/${name}" }
        }
      }]
    }
  }

  bucket_arn = aws_s3_bucket.artifacts.arn

  project_policies = {
    for stage, s in local.projects : stage => {
      Version = "2012-10-17"
      Statement = concat(
        [
          {
            Sid      = "WriteBuildLogs"
            Effect   = "Allow"
            Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
            Resource = ["${aws_cloudwatch_log_group.project[stage].arn}:*"]
          },
          {
            Sid      = "PublishTestReports"
            Effect   = "Allow"
            Action   = ["codebuild:CreateReport", "codebuild:UpdateReport", "codebuild:BatchPutTestCases", "codebuild:BatchPutCodeCoverages"]
            Resource = [aws_codebuild_report_group.junit[stage].arn]
          },
          {
            Sid      = "UseToolchainKey"
            Effect   = "Allow"
            Action   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
            Resource = [aws_kms_key.this.arn]
          },
          {
            Sid      = "LocateArtifactBucket"
            Effect   = "Allow"
            Action   = ["s3:GetBucketAcl", "s3:GetBucketLocation"]
            Resource = [local.bucket_arn]
          },
        ],
        s.pipeline ? [
          {
            # Pipeline artifacts live under a key prefix CodePipeline derives from the pipeline name, and
            # the build cache under cache/<stage>/.
            Sid      = "ReadWritePipelineArtifactsAndCache"
            Effect   = "Allow"
            Action   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]
            Resource = ["${local.bucket_arn}/*"]
          },
          ] : [
          {
            Sid      = "ReadReleaseSnapshots"
            Effect   = "Allow"
            Action   = ["s3:GetObject", "s3:GetObjectVersion"]
            Resource = ["${local.bucket_arn}/${local.snapshot_prefix}/*"]
          },
          {
            Sid      = "ReadWriteBuildCache"
            Effect   = "Allow"
            Action   = ["s3:GetObject", "s3:PutObject"]
            Resource = ["${local.bucket_arn}/cache/${stage}/*"]
          },
        ],
        # Only the apply build records release snapshots: a compromised validate or test build cannot change
        # what the drift check compares against.
        s.pipeline && stage != "apply" ? [
          {
            Sid      = "NeverWriteReleaseSnapshots"
            Effect   = "Deny"
            Action   = ["s3:PutObject"]
            Resource = ["${local.bucket_arn}/releases/*"]
          },
        ] : [],
        # The approval is a boundary: each project may assume its own workload role only (the read-only role
        # for plan, test, drift), and every project but apply is denied the deployment role outright, so no
        # code run before the approval can change the workload.
        s.role == null ? [] : [
          {
            Sid      = s.role == "deployment" ? "AssumeWorkloadDeploymentRole" : "AssumeWorkloadReadOnlyRole"
            Effect   = "Allow"
            Action   = ["sts:AssumeRole"]
            Resource = [local.role_arns[s.role]]
          },
        ],
        s.role == "deployment" ? [] : [
          {
            Sid      = "NeverAssumeWorkloadDeploymentRole"
            Effect   = "Deny"
            Action   = ["sts:AssumeRole"]
            Resource = [var.deployment_role_arn]
          },
        ],
        # The release guard of plan and apply lists the prior environment's release records (release_promotion):
        # keys only, under its versions/ prefix (no object is read, so no key of that pipeline is needed).
        s.guarded && local.prior_records != null ? [
          {
            Sid       = "ListPriorReleaseRecords"
            Effect    = "Allow"
            Action    = ["s3:ListBucket"]
            Resource  = ["arn:${local.partition}:s3:::${local.prior_records.bucket}"]
            Condition = { StringLike = { "s3:prefix" = ["${local.prior_records.prefix}/*"] } }
          },
        ] : [],
        # Full clones (CODEBUILD_CLONE_REF, so the guard can see the release branch's history): the build clones
        # through the source connection, or pulls from CodeCommit.
        s.pipeline && local.use_connection ? [
          {
            Sid      = "CloneThroughSourceConnection"
            Effect   = "Allow"
            Action   = ["codeconnections:UseConnection", "codestar-connections:UseConnection"]
            Resource = local.connection_arns
          },
        ] : [],
        s.pipeline && local.use_codecommit ? [
          {
            Sid      = "CloneCodeCommitSource"
            Effect   = "Allow"
            Action   = ["codecommit:GitPull"]
            Resource = [local.codecommit_repository_arn]
          },
        ] : [],
      )
    }
  }

  pipeline_policy = {
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "ReadWriteArtifacts"
          Effect   = "Allow"
          Action   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]
          Resource = ["${local.bucket_arn}/*"]
        },
        {
          Sid      = "InspectArtifactBucket"
          Effect   = "Allow"
          Action   = ["s3:GetBucketVersioning", "s3:GetBucketAcl", "s3:GetBucketLocation"]
          Resource = [local.bucket_arn]
        },
        {
          Sid      = "UseToolchainKey"
          Effect   = "Allow"
          Action   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
          Resource = [aws_kms_key.this.arn]
        },
        {
          Sid      = "RunStageBuilds"
          Effect   = "Allow"
          Action   = ["codebuild:StartBuild", "codebuild:BatchGetBuilds", "codebuild:StopBuild"]
          Resource = [for stage, s in local.stages : local.project_arns[stage] if s.pipeline]
        },
        {
          Sid      = "NotifyApprovers"
          Effect   = "Allow"
          Action   = ["sns:Publish"]
          Resource = [aws_sns_topic.notifications.arn]
        },
      ],
      local.use_connection ? [
        {
          Sid      = "UseSourceConnection"
          Effect   = "Allow"
          Action   = ["codeconnections:UseConnection", "codestar-connections:UseConnection"]
          Resource = local.connection_arns
        },
      ] : [],
      local.use_codecommit ? [
        {
          Sid    = "ReadCodeCommitSource"
          Effect = "Allow"
          Action = [
            "codecommit:GetBranch", "codecommit:GetCommit", "codecommit:GetRepository",
            "codecommit:UploadArchive", "codecommit:GetUploadArchiveStatus", "codecommit:CancelUploadArchive",
          ]
          Resource = [local.codecommit_repository_arn]
        },
      ] : [],
    )
  }
}

resource "aws_iam_role" "project" {
  for_each = local.projects

  name               = "${local.project_names[each.key]}-build"
  description        = "CodeBuild role of the ${var.environment} ${each.key} stage"
  assume_role_policy = jsonencode(local.codebuild_trust[local.project_names[each.key]])
  tags               = local.tags
}

resource "aws_iam_role_policy" "project" {
  for_each = local.projects

  name   = "${each.key}-stage"
  role   = aws_iam_role.project[each.key].id
  policy = jsonencode(local.project_policies[each.key])
}

resource "aws_iam_role" "pipeline" {
  name        = "${local.pipeline_name}-pipeline"
  description = "CodePipeline role of the ${var.environment} release pipeline"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "codepipeline.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })
  tags = local.tags
}

resource "aws_iam_role_policy" "pipeline" {
  name   = "release-pipeline"
  role   = aws_iam_role.pipeline.id
  policy = jsonencode(local.pipeline_policy)
}

# The release pipeline of one environment:
#   Source -> Build (validate + build, in parallel) -> Plan -> [Approve] -> Apply -> Test
#
# How the tag reaches the builds: with a connection source, the V2 tag trigger starts the execution at the
# tagged commit and the source action emits the tag as #{SourceVariables.TagName}; with CodeCommit the starter
# passes it as the pipeline variable #{variables.RELEASE_TAG}. Either way every CodeBuild action receives it
# as the environment variable RELEASE_TAG, and buildspec.yml runs `make ci-<STAGE> TAG="$RELEASE_TAG"`.
# An execution started by hand has no tag: make then stops with the release tag parser's message.

locals {
  release_tag_expression = local.use_connection ? "#{SourceVariables.TagName}" : "#{variables.RELEASE_TAG}"

  # Environment variables the pipeline adds to each CodeBuild action.
  action_env = jsonencode([
    { name = "RELEASE_TAG", value = local.release_tag_expression, type = "PLAINTEXT" },
    { name = "RELEASE_COMMIT", value = "#{SourceVariables.CommitId}", type = "PLAINTEXT" },
    { name = "PIPELINE_EXECUTION_ID", value = "#{codepipeline.PipelineExecutionId}", type = "PLAINTEXT" },
  ])

  source_action = local.use_connection ? {
    provider = "CodeStarSourceConnection"
    configuration = {
      ConnectionArn        = local.connection_arn
      FullRepositoryId     = var.repository
      BranchName           = var.source_branch
      OutputArtifactFormat = "CODEBUILD_CLONE_REF" # a full clone: the release guard checks the branch history
    }
    } : {
    provider = "CodeCommit"
    configuration = {
      RepositoryName       = var.repository
      BranchName           = var.source_branch
      PollForSourceChanges = "false"
      OutputArtifactFormat = "CODEBUILD_CLONE_REF" # a full clone: the release guard checks the branch history
    }
  }
}

resource "aws_codepipeline" "release" {
  name          = local.pipeline_name
  pipeline_type = "V2"
  # Tags of different regions/teams queue up one after another: SUPERSEDED would silently skip a release.
  execution_mode = "QUEUED"
  role_arn       = aws_iam_role.pipeline.arn

  artifact_store {
    type     = "S3"
    location = aws_s3_bucket.artifacts.bucket

    encryption_key {
      type = "KMS"
      id   = aws_kms_key.this.arn
    }
  }

  dynamic "trigger" {
    for_each = local.use_connection ? [local.tag_pattern] : []
    content {
      provider_type = "CodeStarSourceConnection"
      git_configuration {
        source_action_name = "Source"
        push {
          tags {
            includes = [trigger.value]
          }
        }
      }
    }
  }

  dynamic "variable" {
    for_each = local.use_codecommit ? ["RELEASE_TAG"] : []
    content {
      name        = variable.value
      description = "Release tag <env>_<region>/<team>/<version>; set by the release starter"
    }
  }

  stage {
    name = "Source"
    action {
      name             = "Source"
      category         = "Source"
      owner            = "AWS"
      provider         = local.source_action.provider
      version          = "1"
      namespace        = "SourceVariables"
      output_artifacts = ["source"]
      configuration    = local.source_action.configuration
    }
  }

  stage {
    name = "Build"
    action {
      name            = "Validate"
      category        = "Test"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      run_order       = 1
      input_artifacts = ["source"]
      configuration = {
        ProjectName          = aws_codebuild_project.stage["validate"].name
        EnvironmentVariables = local.action_env
      }
    }
    action {
      name             = "Build"
      category         = "Build"
      owner            = "AWS"
      provider         = "CodeBuild"
      version          = "1"
      run_order        = 1
      input_artifacts  = ["source"]
      output_artifacts = ["build"]
      configuration = {
        ProjectName          = aws_codebuild_project.stage["build"].name
        EnvironmentVariables = local.action_env
      }
    }
  }

  stage {
    name = "Plan"
    action {
      name             = "Plan"
      category         = "Build"
      owner            = "AWS"
      provider         = "CodeBuild"
      version          = "1"
      namespace        = "PlanVariables"
      input_artifacts  = ["source", "build"]
      output_artifacts = ["plan"]
      configuration = {
        ProjectName          = aws_codebuild_project.stage["plan"].name
        PrimarySource        = "source"
        EnvironmentVariables = local.action_env
      }
    }
  }

  dynamic "stage" {
    for_each = local.require_approval ? ["Approve"] : []
    content {
      name = stage.value
      action {
        name     = "Approve"
        category = "Approval"
        owner    = "AWS"
        provider = "Manual"
        version  = "1"
        configuration = {
          NotificationArn = aws_sns_topic.notifications.arn
          CustomData      = "Apply ${var.environment} release #{PlanVariables.RELEASE_TAG}? Plan: #{PlanVariables.PLAN_SUMMARY}. Read the Plan build log before approving; apply runs exactly that saved plan."
        }
      }
    }
  }

  stage {
    name = "Apply"
    action {
      name            = "Apply"
      category        = "Build"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      input_artifacts = ["source", "plan"]
      configuration = {
        ProjectName          = aws_codebuild_project.stage["apply"].name
        PrimarySource        = "source"
        EnvironmentVariables = local.action_env
      }
    }
  }

  stage {
    name = "Test"
    action {
      name            = "Smoke"
      category        = "Test"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      input_artifacts = ["source"]
      configuration = {
        ProjectName          = aws_codebuild_project.stage["test"].name
        EnvironmentVariables = local.action_env
      }
    }
  }

  tags = local.tags

  depends_on = [aws_iam_role_policy.pipeline]
}

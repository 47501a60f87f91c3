# One CodeBuild project per stage. All run the repository's buildspec.yml, which only installs the tools and
# calls `make ci-<STAGE>`: what CodeBuild runs is what a laptop runs.

locals {
  drift_enabled = length(var.drift_releases) > 0
  projects      = { for stage, s in local.stages : stage => s if s.pipeline || local.drift_enabled }

  drift_releases = { for r in var.drift_releases : "${r.region}/${r.team}" => r }
  # S3 source locations (bucket/key) of the release snapshots the drift check starts from.
  snapshot_locations = {
    for key, r in local.drift_releases : key => "${aws_s3_bucket.artifacts.bucket}/${local.snapshot_prefix}/${r.region}/${r.team}/current.zip"
  }

  # The promotion rule as the release flow reads it (RELEASE_PROMOTION, platform/release ParsePromotion):
  # "<env>=<prior env>" pairs; an empty map is "none", the explicit off (an unset variable is Go's default).
  promotion_value   = length(var.release_promotion) == 0 ? "none" : join(" ", [for env in sort(keys(var.release_promotion)) : "${env}=${var.release_promotion[env]}"])
  prior_environment = lookup(var.release_promotion, var.environment, null)
  # The prior environment's release records (its pipeline's release_snapshot_uri): bucket and key prefix.
  prior_records = local.prior_environment == null ? null : {
    bucket = regex("^s3://([^/]+)/(.+)$", var.prior_release_uri)[0]
    prefix = "${regex("^s3://([^/]+)/(.+)$", var.prior_release_uri)[1]}/versions"
  }

  # Environment of every project; the pipeline adds RELEASE_TAG per action (pipeline.tf).
  project_env = {
    for stage, s in local.projects : stage => merge(
      {
        STAGE         = stage
        EXPECT_ENV    = var.environment # make refuses a tag of another environment
        ENVIRONMENTS  = join(" ", var.release_environments)
        STATE_PREFIX  = var.state_prefix
        STATE_REGION  = var.state_region # the bucket's region; releases go to the tag's region
        STATE_LOCKING = var.state_locking
        ARCH          = local.goarch
        CI            = "true"
      },
      {
        RELEASE_BRANCH    = var.source_branch     # the tagged commit must be on it (platform release)
        RELEASE_PROMOTION = local.promotion_value # <env>=<prior env> pairs, or none
      },
      s.role == null ? {} : { ASSUME_ROLE_ARN = local.role_arns[s.role] },
      s.guarded && local.prior_environment != null ? { PRIOR_RELEASE_URI = var.prior_release_uri } : {},
      contains(["apply", "drift"], stage) ? { RELEASE_SNAPSHOT_URI = "s3://${aws_s3_bucket.artifacts.bucket}/${local.snapshot_prefix}" } : {},
    )
  }
}

resource "aws_cloudwatch_log_group" "project" {
  for_each = local.projects

  name              = "/aws/codebuild/${local.project_names[each.key]}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
  tags              = local.tags
}

# Pre-created so the builds need no codebuild:CreateReportGroup: the buildspec's report group "junit"
# resolves to "<project>-junit".
resource "aws_codebuild_report_group" "junit" {
  for_each = local.projects

  name           = "${local.project_names[each.key]}-junit"
  type           = "TEST"
  delete_reports = true

  export_config {
    type = "NO_EXPORT"
  }

  tags = local.tags
}

resource "aws_codebuild_project" "stage" {
  for_each = local.projects

  name           = local.project_names[each.key]
  description    = "${var.environment}: ${each.value.description}"
  service_role   = aws_iam_role.project[each.key].arn
  build_timeout  = each.value.timeout
  queued_timeout = 60
  encryption_key = aws_kms_key.this.arn

  artifacts {
    type = each.value.pipeline ? "CODEPIPELINE" : "NO_ARTIFACTS"
  }

  environment {
    type                        = var.build_environment.type
    image                       = var.build_environment.image
    compute_type                = var.build_environment.compute_type
    image_pull_credentials_type = "CODEBUILD"
    privileged_mode             = false

    dynamic "environment_variable" {
      for_each = local.project_env[each.key]
      content {
        name  = environment_variable.key
        value = environment_variable.value
      }
    }
  }

  # Pipeline stages get their sources from the pipeline; the drift check from a release snapshot (the
  # scheduler overrides the location per region/team, this default is the first configured release).
  source {
    type      = each.value.pipeline ? "CODEPIPELINE" : "S3"
    location  = each.value.pipeline ? null : values(local.snapshot_locations)[0]
    buildspec = "buildspec.yml"
  }

  # Go module and build caches, tool binaries, provider plugins (buildspec.yml lists the paths).
  cache {
    type     = "S3"
    location = "${aws_s3_bucket.artifacts.bucket}/cache/${each.key}"
  }

  logs_config {
    cloudwatch_logs {
      group_name = aws_cloudwatch_log_group.project[each.key].name
    }
    s3_logs {
      status = "DISABLED"
    }
  }

  tags = merge(local.tags, { Stage = each.key })
}

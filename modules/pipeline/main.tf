# The release toolchain of one environment. Split by concern:
#   kms.tf           the customer managed key (artifacts, logs, notifications)
#   artifacts.tf     the artifact bucket (pipeline artifacts, build caches, release snapshots)
#   source.tf        the connection, or the CodeCommit tag rule and its starter build
#   codebuild.tf     one project per stage, their log groups and report groups
#   iam.tf           one role per project, the pipeline role, the scheduler role
#   pipeline.tf      the V2 pipeline and its tag trigger
#   notifications.tf the encrypted topic, pipeline failure notifications, drift alerts
#   drift.tf         the scheduled drift check

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  name       = "${var.name_prefix}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition

  tag_pattern      = coalesce(var.tag_pattern, "${var.environment}_*")
  require_approval = coalesce(var.require_approval, var.environment == "prod")

  # make's ARCH (GOARCH) for the Lambda architecture.
  goarch = var.lambda_architecture == "arm64" ? "arm64" : "amd64"

  # Every CodeBuild project runs the repository's buildspec.yml; STAGE picks the make target (ci-<stage>).
  # pipeline: the project is an action of the pipeline (else: the drift check, started by the scheduler).
  # role:     the workload account role the project assumes (ASSUME_ROLE_ARN): "readonly" (readonly_role_arn)
  #           for the builds that run before the approval or only read, "deployment" (deployment_role_arn)
  #           for apply alone, after the approval; null: none. Each project's IAM allows sts:AssumeRole on
  #           its own role only, and every project but apply is denied the deployment role explicitly.
  # guarded:  the release guard runs first (platform release: the tagged commit is on the release branch,
  #           the prior environment recorded the same version), so the project reads the prior records.
  stages = {
    validate = { description = "Go and Terraform checks and tests (make test)", timeout = 60, pipeline = true, role = null, guarded = false }
    build    = { description = "The Lambda zips (make build)", timeout = 20, pipeline = true, role = null, guarded = false }
    plan     = { description = "Plan the tagged release and save the plan under the read-only role (make plan)", timeout = 30, pipeline = true, role = "readonly", guarded = true }
    apply    = { description = "Apply the saved plan under the deployment role, shift Lambda traffic, record the release (make apply deploy-lambdas record-release)", timeout = 90, pipeline = true, role = "deployment", guarded = true }
    test     = { description = "Smoke test the deployed API under the read-only role (make smoke)", timeout = 30, pipeline = true, role = "readonly", guarded = false }
    drift    = { description = "Scheduled drift check of a recorded release under the read-only role (make drift)", timeout = 30, pipeline = false, role = "readonly", guarded = false }
  }
  role_arns     = { readonly = var.readonly_role_arn, deployment = var.deployment_role_arn }
  project_names = { for stage in keys(local.stages) : stage => "${local.name}-${stage}" }
  project_arns  = { for stage, name in local.project_names : stage => "arn:${local.partition}:codebuild:${local.region}:${local.account_id}:project/${name}" }

  pipeline_name = "${local.name}-release"
  pipeline_arn  = "arn:${local.partition}:codepipeline:${local.region}:${local.account_id}:${local.pipeline_name}"

  # The apply build stores a snapshot of each release it applied (sources, zips, the tag) under this prefix;
  # the drift check of that region/team starts from it. Only the apply role may write there.
  snapshot_prefix = "releases/${var.environment}"

  tags = merge(var.tags, {
    Environment = var.environment
    Component   = "release-toolchain"
  })
}

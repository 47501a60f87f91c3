output "pipeline_name" {
  description = "Name of the release pipeline (V2, started by tags matching tag_pattern)."
  value       = aws_codepipeline.release.name
}

output "pipeline_arn" {
  description = "ARN of the release pipeline."
  value       = aws_codepipeline.release.arn
}

output "tag_pattern" {
  description = "The git tag glob that starts a release of this environment."
  value       = local.tag_pattern
}

output "approval_required" {
  description = "Whether a manual approval sits between plan and apply."
  value       = local.require_approval
}

output "connection_arn" {
  description = "ARN of the source connection (created or given); null for a CodeCommit source. A created connection is PENDING until its handshake is completed in the console."
  value       = local.connection_arn
}

output "artifact_bucket" {
  description = "Name of the encrypted, versioned artifact bucket (pipeline artifacts, build caches, release snapshots)."
  value       = aws_s3_bucket.artifacts.bucket
}

output "kms_key_arn" {
  description = "ARN of the customer managed key encrypting artifacts, build logs and the notification topic."
  value       = aws_kms_key.this.arn
}

output "notification_topic_arn" {
  description = "ARN of the encrypted SNS topic that receives failures, approval requests and drift alerts; subscribe on-call tooling here."
  value       = aws_sns_topic.notifications.arn
}

output "codebuild_projects" {
  description = "CodeBuild project name per stage (validate, build, plan, apply, test, and drift when drift_releases is set)."
  value       = { for stage, p in aws_codebuild_project.stage : stage => p.name }
}

output "deployer_role_arns" {
  description = "The role that assumes deployment_role_arn: the apply build's alone (after the approval). The deployment role's trust policy in the workload account must allow exactly this."
  value       = { for stage, s in local.projects : stage => aws_iam_role.project[stage].arn if s.role == "deployment" }
}

output "reader_role_arns" {
  description = "Roles that assume readonly_role_arn (the plan, test and drift builds). The read-only role's trust policy in the workload account must allow exactly these."
  value       = { for stage, s in local.projects : stage => aws_iam_role.project[stage].arn if s.role == "readonly" }
}

output "release_branch" {
  description = "The branch a release's tagged commit must be on (RELEASE_BRANCH of every build)."
  value       = var.source_branch
}

output "promotion" {
  description = "The promotion check of this environment's releases: the prior environment whose recorded release of the same version a release needs (null: none), and where its records are (PRIOR_RELEASE_URI)."
  value       = { prior_environment = local.prior_environment, prior_release_uri = var.prior_release_uri }
}

output "drift_schedules" {
  description = "EventBridge Scheduler schedule name per drift-checked release (\"<region>/<team>\")."
  value       = { for key, s in aws_scheduler_schedule.drift : key => s.name }
}

output "release_snapshot_uri" {
  description = "S3 prefix under which the apply build records each release (<region>/<team>/current.zip) for the drift check."
  value       = "s3://${aws_s3_bucket.artifacts.bucket}/${local.snapshot_prefix}"
}

output "state_region" {
  description = "Region of the state bucket the release builds use (STATE_REGION of every CodeBuild project)."
  value       = var.state_region
}

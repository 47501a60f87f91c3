output "connection_arn" {
  description = "The source connection shared by the pipelines (complete its handshake in the console if it is PENDING); null for CodeCommit."
  value       = local.connection_arn
}

output "pipelines" {
  description = "Per environment: pipeline name, the tag glob that releases it, whether apply waits for approval, the notification topic, the region of its state bucket, the roles the workload account's deployment role (apply) and read-only role (plan, test, drift) must trust, where its releases are recorded and which prior environment's release its releases need."
  value = {
    for env, p in module.pipeline : env => {
      pipeline_name          = p.pipeline_name
      tag_pattern            = p.tag_pattern
      approval_required      = p.approval_required
      notification_topic_arn = p.notification_topic_arn
      deployer_role_arns     = p.deployer_role_arns
      reader_role_arns       = p.reader_role_arns
      release_snapshot_uri   = p.release_snapshot_uri
      promotion              = p.promotion
      release_branch         = p.release_branch
      drift_schedules        = p.drift_schedules
      state_region           = p.state_region
    }
  }
}

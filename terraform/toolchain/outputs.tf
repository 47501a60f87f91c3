output "connection_arn" {
  description = "The source connection shared by the pipelines (complete its handshake in the console if it is PENDING); null for CodeCommit."
  value       = local.connection_arn
}

output "pipelines" {
  description = "Per environment: pipeline name, the tag glob that releases it, whether apply waits for approval, the notification topic, the region of its state bucket, and the roles the workload account's deployment role must trust."
  value = {
    for env, p in module.pipeline : env => {
      pipeline_name          = p.pipeline_name
      tag_pattern            = p.tag_pattern
      approval_required      = p.approval_required
      notification_topic_arn = p.notification_topic_arn
      deployer_role_arns     = p.deployer_role_arns
      drift_schedules        = p.drift_schedules
      state_region           = p.state_region
    }
  }
}

output "backends" {
  description = "Per environment: bucket, lock table and KMS key of its state backend."
  value = {
    for env, b in module.state_backend : env => {
      bucket         = b.bucket_name
      dynamodb_table = b.lock_table_name
      kms_key_arn    = b.kms_key_arn
    }
  }
}

output "backend_configs" {
  description = "Per environment: the -backend-config settings for an S3 backend on it (add key and region)."
  value       = { for env, b in module.state_backend : env => b.backend_config }
}

output "bucket_name" {
  description = "State bucket (<prefix>-<environment>)."
  value       = aws_s3_bucket.state.bucket
}

output "bucket_arn" {
  description = "ARN of the state bucket."
  value       = aws_s3_bucket.state.arn
}

output "lock_table_name" {
  description = "DynamoDB lock table (<prefix>-lock-<environment>)."
  value       = aws_dynamodb_table.lock.name
}

output "lock_table_arn" {
  description = "ARN of the lock table."
  value       = aws_dynamodb_table.lock.arn
}

output "kms_key_arn" {
  description = "KMS key encrypting state and locks (null with AES256)."
  value       = local.kms_key_arn
}

output "backend_config" {
  description = "Settings for `terraform init -backend-config=...` of an S3 backend on this environment (add key and region)."
  value = tomap(merge(
    {
      bucket         = aws_s3_bucket.state.bucket
      dynamodb_table = aws_dynamodb_table.lock.name
      encrypt        = "true"
      use_lockfile   = "true"
    },
    local.use_kms ? { kms_key_id = local.kms_key_arn } : null,
  ))
}

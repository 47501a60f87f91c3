variable "prefix" {
  description = "Name prefix shared by all environments: the bucket is <prefix>-<environment>, the lock table <prefix>-lock-<environment>. S3 bucket names are global, so choose one unique to your organisation."
  type        = string
  default     = "webhealth-tfstate"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,40}[a-z0-9]$", var.prefix)) && !strcontains(var.prefix, "--")
    error_message = "prefix must be 3-42 characters of lowercase letters, digits and single '-', starting and ending with a letter or digit (it becomes part of an S3 bucket name)."
  }
}

variable "environment" {
  description = "Environment the backend serves (one of the project's environments, e.g. local, dev, beta, prod)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,11}$", var.environment))
    error_message = "environment must be 2-12 lowercase letters and digits starting with a letter (e.g. local, dev, beta, prod)."
  }
}

variable "sse_algorithm" {
  description = "Server-side encryption of the state bucket and the lock table: aws:kms (a customer-managed key, rotated; decrypting state, which holds secrets such as the API key, then needs kms:Decrypt and is audited in CloudTrail) or AES256 (S3-managed keys; access is governed by the bucket policy alone)."
  type        = string
  default     = "aws:kms"

  validation {
    condition     = contains(["aws:kms", "AES256"], var.sse_algorithm)
    error_message = "sse_algorithm must be aws:kms or AES256."
  }
}

variable "kms_key_arn" {
  description = "Existing KMS key for aws:kms encryption; null creates a key for this environment (with rotation). Ignored for AES256."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", coalesce(var.kms_key_arn, "-")))
    error_message = "kms_key_arn must be null or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "kms_deletion_window_days" {
  description = "Waiting period before a created KMS key is deleted after destroy."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be from 7 to 30."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which superseded state versions are deleted (the newest noncurrent_versions_to_keep are always kept)."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && var.noncurrent_version_expiration_days <= 3650 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number from 1 to 3650."
  }
}

variable "noncurrent_versions_to_keep" {
  description = "Superseded state versions always kept regardless of age (for rollback); older ones expire after noncurrent_version_expiration_days."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = var.noncurrent_versions_to_keep >= 1 && var.noncurrent_versions_to_keep <= 100 && floor(var.noncurrent_versions_to_keep) == var.noncurrent_versions_to_keep
    error_message = "noncurrent_versions_to_keep must be a whole number from 1 to 100, e.g. 10."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which incomplete multipart uploads are aborted."
  type        = number
  default     = 7

  validation {
    condition     = var.abort_incomplete_multipart_upload_days >= 1 && var.abort_incomplete_multipart_upload_days <= 365
    error_message = "abort_incomplete_multipart_upload_days must be from 1 to 365."
  }
}

variable "deletion_protection" {
  description = "Protect the backend from destroy: DynamoDB deletion protection on the lock table, and the bucket is only deleted when empty. Turn off only for throw-away environments (local emulator, tests): then destroy also deletes every state version."
  type        = bool
  default     = true
}

variable "emulator_compatibility" {
  description = <<-EOT
    Work-arounds for gaps of a local AWS emulator (moto 5.2); all false (the default) is AWS behaviour. Only a root
    sets them, from its aws_endpoint_url (README "Local emulator"):
      omit_tls_only_policy           - attach no bucket policy denying requests without TLS (and TLS < 1.2): moto
                                       serves plain HTTP and applies Deny statements without evaluating their
                                       conditions, so the policy would lock everyone out
      omit_newer_noncurrent_versions - set no NewerNoncurrentVersions in the lifecycle rule (noncurrent_versions_to_keep
                                       is not applied): moto drops it, so the provider would wait for it forever
  EOT
  type = object({
    omit_tls_only_policy           = optional(bool, false)
    omit_newer_noncurrent_versions = optional(bool, false)
  })
  default  = {}
  nullable = false
}

variable "tags" {
  description = "Tags of every resource."
  type        = map(string)
  default     = {}
}

# Plan-level tests with a mocked AWS provider: no credentials, no network.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  environment = "dev"
  tags        = { team = "platform" }
}

run "names_follow_the_pipeline_convention" {
  command = plan

  assert {
    condition     = aws_s3_bucket.state.bucket == "webhealth-tfstate-dev" && aws_dynamodb_table.lock.name == "webhealth-tfstate-lock-dev"
    error_message = "Bucket must be <prefix>-<env> and the lock table <prefix>-lock-<env>."
  }

  assert {
    condition     = aws_dynamodb_table.lock.hash_key == "LockID" && aws_dynamodb_table.lock.billing_mode == "PAY_PER_REQUEST"
    error_message = "The lock table is keyed by LockID (the S3 backend's schema), on demand."
  }

  assert {
    condition     = aws_s3_bucket.state.tags["team"] == "platform" && aws_s3_bucket.state.tags["environment"] == "dev" && aws_dynamodb_table.lock.tags["environment"] == "dev"
    error_message = "Resources carry the given tags plus the environment."
  }

  assert {
    condition     = output.backend_config == tomap({ bucket = "webhealth-tfstate-dev", dynamodb_table = "webhealth-tfstate-lock-dev", encrypt = "true", use_lockfile = "true", kms_key_id = "arn:aws:kms:eu-west-1:123456789012:key/0f8fad5b-d9cb-469f-a165-70867728950e" })
    error_message = "backend_config must give everything an S3 backend needs besides key and region."
  }
}

run "state_is_versioned_encrypted_and_private" {
  command = plan

  assert {
    condition     = aws_s3_bucket_versioning.state.versioning_configuration[0].status == "Enabled"
    error_message = "State versions must be kept."
  }

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.state.block_public_acls,
      aws_s3_bucket_public_access_block.state.block_public_policy,
      aws_s3_bucket_public_access_block.state.ignore_public_acls,
      aws_s3_bucket_public_access_block.state.restrict_public_buckets,
    ])
    error_message = "All four public access blocks must be on."
  }

  assert {
    condition     = aws_s3_bucket_ownership_controls.state.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs must be disabled (BucketOwnerEnforced)."
  }

  assert {
    condition     = one([for r in aws_s3_bucket_server_side_encryption_configuration.state.rule : r.apply_server_side_encryption_by_default[0].sse_algorithm]) == "aws:kms" && one([for r in aws_s3_bucket_server_side_encryption_configuration.state.rule : r.apply_server_side_encryption_by_default[0].kms_master_key_id]) == aws_kms_key.state[0].arn && one([for r in aws_s3_bucket_server_side_encryption_configuration.state.rule : r.bucket_key_enabled])
    error_message = "By default the bucket is encrypted with the environment's customer-managed key and an S3 bucket key."
  }

  assert {
    condition     = aws_kms_key.state[0].enable_key_rotation && aws_kms_alias.state[0].name == "alias/webhealth-tfstate-dev"
    error_message = "The created key rotates and has an alias named after the bucket."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_kms_key.state[0].policy).Statement : alltrue([for a in s.Action : !strcontains(a, "*")])]) && jsondecode(aws_kms_key.state[0].policy).Statement[0].Principal.AWS == "arn:aws:iam::123456789012:root"
    error_message = "The key policy delegates to the account's IAM with named actions, no kms:*."
  }

  assert {
    condition     = aws_dynamodb_table.lock.server_side_encryption[0].enabled && aws_dynamodb_table.lock.server_side_encryption[0].kms_key_arn == aws_kms_key.state[0].arn && aws_dynamodb_table.lock.point_in_time_recovery[0].enabled
    error_message = "The lock table is encrypted with the state key and has point-in-time recovery."
  }

  assert {
    condition     = aws_dynamodb_table.lock.deletion_protection_enabled && !aws_s3_bucket.state.force_destroy
    error_message = "Deletion protection is on by default: the table is protected and a non-empty bucket is never deleted."
  }
}

run "bucket_policy_denies_plain_http" {
  command = plan

  assert {
    condition = anytrue([for s in jsondecode(aws_s3_bucket_policy.state[0].policy).Statement :
      s.Effect == "Deny" && s.Principal == "*" && s.Condition == { Bool = { "aws:SecureTransport" = "false" } } &&
    s.Resource == ["arn:aws:s3:::webhealth-tfstate-dev", "arn:aws:s3:::webhealth-tfstate-dev/*"]])
    error_message = "The bucket policy must deny any request without TLS, on the bucket and its objects."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_s3_bucket_policy.state[0].policy).Statement : s.Effect == "Deny"])
    error_message = "The bucket policy only denies; it grants nothing."
  }
}

run "lifecycle_expires_old_versions_and_uploads" {
  command = plan

  variables {
    noncurrent_version_expiration_days     = 30
    abort_incomplete_multipart_upload_days = 3
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.state.rule[0].noncurrent_version_expiration[0].noncurrent_days == 30 && aws_s3_bucket_lifecycle_configuration.state.rule[0].noncurrent_version_expiration[0].newer_noncurrent_versions == 10
    error_message = "Noncurrent versions expire after the configured days, keeping the newest 10."
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.state.rule[0].abort_incomplete_multipart_upload[0].days_after_initiation == 3
    error_message = "Incomplete multipart uploads are aborted."
  }
}

run "aes256_uses_no_kms" {
  command = plan

  variables {
    sse_algorithm = "AES256"
  }

  assert {
    condition     = length(aws_kms_key.state) == 0 && output.kms_key_arn == null && !contains(keys(output.backend_config), "kms_key_id")
    error_message = "AES256 creates no key and passes none to the backend."
  }

  assert {
    condition     = one([for r in aws_s3_bucket_server_side_encryption_configuration.state.rule : r.apply_server_side_encryption_by_default[0].sse_algorithm]) == "AES256" && !one([for r in aws_s3_bucket_server_side_encryption_configuration.state.rule : r.bucket_key_enabled])
    error_message = "AES256 encrypts with S3-managed keys."
  }
}

run "existing_key_is_used" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition     = length(aws_kms_key.state) == 0 && aws_dynamodb_table.lock.server_side_encryption[0].kms_key_arn == var.kms_key_arn
    error_message = "A given key is used and no key is created."
  }
}

run "unprotected_for_throwaway_environments" {
  command = plan

  variables {
    environment         = "local"
    deletion_protection = false
  }

  assert {
    condition     = !aws_dynamodb_table.lock.deletion_protection_enabled && aws_s3_bucket.state.force_destroy
    error_message = "Without deletion protection destroy removes the table and the bucket with its versions."
  }
}

run "rejects_prefix_that_is_no_bucket_name" {
  command = plan
  variables {
    prefix = "WebHealth_State"
  }
  expect_failures = [var.prefix]
}

run "rejects_bad_environment" {
  command = plan
  variables {
    environment = "Prod-1"
  }
  expect_failures = [var.environment]
}

run "rejects_unknown_sse_algorithm" {
  command = plan
  variables {
    sse_algorithm = "aws:kms:dsse"
  }
  expect_failures = [var.sse_algorithm]
}

run "rejects_key_that_is_not_an_arn" {
  command = plan
  variables {
    kms_key_arn = "alias/state"
  }
  expect_failures = [var.kms_key_arn]
}

run "rejects_short_deletion_window" {
  command = plan
  variables {
    kms_deletion_window_days = 3
  }
  expect_failures = [var.kms_deletion_window_days]
}

run "rejects_zero_noncurrent_days" {
  command = plan
  variables {
    noncurrent_version_expiration_days = 0
  }
  expect_failures = [var.noncurrent_version_expiration_days]
}

run "rejects_zero_versions_to_keep" {
  command = plan
  variables {
    noncurrent_versions_to_keep = 0
  }
  expect_failures = [var.noncurrent_versions_to_keep]
}

run "rejects_fractional_versions_to_keep" {
  command = plan
  variables {
    noncurrent_versions_to_keep = 2.5
  }
  expect_failures = [var.noncurrent_versions_to_keep]
}

run "rejects_zero_multipart_days" {
  command = plan
  variables {
    abort_incomplete_multipart_upload_days = 0
  }
  expect_failures = [var.abort_incomplete_multipart_upload_days]
}

# emulator_compatibility: all off is AWS behaviour; each switch drops only what its emulator gap needs.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

# For the one apply below: values generated at apply time must stay stable there.
mock_provider "aws" {
  alias  = "applying"
  source = "./tests/mocks"
}

variables {
  environment = "local"
}

run "aws_behaviour_by_default" {
  command = plan

  assert {
    condition     = length(aws_s3_bucket_policy.state) == 1 && aws_s3_bucket_lifecycle_configuration.state.rule[0].noncurrent_version_expiration[0].newer_noncurrent_versions == 10
    error_message = "On AWS the TLS-only bucket policy is attached and the newest 10 noncurrent versions are kept."
  }
}

run "omit_tls_only_policy" {
  command = plan

  variables {
    emulator_compatibility = { omit_tls_only_policy = true }
  }

  assert {
    condition     = length(aws_s3_bucket_policy.state) == 0
    error_message = "With omit_tls_only_policy no bucket policy is attached (emulators over plain HTTP)."
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.state.rule[0].noncurrent_version_expiration[0].newer_noncurrent_versions == 10 && aws_s3_bucket_public_access_block.state.block_public_policy
    error_message = "The lifecycle rule and the public access block are unaffected."
  }
}

# newer_noncurrent_versions is computed when not configured, so this one is checked after a (mocked) apply:
# the provider's value is then the mock's, not the 20 that would have been sent.
run "omit_newer_noncurrent_versions" {
  command = apply

  providers = {
    aws = aws.applying
  }

  variables {
    noncurrent_versions_to_keep        = 20
    noncurrent_version_expiration_days = 7
    emulator_compatibility             = { omit_newer_noncurrent_versions = true }
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.state.rule[0].noncurrent_version_expiration[0].newer_noncurrent_versions != 20 && aws_s3_bucket_lifecycle_configuration.state.rule[0].noncurrent_version_expiration[0].noncurrent_days == 7
    error_message = "With omit_newer_noncurrent_versions the rule sets no NewerNoncurrentVersions, only the expiration days."
  }

  assert {
    condition     = length(aws_s3_bucket_policy.state) == 1
    error_message = "The TLS-only policy is unaffected."
  }
}

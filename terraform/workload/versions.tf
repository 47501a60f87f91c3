terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 6.0"
    }
  }

  # Partial configuration: bucket, key, region, use_lockfile (and dynamodb_table/kms_key_id) come from
  # -backend-config at init, derived from the release tag (README.md "State").
  backend "s3" {}
}

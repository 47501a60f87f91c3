terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 6.0"
    }
  }

  # Partial configuration: bucket, key (<team>/<env>-global/terraform.tfstate), region, use_lockfile (or
  # dynamodb_table) come from -backend-config at init, derived from the release tag <env>_global/<team>/<version>
  # by platform/release (README.md "State").
  backend "s3" {}
}

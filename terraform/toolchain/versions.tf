terraform {
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80.0, < 6.0.0"
    }
  }

  # Partial configuration: bucket, key, region and the lock settings come from -backend-config
  # (see backend.hcl.example). `terraform init -backend=false` validates without it.
  backend "s3" {}
}

terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 6.0"
    }
  }

  # Local state on purpose: this root creates the buckets other roots keep their state in.
  # `-backend-config=path=<file>` chooses the file (default terraform.tfstate here); README.md ("Moving this
  # root's own state into S3") shows how to migrate it into the bucket it created.
  backend "local" {}
}

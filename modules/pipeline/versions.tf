terraform {
  # 1.9+ for validation rules that reference other variables; the project pins 1.11.
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.80+: aws_codeconnections_connection (and CodeBuild CODECONNECTIONS source auth).
      version = ">= 5.80.0, < 6.0.0"
    }
  }
}

variable "region" {
  description = "Region of the state buckets and lock tables."
  type        = string

  validation {
    condition     = can(regex("^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov|us-iso|us-isob|us-isof|eu-isoe|eusc-de)-(north|south|east|west|central|northeast|northwest|southeast|southwest)-[1-9][0-9]?$", var.region))
    error_message = "region must be an AWS region name: a prefix (us, eu, ap, sa, ca, me, af, il, mx, cn, us-gov, us-iso, us-isob, us-isof, eu-isoe, eusc-de), a direction (north, south, east, west, central, northeast, northwest, southeast, southwest) and a number 1-99 without a leading zero, joined by '-', e.g. eu-west-1 or us-gov-west-1."
  }
}

variable "state_prefix" {
  description = "Prefix of the state buckets (<state_prefix>-<env>) and lock tables (<state_prefix>-lock-<env>); the Makefile's STATE_PREFIX."
  type        = string
  default     = "webhealth-tfstate"

  # The release flow's rule (platform/release checkPrefix); tests/state_prefix.tftest.hcl, generated from its
  # prefix table, holds this validation to it. 42 characters leave S3's 63 room for "-<environment>".
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,40}[a-z0-9]$", var.state_prefix)) && !strcontains(var.state_prefix, "--")
    error_message = "state_prefix must be 3-42 characters of lowercase letters, digits and single '-', starting and ending with a letter or digit (it becomes part of S3 bucket names), e.g. webhealth-tfstate."
  }

  validation {
    condition     = !anytrue([for reserved in ["xn--", "sthree-", "amzn-s3-demo-"] : startswith("${var.state_prefix}-", reserved)])
    error_message = "state_prefix must not make bucket names <state_prefix>-<environment> start with xn--, sthree- or amzn-s3-demo- (S3 reserves them), e.g. webhealth-tfstate."
  }
}

variable "environments" {
  description = "Environments to create a backend for, with per-environment settings: deletion_protection (default true) and noncurrent_version_expiration_days (default 90)."
  type = map(object({
    deletion_protection                = optional(bool, true)
    noncurrent_version_expiration_days = optional(number, 90)
  }))
  default = {
    local = { deletion_protection = false, noncurrent_version_expiration_days = 7 }
    dev   = {}
    beta  = {}
    prod  = {}
  }

  validation {
    condition     = length(var.environments) > 0 && alltrue([for k in keys(var.environments) : can(regex("^[a-z][a-z0-9]{1,11}$", k))])
    error_message = "environments must name at least one environment, each 2-12 lowercase letters and digits starting with a letter (e.g. local, dev, beta, prod)."
  }
}

variable "sse_algorithm" {
  description = "Encryption of state and locks: aws:kms (a customer-managed key per environment) or AES256."
  type        = string
  default     = "aws:kms"

  validation {
    condition     = contains(["aws:kms", "AES256"], var.sse_algorithm)
    error_message = "sse_algorithm must be aws:kms or AES256."
  }
}

variable "aws_endpoint_url" {
  description = "When set, every AWS endpoint points here (a local emulator such as moto at http://127.0.0.1:5000)."
  type        = string
  default     = null

  validation {
    condition     = var.aws_endpoint_url == null || can(regex("^https?://[^/]+/?$", coalesce(var.aws_endpoint_url, "-")))
    error_message = "aws_endpoint_url must be null or an http(s) URL with no path, e.g. http://127.0.0.1:5000."
  }
}

variable "assume_role_arn" {
  description = "Role to assume for creating the backends (null: use the caller's credentials)."
  type        = string
  default     = null

  validation {
    condition     = var.assume_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", coalesce(var.assume_role_arn, "-")))
    error_message = "assume_role_arn must be null or an IAM role ARN (arn:aws:iam::<account>:role/<name>)."
  }
}

# The interface the release flow drives for an <env>_global/<team>/<version> tag (docs/design.md, "Multi-region"):
# environment, team and release_version with -var from the tag, the rest from envs/<env>.tfvars. The release tag's
# parts follow the same rules as terraform/workload's (platform/release's parser).

variable "environment" {
  description = "Environment (from the release tag; envs/<env>.tfvars names it too): an environment name, 2-12 lowercase letters and digits starting with a letter (local, dev, beta, prod, qa, ...). Which environments exist is the release flow's list (ENVIRONMENTS), checked before anything runs."
  type        = string

  # The release flow's environment name rule (platform/release CheckEnvironmentName), as terraform/workload's.
  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,11}$", var.environment))
    error_message = "environment must be an environment name: 2-12 lowercase letters and digits, a letter first, e.g. dev, qa, staging or prod."
  }
}

variable "team" {
  description = "Team slug (from the release tag): part of every table name and of the state key."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,10}[a-z0-9]$", var.team)) && !strcontains(var.team, "--")
    error_message = "team must be 2-12 characters of lowercase letters, digits and single '-' (no \"--\"), starting with a letter and ending with a letter or digit (resource names must fit IAM's 64), e.g. web or web-platform."
  }
}

variable "release_version" {
  description = "Version of the release (from the release tag: MAJOR.MINOR or MAJOR.MINOR.PATCH with optional semver pre-release and build): the release_version tag of the tables."
  type        = string
  default     = "0.0.0-dev"

  validation {
    condition     = length(var.release_version) <= 128 && can(regex("^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*))?(-(0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(\\.(0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*)?(\\+[0-9a-zA-Z-]+(\\.[0-9a-zA-Z-]+)*)?$", var.release_version))
    error_message = "release_version must be a release version without a leading v and at most 128 characters: MAJOR.MINOR or MAJOR.MINOR.PATCH, then semver 2.0.0's optional -pre.release and +build, no leading zeros in numeric parts, e.g. 1.0, 1.4.0, 1.4.0-rc.1 or 1.4.0+build.7."
  }
}

variable "name_prefix" {
  description = "First part of every table name: <name_prefix>-<team>-<environment>-urls|checks (modules/web-health's name_prefix, webhealth)."
  type        = string
  default     = "webhealth"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.name_prefix))
    error_message = "name_prefix must be 2-10 lowercase letters and digits starting with a letter (modules/web-health's rule), e.g. webhealth."
  }
}

variable "regions" {
  description = "The environment's regions, the home region first (envs/<env>.tfvars): 1-8 distinct AWS region names. The tables live in the home region with one replica in each other region, and each region's stack (terraform/workload) must be in this list. The one owner of an environment's regions."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.regions) >= 1 && length(var.regions) <= 8
    error_message = "regions must list 1 to 8 AWS regions, the home region first, e.g. [\"eu-west-1\", \"us-east-1\"]."
  }

  validation {
    condition     = alltrue([for r in var.regions : can(regex("^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov|us-iso|us-isob|us-isof|eu-isoe|eusc-de)-(north|south|east|west|central|northeast|northwest|southeast|southwest)-[1-9][0-9]?$", r))])
    error_message = "Every entry of regions must be an AWS region name: a prefix (us, eu, ap, sa, ca, me, af, il, mx, cn, us-gov, us-iso, us-isob, us-isof, eu-isoe, eusc-de), a direction (north, south, east, west, central, northeast, northwest, southeast, southwest) and a number 1-99 without a leading zero, joined by '-', e.g. eu-west-1 or us-gov-west-1."
  }

  validation {
    condition     = length(distinct(var.regions)) == length(var.regions)
    error_message = "regions must not name a region twice (a table has at most one replica per region), e.g. [\"eu-west-1\", \"us-east-1\"]."
  }
}

variable "quorum" {
  description = "How many regions must see a target down for the verdict down (fewer: degraded). Null: a majority of the regions, floor(n/2)+1; else a whole number from 1 to the number of regions."
  type        = number
  default     = null

  validation {
    condition     = var.quorum == null || try(var.quorum >= 1 && var.quorum <= length(var.regions) && floor(var.quorum) == var.quorum, false)
    error_message = "quorum must be null (a majority of the regions) or a whole number from 1 to the number of regions, e.g. 2 of [\"eu-west-1\", \"us-east-1\", \"ap-southeast-1\"]."
  }
}

variable "data_protection" {
  description = "What protects the environment's shared data: deletion_protection of both global tables (their home-region table; false for throw-away environments) [true]."
  type = object({
    deletion_protection = optional(bool, true)
  })
  default  = {}
  nullable = false
}

variable "aws_endpoint_url" {
  description = "When set, every AWS endpoint points here (a local emulator such as moto at http://127.0.0.1:5000): credential, region and metadata checks are skipped, S3 uses path-style addressing and the emulator work-arounds are on (README \"Emulator\"). Null on AWS."
  type        = string
  default     = null

  validation {
    condition     = var.aws_endpoint_url == null || can(regex("^https?://[^/]+/?$", coalesce(var.aws_endpoint_url, "-")))
    error_message = "aws_endpoint_url must be null or an http(s) URL with no path, e.g. http://127.0.0.1:5000."
  }
}

variable "assume_role_arn" {
  description = "Role in the workload account to assume (cross-account deployment from the toolchain account); null uses the caller's credentials."
  type        = string
  default     = null

  validation {
    condition     = var.assume_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", coalesce(var.assume_role_arn, "-")))
    error_message = "assume_role_arn must be null or an IAM role ARN, e.g. arn:aws:iam::123456789012:role/webhealth-deploy."
  }
}

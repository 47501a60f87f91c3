# The interface the release flow, the pipeline and the local stack drive (docs/design.md, "terraform/workload
# variables"). The release tooling passes the scalars of the first section with -var on top of envs/<env>.tfvars,
# which sets the rest. This root validates only what it uses itself (the release tag's parts, the provider
# settings); everything it passes to modules/web-health is typed here and validated there, once.

variable "environment" {
  description = "Environment (from the release tag; envs/<env>.tfvars names it too): any environment name, 2-12 lowercase letters and digits starting with a letter (local, dev, beta, prod, qa, staging, ...). Which environments exist is the release flow's list (ENVIRONMENTS), checked before anything runs."
  type        = string

  # The release flow's environment name rule (platform/release CheckEnvironmentName), the one of
  # release_environments' items; tests/release_tags.tftest.hcl, generated from its tag table,
  # holds this validation to it.
  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,11}$", var.environment))
    error_message = "environment must be an environment name: 2-12 lowercase letters and digits, a letter first, e.g. dev, qa, staging or prod."
  }
}

variable "region" {
  description = "AWS region to deploy to (from the release tag)."
  type        = string

  validation {
    condition     = can(regex("^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov|us-iso|us-isob|us-isof|eu-isoe|eusc-de)-(north|south|east|west|central|northeast|northwest|southeast|southwest)-[1-9][0-9]?$", var.region))
    error_message = "region must be an AWS region name: a prefix (us, eu, ap, sa, ca, me, af, il, mx, cn, us-gov, us-iso, us-isob, us-isof, eu-isoe, eusc-de), a direction (north, south, east, west, central, northeast, northwest, southeast, southwest) and a number 1-99 without a leading zero, joined by '-', e.g. eu-west-1 or us-gov-west-1."
  }
}

variable "team" {
  description = "Team slug (from the release tag): part of every resource name and of the state key."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,10}[a-z0-9]$", var.team)) && !strcontains(var.team, "--")
    error_message = "team must be 2-12 characters of lowercase letters, digits and single '-' (no \"--\"), starting with a letter and ending with a letter or digit (resource names must fit IAM's 64), e.g. web or web-platform."
  }
}

variable "release_version" {
  description = "Version of the release (from the release tag: MAJOR.MINOR or MAJOR.MINOR.PATCH with optional semver pre-release and build): resource tags and Lambda version descriptions."
  type        = string
  default     = "0.0.0-dev"

  validation {
    condition     = length(var.release_version) <= 128 && can(regex("^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*))?(-(0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(\\.(0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*)?(\\+[0-9a-zA-Z-]+(\\.[0-9a-zA-Z-]+)*)?$", var.release_version))
    error_message = "release_version must be a release version without a leading v and at most 128 characters: MAJOR.MINOR or MAJOR.MINOR.PATCH, then semver 2.0.0's optional -pre.release and +build, no leading zeros in numeric parts, e.g. 1.0, 1.4.0, 1.4.0-rc.1 or 1.4.0+build.7."
  }
}

variable "artifacts_dir" {
  description = "Directory holding crawler.zip, alarmlogger.zip, urlapi.zip and notifier.zip (build/<arch> from `make build`), relative to this root or absolute. Validated by modules/web-health."
  type        = string
}

variable "lambda_architecture" {
  description = "Instruction set of the zips: arm64 (AWS) or x86_64 (the local stack builds the host's). Validated by modules/web-health."
  type        = string
  default     = "arm64"
}

variable "aws_endpoint_url" {
  description = "When set, every AWS endpoint points here (a local emulator such as moto at http://127.0.0.1:5000): credential, region and metadata checks are skipped, S3 uses path-style addressing, and the emulator work-arounds are on (README \"Applying to a local emulator\"). Null on AWS."
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

# Per-environment settings (envs/<env>.tfvars). The types mirror modules/web-health's without defaults: an
# attribute left out is null here and gets the module's default; rules and defaults are listed in its README.

variable "allow_private_targets" {
  description = "Allow private, loopback and link-local targets; modules/web-health allows it only when environment = local."
  type        = bool
  default     = false
  nullable    = false
}

variable "crawler" {
  description = "The crawler function and its schedule: schedule_expression, timeout_seconds, memory_mb, concurrency, reserved_concurrency, deadline_margin, max_body_bytes, max_redirects, retry_delay, phase_metrics (false: per target only Availability, Latency and CertDaysRemaining, the metrics the alarms read), max_shards (1-256, the fan-out's most shards per run; 1: no fan-out) (modules/web-health variable crawler)."
  type = object({
    schedule_expression  = optional(string)
    timeout_seconds      = optional(number)
    memory_mb            = optional(number)
    concurrency          = optional(number)
    reserved_concurrency = optional(number)
    deadline_margin      = optional(string)
    max_body_bytes       = optional(number)
    max_redirects        = optional(number)
    retry_delay          = optional(string)
    phase_metrics        = optional(bool)
    max_shards           = optional(number)
  })
  default  = {}
  nullable = false
}

variable "alarms" {
  description = "The per-target alarms and the alarm history: period_seconds (null: the crawl interval of a rate schedule), evaluation_periods, datapoints_to_alarm, cert_expiry_days, retention_days (modules/web-health variable alarms)."
  type = object({
    period_seconds      = optional(number)
    evaluation_periods  = optional(number)
    datapoints_to_alarm = optional(number)
    cert_expiry_days    = optional(number)
    retention_days      = optional(number)
  })
  default  = {}
  nullable = false
}

variable "api" {
  description = "The REST API: stage_name, cors_allow_origins, logging_level, throttle { rate_limit, burst_limit }, usage_plan { rate_limit, burst_limit, quota_limit, quota_period }, manage_account (modules/web-health variable api)."
  type = object({
    stage_name         = optional(string)
    cors_allow_origins = optional(list(string))
    logging_level      = optional(string)
    throttle = optional(object({
      rate_limit  = optional(number)
      burst_limit = optional(number)
    }), {})
    usage_plan = optional(object({
      rate_limit   = optional(number)
      burst_limit  = optional(number)
      quota_limit  = optional(number)
      quota_period = optional(string)
    }), {})
    manage_account = optional(bool)
  })
  default  = {}
  nullable = false
}

variable "logging" {
  description = "The functions' and the API's logs: level, retention_days (modules/web-health variable logging)."
  type = object({
    level          = optional(string)
    retention_days = optional(number)
  })
  default  = {}
  nullable = false
}

variable "deployment" {
  description = "How new function versions go live: codedeploy (a canary with rollback on alarms), codedeploy_config (modules/web-health variable deployment). Always off on an emulator (aws_endpoint_url set), which has no working CodeDeploy."
  type = object({
    codedeploy        = optional(bool)
    codedeploy_config = optional(string)
  })
  default  = {}
  nullable = false
}

variable "data_protection" {
  description = "What protects the stack's data: deletion_protection (the tables), kms_deletion_window_days (modules/web-health variable data_protection)."
  type = object({
    deletion_protection      = optional(bool)
    kms_deletion_window_days = optional(number)
  })
  default  = {}
  nullable = false
}

variable "notifications" {
  description = "Who is told about the target and operational alarms: emails, slack_channels { name, slack_team_id, slack_channel_id }, teams_channels { name, team_id, channel_id, tenant_id } (AWS Chatbot; not on an emulator, which has none) and webhooks { name, format, ssm_parameter | secret_id } (the notifier; names of secrets, never their values) and degraded (with several regions, tell the degraded verdict too, at a lower severity; default false) (modules/web-health variable notifications). Left out: nobody but the alarm logger listens. The local stack passes its own (make up NOTIFY_WEBHOOK_URL=...); envs/*.tfvars may leave it out."
  type = object({
    emails = optional(list(string))
    slack_channels = optional(list(object({
      name             = string
      slack_team_id    = string
      slack_channel_id = string
    })))
    teams_channels = optional(list(object({
      name       = string
      team_id    = string
      channel_id = string
      tenant_id  = string
    })))
    webhooks = optional(list(object({
      name          = string
      format        = string
      ssm_parameter = optional(string)
      secret_id     = optional(string)
    })))
    degraded = optional(bool)
  })
  default  = {}
  nullable = false

  # This root's own rule: only it knows it is talking to an emulator.
  validation {
    condition     = var.aws_endpoint_url == null || (try(length(var.notifications.slack_channels), 0) == 0 && try(length(var.notifications.teams_channels), 0) == 0)
    error_message = "notifications.slack_channels and notifications.teams_channels need AWS Chatbot, which the local emulator (aws_endpoint_url set) does not have: leave them out there and use a webhook, e.g. webhooks = [{ name = \"local\", format = \"json\", ssm_parameter = \"/webhealth/local/notify-webhook\" }]."
  }
}

variable "global_state" {
  description = "Where the environment's global root (terraform/global, released by <env>_global/<team>/<version>) keeps its state, read for the global tables, the regions and the quorum: bucket, key (<team>/<env>-global/terraform.tfstate), region, and endpoint on an emulator (the release flow passes it: platform/release Backend.StateVar). No lock is taken to read it."
  type = object({
    bucket   = string
    key      = string
    region   = string
    endpoint = optional(string)
  })
  nullable = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.global_state.bucket))
    error_message = "global_state.bucket must be an S3 bucket name (3-63 lowercase letters, digits, '.' and '-'), the environment's state bucket, e.g. webhealth-tfstate-prod."
  }

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]*/[a-z][a-z0-9]{1,11}-global/terraform\\.tfstate$", var.global_state.key))
    error_message = "global_state.key must be the global root's state key <team>/<env>-global/terraform.tfstate, e.g. web/prod-global/terraform.tfstate."
  }

  validation {
    condition     = can(regex("^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov|us-iso|us-isob|us-isof|eu-isoe|eusc-de)-(north|south|east|west|central|northeast|northwest|southeast|southwest)-[1-9][0-9]?$", var.global_state.region))
    error_message = "global_state.region must be the state bucket's AWS region name, e.g. eu-west-1."
  }

  validation {
    condition     = var.global_state.endpoint == null || can(regex("^https?://[^/]+/?$", coalesce(var.global_state.endpoint, "-")))
    error_message = "global_state.endpoint must be null or an http(s) URL with no path (the emulator's), e.g. http://127.0.0.1:4566."
  }
}

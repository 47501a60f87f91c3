# The interface the Makefile, the pipeline and the local stack drive (docs/design.md, "terraform/workload variables").

variable "environment" {
  description = "Environment: one of local, dev, beta, prod (from the release tag or envs/<env>.tfvars)."
  type        = string

  validation {
    condition     = contains(["local", "dev", "beta", "prod"], var.environment)
    error_message = "environment must be one of local, dev, beta, prod."
  }
}

variable "region" {
  description = "AWS region to deploy to (from the release tag)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1 or us-gov-west-1."
  }
}

variable "team" {
  description = "Team slug (from the release tag)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,10}[a-z0-9]$", var.team)) && !strcontains(var.team, "--")
    error_message = "team must be a slug of 2-12 lowercase letters, digits and single '-', starting with a letter and not ending with '-'."
  }
}

variable "release_version" {
  description = "Semantic version of the release (from the release tag): resource tags and Lambda version descriptions."
  type        = string
  default     = "0.0.0-dev"

  validation {
    condition     = can(regex("^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?$", var.release_version))
    error_message = "release_version must be a semantic version such as 1.4.0, 1.4.0-rc.1 or 1.4.0+build.7."
  }
}

variable "artifacts_dir" {
  description = "Directory holding crawler.zip, alarmlogger.zip and urlapi.zip (build/<arch> from `make build`)."
  type        = string

  validation {
    condition     = length(trimspace(var.artifacts_dir)) > 0 && !endswith(var.artifacts_dir, "/")
    error_message = "artifacts_dir must be a non-empty directory path without a trailing '/', e.g. ../../build/arm64."
  }
}

variable "lambda_architecture" {
  description = "Instruction set of the zips: arm64 (AWS) or x86_64 (the local stack builds the host's)."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be arm64 or x86_64."
  }
}

variable "aws_endpoint_url" {
  description = "When set, every AWS endpoint points here (a local emulator such as moto at http://127.0.0.1:5000); credential, region and metadata checks are skipped and S3 uses path-style addressing."
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
    error_message = "assume_role_arn must be null or an IAM role ARN (arn:aws:iam::<account>:role/<name>)."
  }
}

variable "enable_codedeploy" {
  description = "Release new function versions by CodeDeploy canary with automatic rollback (false on local: the emulator has no working CodeDeploy)."
  type        = bool
  default     = false
}

variable "allow_private_targets" {
  description = "Allow private/loopback targets; only allowed when environment = local."
  type        = bool
  default     = false

  validation {
    condition     = !var.allow_private_targets || var.environment == "local"
    error_message = "allow_private_targets may only be true when environment is local."
  }
}

# Per-environment settings (envs/<env>.tfvars).

variable "crawler_schedule_expression" {
  description = "EventBridge schedule of the crawler: rate(...) or cron(...)."
  type        = string
  default     = "rate(5 minutes)"

  validation {
    condition     = can(regex("^(rate\\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\\)|cron\\(\\S+( \\S+){5}\\))$", var.crawler_schedule_expression))
    error_message = "crawler_schedule_expression must be rate(1 minute), rate(<n> minutes|hours|days) with n >= 2, rate(1 hour), rate(1 day), or cron(<6 fields>)."
  }
}

variable "crawler_timeout_seconds" {
  description = "Timeout of one crawl; keep it at or below the schedule interval so crawls do not overlap (the crawler stops DEADLINE_MARGIN before it)."
  type        = number
  default     = 240

  validation {
    condition     = var.crawler_timeout_seconds >= 30 && var.crawler_timeout_seconds <= 900
    error_message = "crawler_timeout_seconds must be from 30 to 900."
  }
}

variable "alarm_period_seconds" {
  description = "Period of the per-target alarms (ALARM_PERIOD_SECONDS)."
  type        = number
  default     = 60

  validation {
    condition     = contains([10, 20, 30], var.alarm_period_seconds) || (var.alarm_period_seconds >= 60 && var.alarm_period_seconds <= 86400 && var.alarm_period_seconds % 60 == 0)
    error_message = "alarm_period_seconds must be 10, 20, 30 or a multiple of 60 up to 86400."
  }
}

variable "alarm_evaluation_periods" {
  description = "Periods a per-target alarm evaluates (ALARM_EVALUATION_PERIODS)."
  type        = number
  default     = 2

  validation {
    condition     = var.alarm_evaluation_periods >= 1 && var.alarm_evaluation_periods <= 100
    error_message = "alarm_evaluation_periods must be from 1 to 100."
  }
}

variable "alarm_datapoints_to_alarm" {
  description = "Breaching periods that raise a per-target alarm (ALARM_DATAPOINTS_TO_ALARM); at most alarm_evaluation_periods."
  type        = number
  default     = 2

  validation {
    condition     = var.alarm_datapoints_to_alarm >= 1 && var.alarm_datapoints_to_alarm <= var.alarm_evaluation_periods
    error_message = "alarm_datapoints_to_alarm must be from 1 to alarm_evaluation_periods."
  }
}

variable "alarm_retention_days" {
  description = "Days alarm records are kept (ALARM_RETENTION_DAYS)."
  type        = number
  default     = 90

  validation {
    condition     = var.alarm_retention_days >= 1 && var.alarm_retention_days <= 3650
    error_message = "alarm_retention_days must be from 1 to 3650."
  }
}

variable "log_retention_days" {
  description = "Retention of the function and API log groups."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "log_level" {
  description = "Application log level of the functions."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN", "ERROR"], var.log_level)
    error_message = "log_level must be one of DEBUG, INFO, WARN, ERROR."
  }
}

variable "deletion_protection" {
  description = "DynamoDB deletion protection on the tables."
  type        = bool
  default     = true
}

variable "canary_deployment_config" {
  description = "CodeDeploy configuration of the canary (with enable_codedeploy)."
  type        = string
  default     = "CodeDeployDefault.LambdaCanary10Percent5Minutes"

  validation {
    condition     = startswith(var.canary_deployment_config, "CodeDeployDefault.Lambda")
    error_message = "canary_deployment_config must be a CodeDeployDefault.Lambda* configuration (e.g. CodeDeployDefault.LambdaCanary10Percent5Minutes)."
  }
}

variable "cors_allow_origins" {
  description = "Origins allowed to call the API from a browser (empty: no CORS)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for o in var.cors_allow_origins : o == "*" || can(regex("^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$", o))])
    error_message = "cors_allow_origins entries must be \"*\" or an origin like https://app.example.com (scheme, host, optional port)."
  }
}

variable "usage_plan" {
  description = "Usage plan of the API key: requests per second, burst, quota and its period (DAY, WEEK, MONTH)."
  type = object({
    rate_limit   = number
    burst_limit  = number
    quota_limit  = number
    quota_period = string
  })
  default = { rate_limit = 20, burst_limit = 40, quota_limit = 200000, quota_period = "MONTH" }

  validation {
    condition     = var.usage_plan.rate_limit > 0 && var.usage_plan.burst_limit >= 1 && var.usage_plan.quota_limit >= 1 && contains(["DAY", "WEEK", "MONTH"], var.usage_plan.quota_period)
    error_message = "usage_plan needs rate_limit > 0, burst_limit >= 1, quota_limit >= 1 and quota_period DAY, WEEK or MONTH."
  }
}

variable "manage_apigateway_account" {
  description = "Own the region's API Gateway account settings (CloudWatch role for API logs); true in exactly one stack per account and region (see modules/web-health README)."
  type        = bool
  default     = false
}

variable "name_prefix" {
  description = "First part of every resource name: <name_prefix>-<team>-<environment>-<region>-<part>."
  type        = string
  default     = "webhealth"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.name_prefix))
    error_message = "name_prefix must be 2-10 lowercase letters and digits starting with a letter (names must fit IAM's 64 characters)."
  }
}

variable "team" {
  description = "Team slug owning this deployment (from the release tag)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,10}[a-z0-9]$", var.team)) && !strcontains(var.team, "--")
    error_message = "team must be a slug of 2-12 lowercase letters, digits and single '-', starting with a letter and not ending with '-'."
  }
}

variable "environment" {
  description = "Environment of this deployment."
  type        = string

  validation {
    condition     = contains(["local", "dev", "beta", "prod"], var.environment)
    error_message = "environment must be one of local, dev, beta, prod."
  }
}

variable "release_version" {
  description = "Semantic version of the release (resource tags, Lambda version descriptions)."
  type        = string

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
  description = "Instruction set the zips were built for."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be arm64 or x86_64."
  }
}

variable "allow_private_targets" {
  description = "Let targets use private, loopback and link-local addresses (cloud metadata stays refused). Only for environment local, where the watched servers run on the same machine."
  type        = bool
  default     = false

  validation {
    condition     = !var.allow_private_targets || var.environment == "local"
    error_message = "allow_private_targets may only be true when environment is local (elsewhere it would let the crawler and API reach private networks)."
  }
}

variable "cors_allow_origins" {
  description = "Origins the API answers CORS requests from (CORS_ALLOW_ORIGINS); empty disables CORS, [\"*\"] allows any origin."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for o in var.cors_allow_origins : o == "*" || can(regex("^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$", o))])
    error_message = "cors_allow_origins entries must be \"*\" or an origin like https://app.example.com or http://localhost:3000 (scheme, host, optional port, no path)."
  }
}

variable "crawler_schedule_expression" {
  description = "EventBridge schedule of the crawler: rate(...) or cron(...)."
  type        = string
  default     = "rate(5 minutes)"

  validation {
    condition     = can(regex("^(rate\\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\\)|cron\\(\\S+( \\S+){5}\\))$", var.crawler_schedule_expression))
    error_message = "crawler_schedule_expression must be rate(1 minute), rate(<n> minutes|hours|days) with n >= 2, rate(1 hour), rate(1 day), or cron(<6 fields>)."
  }
}

variable "crawler_concurrency" {
  description = "Parallel probes of one crawl (CONCURRENCY)."
  type        = number
  default     = 16

  validation {
    condition     = var.crawler_concurrency >= 1 && var.crawler_concurrency <= 256 && floor(var.crawler_concurrency) == var.crawler_concurrency
    error_message = "crawler_concurrency must be a whole number from 1 to 256."
  }
}

variable "crawler_timeout_seconds" {
  description = "Timeout of one crawl; the crawler stops DEADLINE_MARGIN before it."
  type        = number
  default     = 240

  validation {
    condition     = var.crawler_timeout_seconds >= 30 && var.crawler_timeout_seconds <= 900
    error_message = "crawler_timeout_seconds must be from 30 to 900 (a probe may take up to 30 s plus a retry)."
  }
}

variable "crawler_memory_mb" {
  description = "Memory of the crawler function in MB."
  type        = number
  default     = 256

  validation {
    condition     = var.crawler_memory_mb >= 128 && var.crawler_memory_mb <= 10240
    error_message = "crawler_memory_mb must be from 128 to 10240."
  }
}

variable "crawler_reserved_concurrency" {
  description = "Reserved concurrency of the crawler (1 keeps crawls from overlapping); null uses the unreserved pool (new accounts cannot reserve)."
  type        = number
  default     = null

  validation {
    condition     = var.crawler_reserved_concurrency == null || try(var.crawler_reserved_concurrency >= 1 && var.crawler_reserved_concurrency <= 10, false)
    error_message = "crawler_reserved_concurrency must be null or from 1 to 10."
  }
}

variable "crawler_probe_settings" {
  description = "Probe tuning of the crawler: deadline_margin (DEADLINE_MARGIN, Go duration), max_body_bytes (MAX_BODY_BYTES), max_redirects (MAX_REDIRECTS), retry_delay (RETRY_DELAY, Go duration)."
  type = object({
    deadline_margin = optional(string, "5s")
    max_body_bytes  = optional(number, 1048576)
    max_redirects   = optional(number, 5)
    retry_delay     = optional(string, "500ms")
  })
  default = {}

  validation {
    condition     = can(regex("^[0-9]+(ms|s|m)$", var.crawler_probe_settings.deadline_margin)) && can(regex("^[0-9]+(ms|s)$", var.crawler_probe_settings.retry_delay))
    error_message = "deadline_margin must be a Go duration in ms, s or m (e.g. 5s) and retry_delay one in ms or s (e.g. 500ms)."
  }

  validation {
    condition     = var.crawler_probe_settings.max_body_bytes >= 1024 && var.crawler_probe_settings.max_body_bytes <= 10485760 && var.crawler_probe_settings.max_redirects >= 0 && var.crawler_probe_settings.max_redirects <= 10
    error_message = "max_body_bytes must be from 1024 to 10485760 and max_redirects from 0 to 10."
  }
}

variable "alarm_period_seconds" {
  description = "Period of the per-target alarms the crawler creates (ALARM_PERIOD_SECONDS)."
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
    condition     = var.alarm_evaluation_periods >= 1 && var.alarm_evaluation_periods <= 100 && floor(var.alarm_evaluation_periods) == var.alarm_evaluation_periods
    error_message = "alarm_evaluation_periods must be a whole number from 1 to 100."
  }
}

variable "alarm_datapoints_to_alarm" {
  description = "Breaching periods among the evaluated ones that raise a per-target alarm (ALARM_DATAPOINTS_TO_ALARM)."
  type        = number
  default     = 2

  validation {
    condition     = var.alarm_datapoints_to_alarm >= 1 && var.alarm_datapoints_to_alarm <= var.alarm_evaluation_periods && floor(var.alarm_datapoints_to_alarm) == var.alarm_datapoints_to_alarm
    error_message = "alarm_datapoints_to_alarm must be a whole number from 1 to alarm_evaluation_periods."
  }
}

variable "alarm_retention_days" {
  description = "Days an alarm record is kept before the table's TTL removes it (ALARM_RETENTION_DAYS)."
  type        = number
  default     = 90

  validation {
    condition     = var.alarm_retention_days >= 1 && var.alarm_retention_days <= 3650 && floor(var.alarm_retention_days) == var.alarm_retention_days
    error_message = "alarm_retention_days must be a whole number from 1 to 3650."
  }
}

variable "log_retention_days" {
  description = "Retention of the function and API access log groups."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "log_level" {
  description = "Application log level of the functions (AWS_LAMBDA_LOG_LEVEL)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN", "ERROR"], var.log_level)
    error_message = "log_level must be one of DEBUG, INFO, WARN, ERROR."
  }
}

variable "emulator_compatibility" {
  description = <<-EOT
    Work-arounds for gaps of a local AWS emulator (moto 5.2); leave all false on AWS.
    omit_lambda_logging_config: do not send the functions' JSON logging config (moto does not store it, so every
    apply would publish new versions). static_apigateway_tags: tag API Gateway resources without release_version
    (moto has no API Gateway TagResource, so a new release could not update their tags).
  EOT
  type = object({
    omit_lambda_logging_config = optional(bool, false)
    static_apigateway_tags     = optional(bool, false)
  })
  default  = {}
  nullable = false
}

variable "deletion_protection" {
  description = "Protect the tables from deletion (DynamoDB deletion protection). Turn off for throw-away environments."
  type        = bool
  default     = true
}

variable "enable_codedeploy" {
  description = "Release new function versions by CodeDeploy canary with automatic rollback on the functions' alarms; false moves the live aliases at once (local emulator)."
  type        = bool
  default     = false
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

variable "api_stage_name" {
  description = "Stage of the REST API (part of api_url)."
  type        = string
  default     = "v1"

  validation {
    condition     = can(regex("^[A-Za-z0-9_]{1,32}$", var.api_stage_name))
    error_message = "api_stage_name must be 1-32 letters, digits or underscores."
  }
}

variable "api_throttle" {
  description = "Stage-wide method throttling: steady requests per second and burst."
  type = object({
    rate_limit  = number
    burst_limit = number
  })
  default = { rate_limit = 50, burst_limit = 100 }

  validation {
    condition     = var.api_throttle.rate_limit > 0 && var.api_throttle.burst_limit >= 1 && var.api_throttle.burst_limit <= 5000
    error_message = "api_throttle.rate_limit must be > 0 and burst_limit from 1 to 5000."
  }
}

variable "usage_plan" {
  description = "Usage plan of the API key: throttling (requests per second, burst) and quota (requests per period DAY, WEEK or MONTH)."
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

variable "api_logging_level" {
  description = "API Gateway execution logging (written by API Gateway to its own log group API-Gateway-Execution-Logs_<api>/<stage>); access logs are always on."
  type        = string
  default     = "OFF"

  validation {
    condition     = contains(["OFF", "ERROR", "INFO"], var.api_logging_level)
    error_message = "api_logging_level must be OFF, ERROR or INFO."
  }
}

variable "manage_apigateway_account" {
  description = "Manage the region's API Gateway account settings (the CloudWatch Logs role used for access logging). It is one setting per account and region: enable it in exactly one stack per account and region, or set it up outside Terraform. See README."
  type        = bool
  default     = false
}

variable "kms_deletion_window_days" {
  description = "Waiting period before the stack's KMS key is deleted after destroy."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be from 7 to 30."
  }
}

variable "tags" {
  description = "Extra tags of every resource (team, environment and release_version are always set)."
  type        = map(string)
  default     = {}
}

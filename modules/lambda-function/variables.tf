variable "function_name" {
  description = "Name of the Lambda function; also the name of its execution role, log group suffix and CodeDeploy application. IAM names are global, so include the region when the same name is deployed to several regions."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{0,55}$", var.function_name))
    error_message = "function_name must be 1-56 characters of letters, digits, '-' and '_' starting with a letter or digit (56 leaves room for the '-deploy' CodeDeploy role suffix within IAM's 64)."
  }
}

variable "description" {
  description = "What the function does; the release version is appended and recorded on every published version."
  type        = string
  default     = ""

  validation {
    condition     = length(var.description) <= 200
    error_message = "description must be at most 200 characters (Lambda allows 256 and the release version is appended)."
  }
}

variable "release_version" {
  description = "Version of the release being deployed (MAJOR.MINOR or MAJOR.MINOR.PATCH with optional semver pre-release and build); recorded in the version description and the release_version tag."
  type        = string

  validation {
    condition     = length(var.release_version) <= 128 && can(regex("^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*))?(-(0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(\\.(0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*)?(\\+[0-9a-zA-Z-]+(\\.[0-9a-zA-Z-]+)*)?$", var.release_version))
    error_message = "release_version must be a release version without a leading v and at most 128 characters: MAJOR.MINOR or MAJOR.MINOR.PATCH, then semver 2.0.0's optional -pre.release and +build, no leading zeros in numeric parts, e.g. 1.0, 1.4.0, 1.4.0-rc.1 or 1.4.0+build.7."
  }
}

variable "zip_path" {
  description = "Path of the deployment zip (bootstrap at the root, built by `make build`). Its SHA-256 decides whether new code is deployed."
  type        = string

  validation {
    condition     = endswith(var.zip_path, ".zip")
    error_message = "zip_path must name a .zip file (build/<arch>/<function>.zip)."
  }
}

variable "architecture" {
  description = "Instruction set of the binary in the zip."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "memory_size" {
  description = "Memory in MB (CPU scales with it)."
  type        = number
  default     = 128

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "timeout" {
  description = "Maximum run time of one invocation in seconds; the Duration alarm compares p99 against it."
  type        = number
  default     = 10

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds from 1 to 900."
  }
}

variable "environment_variables" {
  description = "Environment variables of the function (names as in docs/design.md). AWS_* names are reserved by Lambda."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.environment_variables) : can(regex("^[A-Za-z][A-Za-z0-9_]*$", k)) && !startswith(k, "AWS_")])
    error_message = "environment_variables keys must match [A-Za-z][A-Za-z0-9_]* and must not start with AWS_ (reserved by Lambda; the local stack sets AWS_ENDPOINT_URL itself)."
  }
}

variable "policy_statements" {
  description = "The only IAM statements (Allow) of the execution role besides writing its own log group. Actions are named one by one: no wildcards. Conditions use IAM condition operators, e.g. {test = \"StringEquals\", variable = \"cloudwatch:namespace\", values = [\"WebHealth/x\"]}."
  type = list(object({
    sid       = string
    actions   = list(string)
    resources = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  default = []

  validation {
    condition     = alltrue([for s in var.policy_statements : can(regex("^[A-Za-z0-9]+$", s.sid))])
    error_message = "Each policy statement sid must be alphanumeric (IAM's rule), e.g. ReadUrlTable."
  }

  validation {
    condition     = length(distinct([for s in var.policy_statements : s.sid])) == length(var.policy_statements)
    error_message = "Policy statement sids must be unique."
  }

  validation {
    condition     = alltrue([for s in var.policy_statements : length(s.actions) > 0 && alltrue([for a in s.actions : can(regex("^[a-z0-9-]+:[A-Za-z0-9]+$", a))])])
    error_message = "Each policy statement needs at least one action, each named in full as service:Action (e.g. dynamodb:GetItem); wildcards such as dynamodb:* or dynamodb:Get* are not allowed."
  }

  validation {
    condition     = alltrue([for s in var.policy_statements : length(s.resources) > 0])
    error_message = "Each policy statement needs at least one resource ARN (use [\"*\"] only for actions without resource-level permissions)."
  }

  validation {
    condition = alltrue(flatten([for s in var.policy_statements : [for c in s.conditions : contains([
      "StringEquals", "StringNotEquals", "StringLike", "StringNotLike", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike",
      "Bool", "NumericEquals", "NumericLessThan", "NumericGreaterThan", "IpAddress", "NotIpAddress", "ForAnyValue:StringEquals",
      "ForAllValues:StringEquals", "ForAnyValue:StringLike", "ForAllValues:StringLike", "Null",
    ], c.test)]]))
    error_message = "Condition test must be one of StringEquals, StringNotEquals, StringLike, StringNotLike, ArnEquals, ArnLike, ArnNotEquals, ArnNotLike, Bool, NumericEquals, NumericLessThan, NumericGreaterThan, IpAddress, NotIpAddress, ForAnyValue:StringEquals, ForAllValues:StringEquals, ForAnyValue:StringLike, ForAllValues:StringLike, Null."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's log group in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch Logs' values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "log_kms_key_arn" {
  description = "ARN of the KMS key encrypting the log group; its key policy must let logs.<region>.amazonaws.com use it for this log group."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.log_kms_key_arn))
    error_message = "log_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "application_log_level" {
  description = "Lowest application log level Lambda forwards (JSON log format); the runtime sees it as AWS_LAMBDA_LOG_LEVEL."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], var.application_log_level)
    error_message = "application_log_level must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL."
  }
}

variable "emulator_compatibility" {
  description = <<-EOT
    Work-arounds for gaps of a local AWS emulator (moto 5.2); all false (the default) is AWS behaviour. Only a root
    sets them, from its aws_endpoint_url (README "Local emulator"):
      omit_logging_config - send no logging config (JSON format, log group, levels): moto does not store
                            LoggingConfig, so every apply would publish a new version; Lambda then writes text
                            logs to the same /aws/lambda/<name> group
  EOT
  type = object({
    omit_logging_config = optional(bool, false)
  })
  default  = {}
  nullable = false
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions (also the maximum); null leaves the function on the account's unreserved pool."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrency == null || try(var.reserved_concurrency >= 0 && floor(var.reserved_concurrency) == var.reserved_concurrency, false)
    error_message = "reserved_concurrency must be null or a whole number >= 0 (0 stops the function)."
  }
}

variable "failure_destination" {
  description = "Where asynchronous invocations that failed after retries go (null: nowhere): type sqs or sns and the queue/topic ARN. The role gets sqs:SendMessage or sns:Publish on it; pass KMS permissions for an encrypted destination in policy_statements. An object so the ARN may be unknown until apply."
  type = object({
    type = string
    arn  = string
  })
  default = null

  validation {
    condition     = var.failure_destination == null || try(contains(["sqs", "sns"], var.failure_destination.type), false)
    error_message = "failure_destination.type must be sqs or sns."
  }

  validation {
    condition     = var.failure_destination == null || can(regex("^arn:aws[a-z-]*:(sqs|sns):[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_.-]+$", try(var.failure_destination.arn, "-")))
    error_message = "failure_destination.arn must be an SQS queue or SNS topic ARN (arn:aws:sqs:<region>:<account>:<name> or arn:aws:sns:...)."
  }
}

variable "async_maximum_retry_attempts" {
  description = "Retries of a failed asynchronous invocation (SNS, EventBridge) before it is dropped or goes to failure_destination, 0-2; null: Lambda's default (2). Set, it (like failure_destination or async_maximum_event_age_seconds) gives the live alias an event invoke config."
  type        = number
  default     = null

  validation {
    condition     = var.async_maximum_retry_attempts == null || try(contains([0, 1, 2], var.async_maximum_retry_attempts), false)
    error_message = "async_maximum_retry_attempts must be null (Lambda's default, 2) or 0, 1 or 2."
  }
}

variable "async_maximum_event_age_seconds" {
  description = "Age after which an asynchronous event still queued or waiting for a retry is dropped (or goes to failure_destination), 60-21600 s; null: Lambda's default (21600, 6 hours). Set, it gives the live alias an event invoke config."
  type        = number
  default     = null

  validation {
    condition     = var.async_maximum_event_age_seconds == null || try(var.async_maximum_event_age_seconds >= 60 && var.async_maximum_event_age_seconds <= 21600 && floor(var.async_maximum_event_age_seconds) == var.async_maximum_event_age_seconds, false)
    error_message = "async_maximum_event_age_seconds must be null (Lambda's default, 21600) or a whole number of seconds from 60 to 21600."
  }
}

variable "enable_codedeploy" {
  description = "Shift traffic on the live alias to new versions with a CodeDeploy canary that rolls back when the function's alarms fire. When false the alias follows each new version at once (environments without CodeDeploy, e.g. a local emulator)."
  type        = bool
  default     = false
}

variable "deployment_config_name" {
  description = "CodeDeploy traffic-shifting configuration (only with enable_codedeploy)."
  type        = string
  default     = "CodeDeployDefault.LambdaCanary10Percent5Minutes"

  validation {
    condition = contains([
      "CodeDeployDefault.LambdaAllAtOnce",
      "CodeDeployDefault.LambdaCanary10Percent5Minutes",
      "CodeDeployDefault.LambdaCanary10Percent10Minutes",
      "CodeDeployDefault.LambdaCanary10Percent15Minutes",
      "CodeDeployDefault.LambdaCanary10Percent30Minutes",
      "CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
      "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes",
      "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes",
      "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes",
    ], var.deployment_config_name)
    error_message = "deployment_config_name must be one of CodeDeployDefault.LambdaAllAtOnce, CodeDeployDefault.LambdaCanary10Percent{5,10,15,30}Minutes(s) or CodeDeployDefault.LambdaLinear10PercentEvery{1Minute,2Minutes,3Minutes,10Minutes}."
  }
}

variable "alarm_topic_arn" {
  description = "SNS topic receiving the operational alarms (Errors, Throttles, Duration) going to ALARM and back to OK."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.alarm_topic_arn))
    error_message = "alarm_topic_arn must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)."
  }
}

variable "errors_alarm_threshold" {
  description = "Errors per period that raise the Errors alarm (>= threshold)."
  type        = number
  default     = 1

  validation {
    condition     = var.errors_alarm_threshold >= 1
    error_message = "errors_alarm_threshold must be at least 1."
  }
}

variable "duration_alarm_percent_of_timeout" {
  description = "The Duration alarm fires when p99 duration exceeds this percentage of the timeout."
  type        = number
  default     = 80

  validation {
    condition     = var.duration_alarm_percent_of_timeout > 0 && var.duration_alarm_percent_of_timeout <= 100
    error_message = "duration_alarm_percent_of_timeout must be more than 0 and at most 100."
  }
}

variable "alarm_period_seconds" {
  description = "Period of the operational alarms."
  type        = number
  default     = 60

  validation {
    condition     = var.alarm_period_seconds >= 60 && var.alarm_period_seconds % 60 == 0
    error_message = "alarm_period_seconds must be a multiple of 60 (Lambda publishes metrics per minute)."
  }
}

variable "alarm_evaluation_periods" {
  description = "Periods the operational alarms evaluate (all must breach)."
  type        = number
  default     = 1

  validation {
    condition     = var.alarm_evaluation_periods >= 1 && var.alarm_evaluation_periods <= 10 && floor(var.alarm_evaluation_periods) == var.alarm_evaluation_periods
    error_message = "alarm_evaluation_periods must be a whole number from 1 to 10."
  }
}

variable "tags" {
  description = "Tags of every resource (the caller includes team, environment and release_version)."
  type        = map(string)
  default     = {}
}

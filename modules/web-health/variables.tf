# Who and what is deployed: scalars the release tag and the build decide.

variable "name_prefix" {
  description = "First part of every resource name: <name_prefix>-<team>-<environment>-<region>-<part>."
  type        = string
  default     = "webhealth"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.name_prefix))
    error_message = "name_prefix must be 2-10 lowercase letters and digits starting with a letter (names must fit IAM's 64 characters), e.g. webhealth."
  }
}

variable "team" {
  description = "Team slug owning this deployment (from the release tag)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,10}[a-z0-9]$", var.team)) && !strcontains(var.team, "--")
    error_message = "team must be 2-12 characters of lowercase letters, digits and single '-' (no \"--\"), starting with a letter and ending with a letter or digit (resource names must fit IAM's 64), e.g. web or web-platform."
  }
}

variable "environment" {
  description = "Environment of this deployment: an environment name, 2-12 lowercase letters and digits starting with a letter (local, dev, beta, prod, qa, staging, ...); which environments exist is the release flow's list (ENVIRONMENTS)."
  type        = string

  # The release flow's environment name rule (platform/release CheckEnvironmentName), the one of
  # release_environments' items; tests/environments.tftest.hcl, generated from its environment table,
  # holds this validation to it.
  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,11}$", var.environment))
    error_message = "environment must be an environment name: 2-12 lowercase letters and digits, a letter first, e.g. dev, qa, staging or prod."
  }
}

variable "release_version" {
  description = "Version of the release, MAJOR.MINOR or MAJOR.MINOR.PATCH with optional semver pre-release and build (resource tags, Lambda version descriptions)."
  type        = string

  validation {
    condition     = length(var.release_version) <= 128 && can(regex("^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*))?(-(0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(\\.(0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*)?(\\+[0-9a-zA-Z-]+(\\.[0-9a-zA-Z-]+)*)?$", var.release_version))
    error_message = "release_version must be a release version without a leading v and at most 128 characters: MAJOR.MINOR or MAJOR.MINOR.PATCH, then semver 2.0.0's optional -pre.release and +build, no leading zeros in numeric parts, e.g. 1.0, 1.4.0, 1.4.0-rc.1 or 1.4.0+build.7."
  }
}

variable "artifacts_dir" {
  description = "Directory holding crawler.zip, alarmlogger.zip, urlapi.zip and notifier.zip (build/<arch> from `make build`)."
  type        = string

  validation {
    condition     = length(trimspace(var.artifacts_dir)) > 0 && !endswith(var.artifacts_dir, "/")
    error_message = "artifacts_dir must be a non-empty directory path without a trailing '/', e.g. ../../build/arm64."
  }
}

variable "lambda_architecture" {
  description = "Instruction set the zips were built for: arm64 or x86_64."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be arm64 or x86_64, e.g. arm64."
  }
}

variable "allow_private_targets" {
  description = "Let targets use private, loopback and link-local addresses (cloud metadata stays refused). Only for environment local, where the watched servers run on the same machine."
  type        = bool
  default     = false
  nullable    = false

  validation {
    condition     = !var.allow_private_targets || var.environment == "local"
    error_message = "allow_private_targets may only be true when environment is local (elsewhere it would let the crawler and API reach private networks), e.g. environment = \"local\" with allow_private_targets = true."
  }
}

# Settings, grouped. Every attribute is optional; its default is in the type, its rule in a validation below.

variable "crawler" {
  description = <<-EOT
    The crawler function and its schedule (defaults in brackets):
      schedule_expression  - EventBridge schedule, rate(...) or cron(...) [rate(5 minutes)]
      timeout_seconds      - timeout of one crawl, 30-900; the crawler stops deadline_margin before it [240]
      memory_mb            - memory of the function, 128-10240 MB [256]
      concurrency          - parallel probes of one crawl (CONCURRENCY), 1-256 [16]
      reserved_concurrency - reserved concurrency, 1-10 (1 keeps crawls from overlapping); null uses the unreserved pool, as new accounts must [null]
      deadline_margin      - DEADLINE_MARGIN, whole ms, s or m from 500ms to 5m; blank: the function's default [5s]
      max_body_bytes       - MAX_BODY_BYTES, 1024 (the longest body_contains) to 10485760 [1048576]
      max_redirects        - MAX_REDIRECTS, 0-10 [5]
      retry_delay          - RETRY_DELAY, whole ms, s or m from 0s to 10s; blank: the function's default [500ms]
      phase_metrics        - PHASE_METRICS: also publish DNSLatency, ConnectLatency, TLSLatency and TTFB per target (4 of
                             its 7 custom metrics, most of the CloudWatch cost); false keeps Availability, Latency and
                             CertDaysRemaining, which the alarms read [true]
      max_shards           - MAX_SHARDS, the most shards a crawl too large for one run is split into, each judged by
                             a worker function <name>-crawlworker fed by the queue <name>-crawler-shards, 1-256 (a
                             shard owns at least one of the 256 id prefixes); 1 turns the fan-out off: no queue,
                             no worker, every run judges all targets itself (docs/design.md, Fan-out) [100]
  EOT
  type = object({
    schedule_expression  = optional(string, "rate(5 minutes)")
    timeout_seconds      = optional(number, 240)
    memory_mb            = optional(number, 256)
    concurrency          = optional(number, 16)
    reserved_concurrency = optional(number)
    deadline_margin      = optional(string, "5s")
    max_body_bytes       = optional(number, 1048576)
    max_redirects        = optional(number, 5)
    retry_delay          = optional(string, "500ms")
    phase_metrics        = optional(bool, true)
    max_shards           = optional(number, 100)
  })
  default  = {}
  nullable = false

  validation {
    condition     = can(regex("^(rate\\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\\)|cron\\(\\S+( \\S+){5}\\))$", var.crawler.schedule_expression))
    error_message = "crawler.schedule_expression must be rate(1 minute|hour|day), rate(<n> minutes|hours|days) with n >= 2, or cron(<6 fields>), e.g. rate(5 minutes)."
  }

  validation {
    condition     = var.crawler.timeout_seconds >= 30 && var.crawler.timeout_seconds <= 900 && floor(var.crawler.timeout_seconds) == var.crawler.timeout_seconds
    error_message = "crawler.timeout_seconds must be a whole number from 30 to 900 (a probe may take up to 30 s plus a retry), e.g. 240."
  }

  validation {
    condition     = var.crawler.memory_mb >= 128 && var.crawler.memory_mb <= 10240 && floor(var.crawler.memory_mb) == var.crawler.memory_mb
    error_message = "crawler.memory_mb must be a whole number from 128 to 10240, e.g. 256."
  }

  validation {
    condition     = var.crawler.concurrency >= 1 && var.crawler.concurrency <= 256 && floor(var.crawler.concurrency) == var.crawler.concurrency
    error_message = "crawler.concurrency must be a whole number from 1 to 256, e.g. 16."
  }

  validation {
    condition     = var.crawler.reserved_concurrency == null || try(var.crawler.reserved_concurrency >= 1 && var.crawler.reserved_concurrency <= 10 && floor(var.crawler.reserved_concurrency) == var.crawler.reserved_concurrency, false)
    error_message = "crawler.reserved_concurrency must be null or a whole number from 1 to 10, e.g. 1."
  }

  # The crawler's rules (internal/crawler LoadConfig); tests/function_settings.tftest.hcl, generated from
  # internal/contract's table, holds these validations to them. Durations are read as the crawler reads them:
  # spaces trimmed, blank for its default, else one whole number of ms, s or m.
  validation {
    condition = trimspace(var.crawler.deadline_margin) == "" || anytrue([
      for ms in [for p in regexall("^([0-9]+)(ms|s|m)$", trimspace(var.crawler.deadline_margin)) : tonumber(p[0]) * { ms = 1, s = 1000, m = 60000 }[p[1]]] :
      ms >= 500 && ms <= 300000
    ])
    error_message = "crawler.deadline_margin must be a whole number of ms, s or m from 500ms to 5m, e.g. 5s."
  }

  validation {
    condition     = var.crawler.max_body_bytes >= 1024 && var.crawler.max_body_bytes <= 10485760 && floor(var.crawler.max_body_bytes) == var.crawler.max_body_bytes
    error_message = "crawler.max_body_bytes must be a whole number from 1024 (the longest body_contains) to 10485760, e.g. 1048576."
  }

  validation {
    condition     = var.crawler.max_redirects >= 0 && var.crawler.max_redirects <= 10 && floor(var.crawler.max_redirects) == var.crawler.max_redirects
    error_message = "crawler.max_redirects must be a whole number from 0 to 10, e.g. 5."
  }

  validation {
    condition = trimspace(var.crawler.retry_delay) == "" || anytrue([
      for ms in [for p in regexall("^([0-9]+)(ms|s|m)$", trimspace(var.crawler.retry_delay)) : tonumber(p[0]) * { ms = 1, s = 1000, m = 60000 }[p[1]]] :
      ms <= 10000
    ])
    error_message = "crawler.retry_delay must be a whole number of ms, s or m from 0s to 10s, e.g. 500ms."
  }

  validation {
    condition     = var.crawler.max_shards >= 1 && var.crawler.max_shards <= 256 && floor(var.crawler.max_shards) == var.crawler.max_shards
    error_message = "crawler.max_shards must be a whole number from 1 (no fan-out) to 256 (a shard owns at least one of the 256 id prefixes), e.g. 100."
  }
}

variable "alarms" {
  description = <<-EOT
    The per-target alarms the crawler creates and the alarm history the alarmlogger keeps (defaults in brackets):
      period_seconds      - ALARM_PERIOD_SECONDS, a multiple of 60 up to 86400 (the metrics are standard resolution) and at
                            least the crawl interval; null derives it from a rate(...) schedule; a cron(...) schedule needs it set [null: the crawl interval]
      evaluation_periods  - ALARM_EVALUATION_PERIODS, 1-1440, with the period * evaluation_periods at most one day (86400) [2]
      datapoints_to_alarm - ALARM_DATAPOINTS_TO_ALARM, breaching periods that raise an alarm, 1-evaluation_periods [2]
      cert_expiry_days    - CERT_EXPIRY_DAYS, the certificate alarm of an https target fires below this many days left, 1-365 [14]
      retention_days      - ALARM_RETENTION_DAYS, days an alarm record is kept before the table's TTL removes it, 1-3650 [90]
  EOT
  type = object({
    period_seconds      = optional(number)
    evaluation_periods  = optional(number, 2)
    datapoints_to_alarm = optional(number, 2)
    cert_expiry_days    = optional(number, 14)
    retention_days      = optional(number, 90)
  })
  default  = {}
  nullable = false

  # The crawler's and the alarm logger's rules (their LoadConfig); tests/function_settings.tftest.hcl, generated
  # from internal/contract's table, holds these validations to them.
  validation {
    condition     = var.alarms.period_seconds == null || try(var.alarms.period_seconds >= 60 && var.alarms.period_seconds <= 86400 && var.alarms.period_seconds % 60 == 0, false)
    error_message = "alarms.period_seconds must be null (the crawl interval) or a multiple of 60 from 60 to 86400 (the metrics are standard resolution, so 10, 20 and 30 are not periods the alarms can judge), e.g. 300."
  }

  validation {
    condition     = var.alarms.evaluation_periods >= 1 && var.alarms.evaluation_periods <= 1440 && floor(var.alarms.evaluation_periods) == var.alarms.evaluation_periods
    error_message = "alarms.evaluation_periods must be a whole number from 1 to 1440, e.g. 2."
  }

  validation {
    condition     = var.alarms.period_seconds == null || try(var.alarms.period_seconds * var.alarms.evaluation_periods <= 86400, true)
    error_message = "alarms.period_seconds * alarms.evaluation_periods must be at most 86400 (CloudWatch evaluates at most one day), e.g. 3600 * 24."
  }

  validation {
    condition     = var.alarms.datapoints_to_alarm >= 1 && var.alarms.datapoints_to_alarm <= var.alarms.evaluation_periods && floor(var.alarms.datapoints_to_alarm) == var.alarms.datapoints_to_alarm
    error_message = "alarms.datapoints_to_alarm must be a whole number from 1 to alarms.evaluation_periods, e.g. 2 of 3."
  }

  validation {
    condition     = var.alarms.cert_expiry_days >= 1 && var.alarms.cert_expiry_days <= 365 && floor(var.alarms.cert_expiry_days) == var.alarms.cert_expiry_days
    error_message = "alarms.cert_expiry_days must be a whole number from 1 to 365, e.g. 14."
  }

  validation {
    condition     = var.alarms.retention_days >= 1 && var.alarms.retention_days <= 3650 && floor(var.alarms.retention_days) == var.alarms.retention_days
    error_message = "alarms.retention_days must be a whole number from 1 to 3650, e.g. 90."
  }
}

variable "api" {
  description = <<-EOT
    The REST API (defaults in brackets):
      stage_name         - stage, part of api_url: 1-32 letters, digits, '_' [v1]
      cors_allow_origins - origins answered to CORS requests (CORS_ALLOW_ORIGINS); empty disables CORS, ["*"] allows any [[]]
      logging_level      - API Gateway execution logging, OFF, ERROR or INFO (its own log group API-Gateway-Execution-Logs_<api>/<stage>); access logs are always on [OFF]
      throttle           - stage-wide method throttling: rate_limit (requests per second, > 0) [50], burst_limit (1-5000) [100]
      usage_plan         - the API key's plan: rate_limit (> 0) [20], burst_limit (>= 1) [40], quota_limit (>= 1) [200000] requests per quota_period (DAY, WEEK or MONTH) [MONTH]
      manage_account     - own the region's API Gateway account settings (the CloudWatch Logs role of access logging); one setting per account and region, so true in exactly one stack per account and region (README) [false]
  EOT
  type = object({
    stage_name         = optional(string, "v1")
    cors_allow_origins = optional(list(string), [])
    logging_level      = optional(string, "OFF")
    throttle = optional(object({
      rate_limit  = optional(number, 50)
      burst_limit = optional(number, 100)
    }), {})
    usage_plan = optional(object({
      rate_limit   = optional(number, 20)
      burst_limit  = optional(number, 40)
      quota_limit  = optional(number, 200000)
      quota_period = optional(string, "MONTH")
    }), {})
    manage_account = optional(bool, false)
  })
  default  = {}
  nullable = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_]{1,32}$", var.api.stage_name))
    error_message = "api.stage_name must be 1-32 letters, digits or underscores, e.g. v1."
  }

  validation {
    condition     = alltrue([for o in var.api.cors_allow_origins : o == "*" || can(regex("^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$", o))])
    error_message = "api.cors_allow_origins entries must be \"*\" or an origin of scheme, host and optional port, no path, e.g. https://app.example.com or http://localhost:3000."
  }

  validation {
    condition     = contains(["OFF", "ERROR", "INFO"], var.api.logging_level)
    error_message = "api.logging_level must be OFF, ERROR or INFO, e.g. OFF."
  }

  validation {
    condition     = var.api.throttle.rate_limit > 0 && var.api.throttle.burst_limit >= 1 && var.api.throttle.burst_limit <= 5000
    error_message = "api.throttle needs rate_limit > 0 and burst_limit from 1 to 5000, e.g. { rate_limit = 50, burst_limit = 100 }."
  }

  validation {
    condition     = var.api.usage_plan.rate_limit > 0 && var.api.usage_plan.burst_limit >= 1 && var.api.usage_plan.quota_limit >= 1
    error_message = "api.usage_plan needs rate_limit > 0, burst_limit >= 1 and quota_limit >= 1, e.g. { rate_limit = 20, burst_limit = 40, quota_limit = 200000 }."
  }

  validation {
    condition     = contains(["DAY", "WEEK", "MONTH"], var.api.usage_plan.quota_period)
    error_message = "api.usage_plan.quota_period must be DAY, WEEK or MONTH, e.g. MONTH."
  }
}

variable "logging" {
  description = <<-EOT
    The functions' logs and the API access logs (defaults in brackets):
      level          - application log level of the functions (AWS_LAMBDA_LOG_LEVEL): DEBUG, INFO, WARN or ERROR [INFO]
      retention_days - retention of the function and API access log groups, a CloudWatch Logs value [30]
  EOT
  type = object({
    level          = optional(string, "INFO")
    retention_days = optional(number, 30)
  })
  default  = {}
  nullable = false

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN", "ERROR"], var.logging.level)
    error_message = "logging.level must be one of DEBUG, INFO, WARN, ERROR, e.g. INFO."
  }

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.logging.retention_days)
    error_message = "logging.retention_days must be a CloudWatch Logs retention: one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, e.g. 30."
  }
}

variable "deployment" {
  description = <<-EOT
    How new function versions go live (defaults in brackets):
      codedeploy        - by a CodeDeploy canary that rolls back on the functions' alarms; false moves the live aliases at once [false]
      codedeploy_config - the CodeDeploy Lambda configuration of the canary [CodeDeployDefault.LambdaCanary10Percent5Minutes]
  EOT
  type = object({
    codedeploy        = optional(bool, false)
    codedeploy_config = optional(string, "CodeDeployDefault.LambdaCanary10Percent5Minutes")
  })
  default  = {}
  nullable = false

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
    ], var.deployment.codedeploy_config)
    error_message = "deployment.codedeploy_config must be a CodeDeploy Lambda configuration: CodeDeployDefault.LambdaAllAtOnce, CodeDeployDefault.LambdaCanary10Percent{5,10,15,30}Minutes or CodeDeployDefault.LambdaLinear10PercentEvery{1Minute,2Minutes,3Minutes,10Minutes}, e.g. CodeDeployDefault.LambdaCanary10Percent5Minutes."
  }
}

variable "data_protection" {
  description = <<-EOT
    What protects the stack's data from deletion (defaults in brackets):
      deletion_protection      - DynamoDB deletion protection of both tables; false for throw-away environments [true]
      kms_deletion_window_days - days before the stack's KMS key is deleted after destroy, 7-30 [30]
  EOT
  type = object({
    deletion_protection      = optional(bool, true)
    kms_deletion_window_days = optional(number, 30)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.data_protection.kms_deletion_window_days >= 7 && var.data_protection.kms_deletion_window_days <= 30 && floor(var.data_protection.kms_deletion_window_days) == var.data_protection.kms_deletion_window_days
    error_message = "data_protection.kms_deletion_window_days must be a whole number from 7 to 30, e.g. 30."
  }
}

variable "notifications" {
  description = <<-EOT
    Who is told about the target alarms and the operational alarms. The notifier decides for every channel (no
    muted target's change, no new alarm's first evaluation, one message per state change): it posts to the
    webhooks and publishes to the people topic <name>-notifications, which exists only with an e-mail address or
    a Chatbot channel and which those subscribe to. Secrets are never values here: a webhook names the SSM
    parameter or Secrets Manager secret holding its URL (or PagerDuty routing key), which the notifier reads at
    run time. Every list defaults to empty; with all empty nobody is told (the alarm logger still records).
      emails         - e-mail addresses, subscribed to the people topic (each must confirm the subscription)
      slack_channels - AWS Chatbot Slack channels: name, slack_team_id (T...), slack_channel_id (C...); the workspace
                       must be authorized in the Chatbot console first
      teams_channels - AWS Chatbot Microsoft Teams channels: name, team_id and tenant_id (GUIDs), channel_id (as
                       the channel link has it, URL-encoded: 19%3a...%40thread.tacv2); the team must be authorized first
      webhooks       - HTTPS webhooks posted by the notifier: name, format (json, slack, teams or pagerduty) and exactly
                       one of ssm_parameter (a SecureString parameter name, /webhealth/prod/ops-slack) or secret_id (a
                       secret name or ARN)
      degraded       - with several regions, tell the degraded verdict (some regions see a target down, fewer than
                       the quorum) too, at a lower severity (PagerDuty warning); default false: recorded in the alarm
                       history only (NOTIFY_DEGRADED)
    Names are 1-32 lowercase letters, digits and '-', starting with a letter or digit, unique across the channels.
  EOT
  type = object({
    emails = optional(list(string), [])
    slack_channels = optional(list(object({
      name             = string
      slack_team_id    = string
      slack_channel_id = string
    })), [])
    teams_channels = optional(list(object({
      name       = string
      team_id    = string
      channel_id = string
      tenant_id  = string
    })), [])
    webhooks = optional(list(object({
      name          = string
      format        = string
      ssm_parameter = optional(string)
      secret_id     = optional(string)
    })), [])
    degraded = optional(bool, false)
  })
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for e in var.notifications.emails : length(e) <= 254 && can(regex("^[^@[:space:]]+@[^@[:space:].]+(\\.[^@[:space:].]+)+$", e))])
    error_message = "notifications.emails must be e-mail addresses (local part, @, a domain with a dot, no spaces; at most 254 characters), e.g. oncall@example.com."
  }

  validation {
    condition     = length(distinct([for e in var.notifications.emails : lower(e)])) == length(var.notifications.emails)
    error_message = "notifications.emails must not list an address twice (SNS would subscribe it once), e.g. [\"oncall@example.com\", \"web@example.com\"]."
  }

  validation {
    condition = alltrue([for n in concat(var.notifications.slack_channels[*].name, var.notifications.teams_channels[*].name, var.notifications.webhooks[*].name) :
    can(regex("^[a-z0-9][a-z0-9-]{0,31}$", n))])
    error_message = "notifications channel names (slack_channels, teams_channels, webhooks) must be 1-32 lowercase letters, digits and '-', starting with a letter or digit, e.g. ops-slack."
  }

  validation {
    condition     = length(distinct(concat(var.notifications.slack_channels[*].name, var.notifications.teams_channels[*].name, var.notifications.webhooks[*].name))) == length(var.notifications.slack_channels) + length(var.notifications.teams_channels) + length(var.notifications.webhooks)
    error_message = "notifications channel names must be unique across slack_channels, teams_channels and webhooks (they name the Chatbot configurations and the notifier's deliveries), e.g. ops-slack and ops-pagerduty."
  }

  validation {
    condition     = alltrue([for c in var.notifications.slack_channels : can(regex("^T[A-Z0-9]+$", c.slack_team_id)) && can(regex("^[A-Z0-9]+$", c.slack_channel_id))])
    error_message = "notifications.slack_channels need slack_team_id = T followed by upper-case letters and digits (the workspace id the Chatbot console shows) and slack_channel_id = upper-case letters and digits (the end of the channel link), e.g. slack_team_id = \"T07EA123LEP\", slack_channel_id = \"C07EZ1ABC23\"."
  }

  validation {
    condition = alltrue([for c in var.notifications.teams_channels :
      can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", c.team_id)) &&
      can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", c.tenant_id)) &&
    can(regex("^[A-Za-z0-9_=+/.,-]*%3[aA][A-Za-z0-9_=+/.,-]*%40[A-Za-z0-9_=+/.,-]*$", c.channel_id)) && length(c.channel_id) <= 255])
    error_message = "notifications.teams_channels need team_id and tenant_id as GUIDs and channel_id URL-encoded as in the channel link (19%3a<id>%40thread.tacv2, at most 255 characters), e.g. team_id = \"74361522-da01-538d-aa2e-ac7918c6bb92\", channel_id = \"19%3ab2f1c0d9e8a7%40thread.tacv2\"."
  }

  validation {
    condition     = length(var.notifications.webhooks) <= 20
    error_message = "notifications.webhooks may list at most 20 webhooks (their list is the notifier's NOTIFY_CHANNELS, and a function's environment holds at most 4 KB), e.g. one per team channel."
  }

  validation {
    condition     = alltrue([for w in var.notifications.webhooks : contains(["json", "slack", "teams", "pagerduty"], w.format)])
    error_message = "notifications.webhooks format must be json (the generic payload), slack (an incoming webhook), teams (a Teams workflow webhook) or pagerduty (Events API v2, the secret holds the routing key), e.g. format = \"slack\"."
  }

  validation {
    condition     = alltrue([for w in var.notifications.webhooks : (w.ssm_parameter == null) != (w.secret_id == null)])
    error_message = "Each of notifications.webhooks names exactly one of ssm_parameter and secret_id: where its URL (or routing key) is kept, never the value itself, e.g. ssm_parameter = \"/webhealth/prod/ops-slack\"."
  }

  validation {
    condition = alltrue([for w in var.notifications.webhooks : w.ssm_parameter == null || try(
      length(w.ssm_parameter) <= 1011 && length(split("/", w.ssm_parameter)) <= 16 &&
    can(regex("^(/[A-Za-z0-9_.-]+)+$", w.ssm_parameter)) && !can(regex("^/(?i:aws|ssm)", w.ssm_parameter)), false)])
    error_message = "notifications.webhooks ssm_parameter must be a full SSM parameter name: '/'-separated levels of letters, digits, '_', '.' and '-' starting with '/', at most 15 levels and 1011 characters, not under /aws or /ssm (reserved by AWS), e.g. /webhealth/prod/ops-slack."
  }

  validation {
    condition = alltrue([for w in var.notifications.webhooks : w.secret_id == null || try(
      can(regex("^[A-Za-z0-9/_+=.@-]{1,512}$", w.secret_id)) ||
    can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}-[A-Za-z0-9]{6}$", w.secret_id)), false)])
    error_message = "notifications.webhooks secret_id must be a Secrets Manager secret name (1-512 letters, digits and /_+=.@-) or a secret's full ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>), e.g. webhealth/prod/pagerduty."
  }
}

variable "emulator_compatibility" {
  description = <<-EOT
    Work-arounds for gaps of a local AWS emulator (moto 5.2); all false (the default) is AWS behaviour. Only a root
    sets them, from its aws_endpoint_url (README "Local emulator"):
      omit_lambda_logging_config - send no JSON logging config to the functions (moto does not store it, so every
                                   apply would publish new versions)
      static_apigateway_tags     - tag API Gateway resources without release_version (moto has no API Gateway
                                   TagResource, so a new release could not update their tags)
      disable_event_source_mappings - create the crawler's shard queue mapping disabled (moto, when a mapping is
                                   enabled, tries to run the function in Docker at every SendMessage; the local
                                   runtime delivers the queue to the worker itself, reading the mapping from moto),
                                   naming the version the worker's live alias points to rather than the alias
                                   (moto records an alias's mapping as its version's, a change at every plan)
      omit_sqs_redrive_allow_policy - no redrive allow policy on the shard DLQ (moto does not store RedriveAllowPolicy,
                                   so the provider would wait for it forever); the redrive policy itself stays
  EOT
  type = object({
    omit_lambda_logging_config    = optional(bool, false)
    static_apigateway_tags        = optional(bool, false)
    disable_event_source_mappings = optional(bool, false)
    omit_sqs_redrive_allow_policy = optional(bool, false)
  })
  default  = {}
  nullable = false
}

variable "tags" {
  description = "Extra tags of every resource (project, team, environment and release_version are always set and win)."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "global" {
  description = <<-EOT
    What the environment's regions share, from its global root (terraform/global's outputs; docs/design.md,
    "Multi-region"): the global target and checks tables (the same names in every region; the stack uses its own
    region's replica), the regions (1-8 distinct AWS region names, the home region first, this stack's among them),
    the home region (regions[0]: the only region that writes the target list) and the quorum (1..number of regions:
    the regions that must see a target down for the verdict down).
  EOT
  type = object({
    urls_table_name   = string
    checks_table_name = string
    home_region       = string
    regions           = list(string)
    quorum            = number
  })
  nullable = false

  validation {
    condition     = alltrue([for n in [var.global.urls_table_name, var.global.checks_table_name] : can(regex("^[A-Za-z0-9_.-]{3,255}$", n))]) && var.global.urls_table_name != var.global.checks_table_name
    error_message = "global.urls_table_name and global.checks_table_name must be two different DynamoDB table names (3-255 letters, digits, '_', '-', '.'), as terraform/global outputs them, e.g. webhealth-web-prod-urls and webhealth-web-prod-checks."
  }

  validation {
    condition     = length(var.global.regions) >= 1 && length(var.global.regions) <= 8 && length(distinct(var.global.regions)) == length(var.global.regions) && alltrue([for r in var.global.regions : can(regex("^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov|us-iso|us-isob|us-isof|eu-isoe|eusc-de)-(north|south|east|west|central|northeast|northwest|southeast|southwest)-[1-9][0-9]?$", r))])
    error_message = "global.regions must be 1-8 distinct AWS region names (lower case, e.g. [\"us-east-1\", \"eu-west-1\"]), the home region first."
  }

  validation {
    condition     = length(var.global.regions) > 0 && var.global.home_region == var.global.regions[0]
    error_message = "global.home_region must be the first of global.regions (terraform/global's home_region output), e.g. us-east-1 for [\"us-east-1\", \"eu-west-1\"]."
  }

  validation {
    condition     = var.global.quorum == floor(var.global.quorum) && var.global.quorum >= 1 && var.global.quorum <= length(var.global.regions)
    error_message = "global.quorum must be a whole number from 1 to the number of global.regions (terraform/global's quorum output), e.g. 2 for three regions."
  }
}

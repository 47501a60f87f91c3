locals {
  # Data keys of the stack key, only through the services that encrypt with it for the functions.
  use_key_statement = {
    sid       = "UseStackKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [aws_kms_key.this.arn]
    conditions = [{
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["dynamodb.${local.region}.amazonaws.com", "sqs.${local.region}.amazonaws.com"]
    }]
  }

  # The global tables, as this region's replicas (dynamodb.tf).
  urls_table_arn   = data.aws_dynamodb_table.urls.arn
  checks_table_arn = data.aws_dynamodb_table.checks.arn

  # Only the home region writes targets and last_check (docs/design.md, "Multi-region": writes are homed).
  record_check_actions = local.home ? ["dynamodb:UpdateItem"] : []

  # With several regions, each region puts its own check of each target (the item (target_id, <its region>)).
  region_check_statements = [for s in [{
    sid       = "RecordRegionChecks"
    actions   = ["dynamodb:PutItem"]
    resources = [local.checks_table_arn]
  }] : s if local.multi_region]

  # What judging targets takes, for a single run and a shard worker alike: metrics, the target alarms, the key;
  # in the home region of several, the regions' checks the verdict is judged from.
  crawler_judge_statements = concat([for s in [{
    sid       = "ReadOtherRegionChecks"
    actions   = ["dynamodb:BatchGetItem"]
    resources = [local.checks_table_arn]
    }] : s if local.multi_region && local.home],
    local.region_check_statements, [
      {
        # PutMetricData has no resource-level permissions; the namespace condition is the scope.
        sid        = "PublishMetrics"
        actions    = ["cloudwatch:PutMetricData"]
        resources  = ["*"]
        conditions = [{ test = "StringEquals", variable = "cloudwatch:namespace", values = [local.metric_namespace] }]
      },
      {
        sid       = "ManageTargetAlarms"
        actions   = ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource"]
        resources = ["${local.arn_prefix.cloudwatch}:alarm:${local.alarm_prefix}-*"]
      },
      {
        # DescribeAlarms has no resource-level permissions (it lists by prefix).
        sid       = "ListAlarms"
        actions   = ["cloudwatch:DescribeAlarms"]
        resources = ["*"]
      },
      local.use_key_statement,
  ])

  function_defaults = {
    release_version          = var.release_version
    architecture             = var.lambda_architecture
    log_retention_days       = var.logging.retention_days
    log_kms_key_arn          = aws_kms_key.this.arn
    application_log_level    = var.logging.level
    emulator_compatibility   = { omit_logging_config = var.emulator_compatibility.omit_lambda_logging_config }
    enable_codedeploy        = var.deployment.codedeploy
    deployment_config_name   = var.deployment.codedeploy_config
    alarm_topic_arn          = aws_sns_topic.ops.arn
    alarm_evaluation_periods = 1
  }

  environment_variables = {
    urlapi = merge(
      {
        URLS_TABLE            = data.aws_dynamodb_table.urls.name
        ALARMS_TABLE          = aws_dynamodb_table.alarms.name
        ALLOW_PRIVATE_TARGETS = tostring(var.allow_private_targets)
      },
      local.region_environment,
      length(var.api.cors_allow_origins) > 0 ? { CORS_ALLOW_ORIGINS = join(",", var.api.cors_allow_origins) } : null,
    )
    # The coordinator and the shard worker run the same crawler with the same settings.
    crawler = merge({
      URLS_TABLE                = data.aws_dynamodb_table.urls.name
      ALARM_TOPIC_ARN           = aws_sns_topic.alarms.arn
      ALARM_PREFIX              = local.alarm_prefix
      METRIC_NAMESPACE          = local.metric_namespace
      CONCURRENCY               = tostring(var.crawler.concurrency)
      DEADLINE_MARGIN           = var.crawler.deadline_margin
      ALLOW_PRIVATE_TARGETS     = tostring(var.allow_private_targets)
      MAX_BODY_BYTES            = tostring(var.crawler.max_body_bytes)
      MAX_REDIRECTS             = tostring(var.crawler.max_redirects)
      RETRY_DELAY               = var.crawler.retry_delay
      ALARM_PERIOD_SECONDS      = tostring(local.alarm_period_seconds)
      ALARM_EVALUATION_PERIODS  = tostring(var.alarms.evaluation_periods)
      ALARM_DATAPOINTS_TO_ALARM = tostring(var.alarms.datapoints_to_alarm)
      CERT_EXPIRY_DAYS          = tostring(var.alarms.cert_expiry_days)
      PHASE_METRICS             = tostring(var.crawler.phase_metrics)
      MAX_SHARDS                = tostring(var.crawler.max_shards)
      },
      # A run fans out only with a shard queue (cmd/crawler wires SQS only then): none with max_shards 1.
      local.fan_out ? { SHARD_QUEUE_URL = aws_sqs_queue.crawler_shards[0].url } : null,
      local.region_environment,
    )
    alarmlogger = {
      URLS_TABLE           = data.aws_dynamodb_table.urls.name
      ALARMS_TABLE         = aws_dynamodb_table.alarms.name
      ALARM_PREFIX         = local.alarm_prefix
      ALARM_RETENTION_DAYS = tostring(var.alarms.retention_days)
    }
    notifier = merge(
      {
        URLS_TABLE            = data.aws_dynamodb_table.urls.name
        ALARMS_TABLE          = aws_dynamodb_table.alarms.name
        DELIVERIES_TABLE      = aws_dynamodb_table.deliveries.name
        ALARM_PREFIX          = local.alarm_prefix
        NOTIFY_CHANNELS       = jsonencode(local.notify_channels)
        ALLOW_PRIVATE_TARGETS = tostring(var.allow_private_targets)
      },
      # The notifier links to the console of the standard partition unless told otherwise.
      contains(keys(local.partition_console_urls), local.partition) ? { CONSOLE_URL = local.partition_console_urls[local.partition] } : null,
      local.notifier_topic_environment,
      { for k, v in local.region_environment : k => v if k != "CHECKS_TABLE" },
      var.notifications.degraded ? { NOTIFY_DEGRADED = "true" } : null,
    )
  }
}

module "urlapi" {
  source = "../lambda-function"

  function_name         = local.function_names.urlapi
  description           = "webhealth URL API (${var.environment})"
  zip_path              = "${var.artifacts_dir}/urlapi.zip"
  memory_size           = 256
  timeout               = 10
  environment_variables = local.environment_variables.urlapi

  # Outside the home region the API reads the target list and refuses writes (421 wrong_region): no write action.
  policy_statements = concat(
    [
      local.home ? {
        sid       = "ManageTargets"
        actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:TransactWriteItems"]
        resources = [local.urls_table_arn]
        } : {
        sid       = "ReadTargets"
        actions   = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"]
        resources = [local.urls_table_arn]
      },
      {
        sid       = "ReadAlarmHistory"
        actions   = ["dynamodb:Query"]
        resources = [aws_dynamodb_table.alarms.arn]
      },
      local.use_key_statement,
    ],
    # GET /urls/{id} queries a target's checks, GET /urls batch-reads a page's.
    [for s in [{
      sid       = "ReadRegionChecks"
      actions   = ["dynamodb:Query", "dynamodb:BatchGetItem"]
      resources = [local.checks_table_arn]
    }] : s if local.multi_region],
  )

  release_version          = local.function_defaults.release_version
  architecture             = local.function_defaults.architecture
  log_retention_days       = local.function_defaults.log_retention_days
  log_kms_key_arn          = local.function_defaults.log_kms_key_arn
  application_log_level    = local.function_defaults.application_log_level
  emulator_compatibility   = local.function_defaults.emulator_compatibility
  enable_codedeploy        = local.function_defaults.enable_codedeploy
  deployment_config_name   = local.function_defaults.deployment_config_name
  alarm_topic_arn          = local.function_defaults.alarm_topic_arn
  alarm_evaluation_periods = local.function_defaults.alarm_evaluation_periods
  tags                     = local.tags
}

module "crawler" {
  source = "../lambda-function"

  function_name         = local.function_names.crawler
  description           = "webhealth crawler (${var.environment})"
  zip_path              = "${var.artifacts_dir}/crawler.zip"
  memory_size           = var.crawler.memory_mb
  timeout               = var.crawler.timeout_seconds
  reserved_concurrency  = var.crawler.reserved_concurrency
  environment_variables = local.environment_variables.crawler

  # No whole-run retries: a failed run is not re-run (partial failures are run metrics, the next scheduled
  # run judges again), and a schedule event that waited 60 s (throttled behind a run) is dropped, not run late.
  async_maximum_retry_attempts    = 0
  async_maximum_event_age_seconds = 60

  policy_statements = concat(
    [
      {
        sid       = "ReadTargetsRecordChecks"
        actions   = concat(["dynamodb:Scan"], local.record_check_actions)
        resources = [local.urls_table_arn]
      },
      {
        # This region's run lease (internal/store CrawlerLeaseID(region)): taken with a conditional put, released
        # by its holder; no other item of the table may be put or deleted, another region's lease neither.
        sid        = "HoldRunLease"
        actions    = ["dynamodb:PutItem", "dynamodb:DeleteItem"]
        resources  = [local.urls_table_arn]
        conditions = [{ test = "ForAllValues:StringEquals", variable = "dynamodb:LeadingKeys", values = ["lease#crawler#${local.region}"] }]
      },
    ],
    local.crawler_judge_statements,
    # The coordinator sends the shards (SendMessageBatch is authorized as sqs:SendMessage); no queue, no statement.
    [for q in aws_sqs_queue.crawler_shards : {
      sid       = "SendShards"
      actions   = ["sqs:SendMessage"]
      resources = [q.arn]
    }],
  )

  release_version          = local.function_defaults.release_version
  architecture             = local.function_defaults.architecture
  log_retention_days       = local.function_defaults.log_retention_days
  log_kms_key_arn          = local.function_defaults.log_kms_key_arn
  application_log_level    = local.function_defaults.application_log_level
  emulator_compatibility   = local.function_defaults.emulator_compatibility
  enable_codedeploy        = local.function_defaults.enable_codedeploy
  deployment_config_name   = local.function_defaults.deployment_config_name
  alarm_topic_arn          = local.function_defaults.alarm_topic_arn
  alarm_evaluation_periods = local.function_defaults.alarm_evaluation_periods
  tags                     = local.tags
}

# The shard worker (docs/design.md, Fan-out): the crawler's code and settings, fed one shard a time by the
# shard queue's event source mapping (fanout.tf). A function of its own because the coordinator may have
# reserved concurrency 1 (no overlapping runs), which would throttle the workers and send their shards to the
# DLQ; the worker has none reserved, the mapping's maximum concurrency bounds it.
module "crawler_worker" {
  source = "../lambda-function"
  count  = local.fan_out ? 1 : 0

  function_name         = local.worker_function_name
  description           = "webhealth crawler shard worker (${var.environment})"
  zip_path              = "${var.artifacts_dir}/crawler.zip"
  memory_size           = var.crawler.memory_mb
  timeout               = var.crawler.timeout_seconds
  environment_variables = local.environment_variables.crawler

  # The mapping invokes synchronously; should anything invoke it asynchronously, no retry either (as the crawler).
  async_maximum_retry_attempts    = 0
  async_maximum_event_age_seconds = 60

  policy_statements = concat(
    [
      {
        # A worker reads its shard's targets by id and records their checks; no Scan, and no lease (not_after
        # keeps a shard within its run's interval).
        sid       = "ReadShardTargetsRecordChecks"
        actions   = concat(["dynamodb:BatchGetItem"], local.record_check_actions)
        resources = [local.urls_table_arn]
      },
      {
        # What the event source mapping does with the worker's role: receive, delete and extend the shards.
        sid       = "ReceiveShards"
        actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]
        resources = [aws_sqs_queue.crawler_shards[0].arn]
      },
    ],
    local.crawler_judge_statements,
  )

  release_version          = local.function_defaults.release_version
  architecture             = local.function_defaults.architecture
  log_retention_days       = local.function_defaults.log_retention_days
  log_kms_key_arn          = local.function_defaults.log_kms_key_arn
  application_log_level    = local.function_defaults.application_log_level
  emulator_compatibility   = local.function_defaults.emulator_compatibility
  enable_codedeploy        = local.function_defaults.enable_codedeploy
  deployment_config_name   = local.function_defaults.deployment_config_name
  alarm_topic_arn          = local.function_defaults.alarm_topic_arn
  alarm_evaluation_periods = local.function_defaults.alarm_evaluation_periods
  tags                     = local.tags
}

module "alarmlogger" {
  source = "../lambda-function"

  function_name         = local.function_names.alarmlogger
  description           = "webhealth alarm logger (${var.environment})"
  zip_path              = "${var.artifacts_dir}/alarmlogger.zip"
  memory_size           = 128
  timeout               = 30
  environment_variables = local.environment_variables.alarmlogger
  failure_destination   = { type = "sqs", arn = aws_sqs_queue.alarmlogger_failures.arn }

  # Lambda's asynchronous retries (2 within an hour), then the failure queue.
  async_maximum_retry_attempts    = 2
  async_maximum_event_age_seconds = 3600

  policy_statements = [
    {
      sid       = "RecordAlarms"
      actions   = ["dynamodb:PutItem"]
      resources = [aws_dynamodb_table.alarms.arn]
    },
    {
      # Whether the target was muted at the state change (the record's muted).
      sid       = "ReadTargets"
      actions   = ["dynamodb:GetItem"]
      resources = [local.urls_table_arn]
    },
    local.use_key_statement,
  ]

  release_version          = local.function_defaults.release_version
  architecture             = local.function_defaults.architecture
  log_retention_days       = local.function_defaults.log_retention_days
  log_kms_key_arn          = local.function_defaults.log_kms_key_arn
  application_log_level    = local.function_defaults.application_log_level
  emulator_compatibility   = local.function_defaults.emulator_compatibility
  enable_codedeploy        = local.function_defaults.enable_codedeploy
  deployment_config_name   = local.function_defaults.deployment_config_name
  alarm_topic_arn          = local.function_defaults.alarm_topic_arn
  alarm_evaluation_periods = local.function_defaults.alarm_evaluation_periods
  tags                     = local.tags
}

module "notifier" {
  source = "../lambda-function"

  function_name         = local.function_names.notifier
  description           = "webhealth notifier (${var.environment})"
  zip_path              = "${var.artifacts_dir}/notifier.zip"
  memory_size           = 128
  timeout               = 60
  environment_variables = local.environment_variables.notifier

  # Lambda's own asynchronous retry policy (2 retries within 6 hours), then the failure queue.
  failure_destination             = { type = "sqs", arn = aws_sqs_queue.notifier_failures.arn }
  async_maximum_retry_attempts    = 2
  async_maximum_event_age_seconds = 21600

  policy_statements = local.notifier_policy_statements

  release_version          = local.function_defaults.release_version
  architecture             = local.function_defaults.architecture
  log_retention_days       = local.function_defaults.log_retention_days
  log_kms_key_arn          = local.function_defaults.log_kms_key_arn
  application_log_level    = local.function_defaults.application_log_level
  emulator_compatibility   = local.function_defaults.emulator_compatibility
  enable_codedeploy        = local.function_defaults.enable_codedeploy
  deployment_config_name   = local.function_defaults.deployment_config_name
  alarm_topic_arn          = local.function_defaults.alarm_topic_arn
  alarm_evaluation_periods = local.function_defaults.alarm_evaluation_periods
  tags                     = local.tags
}

locals {
  # The functions by role, for the outputs: the four, and the shard worker with fan-out.
  function_modules = merge(
    { crawler = module.crawler, alarmlogger = module.alarmlogger, urlapi = module.urlapi, notifier = module.notifier },
    { for m in module.crawler_worker : "crawlworker" => m },
  )
}

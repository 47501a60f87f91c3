# The crawler's fan-out (docs/design.md, Fan-out): a coordinator run sends the shards of a target list too large
# for one run to the shard queue; its event source mapping hands each, one at a time, to the worker function
# (functions.tf, module.crawler_worker). None of it with crawler.max_shards = 1.

locals {
  shard_queue_names = { queue = "${local.name}-crawler-shards", dlq = "${local.name}-crawler-shards-dlq" }
  # Lambda refuses a mapping whose queue hides a received message for less than the function may run.
  shard_visibility_timeout_seconds = var.crawler.timeout_seconds
  # A shard not started within its crawl interval is stale (the worker drops it after its not_after, the next run
  # has been planned); one started that failed must outlive its visibility timeout, so that SQS moves it to the
  # DLQ at the next receive instead of expiring it unseen. (The interval: heartbeat_period_seconds, ops_alarms.tf;
  # null only for a cron schedule without alarms.period_seconds, which schedule.tf refuses.)
  shard_retention_seconds = max(60, coalesce(local.heartbeat_period_seconds, 0) + local.shard_visibility_timeout_seconds)
  # A mapping's maximum concurrency is at least 2 (AWS); the fan-out needs max_shards >= 2 anyway.
  shard_max_concurrency = max(var.crawler.max_shards, 2)
}

resource "aws_sqs_queue" "crawler_shards" {
  count = local.fan_out ? 1 : 0

  name                       = local.shard_queue_names.queue
  kms_master_key_id          = aws_kms_key.this.arn
  visibility_timeout_seconds = local.shard_visibility_timeout_seconds
  message_retention_seconds  = local.shard_retention_seconds
  # maxReceiveCount 1: a failed shard is not run again late (the next run judges its targets again); the DLQ
  # holds it for its alarm and a look.
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.crawler_shards_dlq[0].arn
    maxReceiveCount     = 1
  })
  tags = local.tags
}

# Shards a worker failed on (a function error or timeout); the ops alarm crawler-shards-dlq-messages pages on any.
resource "aws_sqs_queue" "crawler_shards_dlq" {
  count = local.fan_out ? 1 : 0

  name                      = local.shard_queue_names.dlq
  kms_master_key_id         = aws_kms_key.this.arn
  message_retention_seconds = 1209600
  tags                      = local.tags
}

# Only the shard queue may use the DLQ as its dead-letter queue (not on an emulator that does not store the policy:
# emulator_compatibility.omit_sqs_redrive_allow_policy).
resource "aws_sqs_queue_redrive_allow_policy" "crawler_shards_dlq" {
  count = local.fan_out && !var.emulator_compatibility.omit_sqs_redrive_allow_policy ? 1 : 0

  queue_url = aws_sqs_queue.crawler_shards_dlq[0].url
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.crawler_shards[0].arn]
  })
}

# One shard per invocation of the worker's live alias, at most max_shards at once: a fan-out never takes more of
# the account's concurrency than that. Disabled on an emulator whose own delivery cannot run the functions
# (emulator_compatibility.disable_event_source_mappings): the local runtime delivers the queue itself.
resource "aws_lambda_event_source_mapping" "crawler_shards" {
  count = local.fan_out ? 1 : 0

  event_source_arn = aws_sqs_queue.crawler_shards[0].arn
  # moto records a mapping onto an alias as onto the alias's version (FunctionArn ...:<n>), a change at every plan;
  # there the mapping names that version (the one the live alias points to) itself.
  function_name = var.emulator_compatibility.disable_event_source_mappings ? "${module.crawler_worker[0].function_arn}:${module.crawler_worker[0].alias_function_version}" : module.crawler_worker[0].alias_arn
  batch_size    = 1
  enabled       = !var.emulator_compatibility.disable_event_source_mappings

  scaling_config {
    maximum_concurrency = local.shard_max_concurrency
  }
}

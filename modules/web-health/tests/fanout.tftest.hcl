# The crawler's fan-out (docs/design.md, Fan-out): the shard queue, its DLQ, the worker function and the mapping
# between them; none of it with crawler.max_shards = 1.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  team            = "web"
  environment     = "dev"
  release_version = "1.4.0"
  artifacts_dir   = "tests/fixtures"
}

run "shards_go_through_an_encrypted_queue_with_a_dlq" {
  command = plan

  assert {
    condition = (
      aws_sqs_queue.crawler_shards[0].kms_master_key_id == aws_kms_key.this.arn && aws_sqs_queue.crawler_shards_dlq[0].kms_master_key_id == aws_kms_key.this.arn
      && aws_sqs_queue.crawler_shards[0].fifo_queue != true && !endswith(aws_sqs_queue.crawler_shards[0].name, ".fifo")
    )
    error_message = "The shard queue is a standard queue; it and its DLQ are encrypted with the stack key."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.crawler_shards[0].redrive_policy) == { deadLetterTargetArn = "arn:aws:sqs:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-crawler-shards-dlq", maxReceiveCount = 1 }
    error_message = "A shard received once and not deleted goes to the DLQ (maxReceiveCount 1): a failed shard is never run again late."
  }

  assert {
    condition = jsondecode(aws_sqs_queue_redrive_allow_policy.crawler_shards_dlq[0].redrive_allow_policy) == {
      redrivePermission = "byQueue", sourceQueueArns = ["arn:aws:sqs:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-crawler-shards"]
    } && aws_sqs_queue_redrive_allow_policy.crawler_shards_dlq[0].queue_url == "https://sqs.eu-west-1.amazonaws.com/123456789012/webhealth-web-dev-eu-west-1-crawler-shards-dlq"
    error_message = "Only the shard queue may send its dead letters to the shard DLQ."
  }

  assert {
    condition     = aws_sqs_queue.crawler_shards_dlq[0].message_retention_seconds == 1209600
    error_message = "The DLQ keeps failed shards 14 days, for a look."
  }

  assert {
    condition     = aws_sqs_queue.crawler_shards[0].visibility_timeout_seconds == 240 && aws_sqs_queue.crawler_shards[0].visibility_timeout_seconds >= module.crawler_worker[0].configuration.timeout
    error_message = "The queue hides a received shard at least as long as the worker may run (Lambda refuses the mapping otherwise)."
  }

  assert {
    condition     = aws_sqs_queue.crawler_shards[0].message_retention_seconds == 300 + 240
    error_message = "A shard is kept one crawl interval (300 s) past which it is stale, plus the visibility timeout, so a failed one is moved to the DLQ before it expires."
  }
}

run "retention_and_visibility_follow_the_schedule_and_timeout" {
  command = plan

  variables {
    crawler = { schedule_expression = "rate(15 minutes)", timeout_seconds = 900 }
  }

  assert {
    condition     = aws_sqs_queue.crawler_shards[0].visibility_timeout_seconds == 900 && module.crawler_worker[0].configuration.timeout == 900 && aws_sqs_queue.crawler_shards[0].message_retention_seconds == 900 + 900
    error_message = "A 900 s worker gets a 900 s visibility timeout, and retention grows with the interval and the timeout."
  }
}

run "the_mapping_feeds_the_worker_one_shard_at_a_time" {
  command = plan

  assert {
    condition = (
      aws_lambda_event_source_mapping.crawler_shards[0].event_source_arn == "arn:aws:sqs:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-crawler-shards"
      && aws_lambda_event_source_mapping.crawler_shards[0].function_name == "arn:aws:lambda:eu-west-1:123456789012:function:webhealth-web-dev-eu-west-1-crawlworker:live"
      && aws_lambda_event_source_mapping.crawler_shards[0].batch_size == 1
      && aws_lambda_event_source_mapping.crawler_shards[0].enabled == true
    )
    error_message = "The shard queue's mapping invokes the worker's live alias with one shard per invocation, enabled on AWS."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.crawler_shards[0].scaling_config[0].maximum_concurrency == 100 && module.crawler.environment_variables["MAX_SHARDS"] == "100"
    error_message = "At most max_shards (100 by default) workers run at once: a fan-out takes no more of the account's concurrency."
  }
}

run "two_shards_is_the_smallest_fan_out" {
  command = plan

  variables {
    crawler = { max_shards = 2 }
  }

  assert {
    condition     = aws_lambda_event_source_mapping.crawler_shards[0].scaling_config[0].maximum_concurrency == 2 && module.crawler_worker[0].environment_variables["MAX_SHARDS"] == "2"
    error_message = "max_shards 2 fans out to at most 2 workers at once (AWS's smallest maximum concurrency)."
  }
}

run "at_most_256_shards" {
  command = plan

  variables {
    crawler = { max_shards = 256 }
  }

  assert {
    condition     = aws_lambda_event_source_mapping.crawler_shards[0].scaling_config[0].maximum_concurrency == 256
    error_message = "max_shards 256 (one shard per id prefix) allows 256 workers at once."
  }
}

run "the_worker_is_the_crawler_without_reserved_concurrency" {
  command = plan

  variables {
    crawler = { memory_mb = 512, timeout_seconds = 120, reserved_concurrency = 1 }
  }

  assert {
    condition     = module.crawler.configuration.reserved_concurrency == 1 && module.crawler_worker[0].configuration.reserved_concurrency == null
    error_message = "The coordinator keeps its reserved concurrency 1 (no overlapping runs) while the worker has none, so the workers are not throttled behind it (their shards would go to the DLQ)."
  }

  assert {
    condition = (
      [for k in ["memory_size", "timeout", "architecture", "async_maximum_retry_attempts", "async_maximum_event_age_seconds"] : module.crawler_worker[0].configuration[k]] == [512, 120, "arm64", 0, 60]
      && module.crawler_worker[0].function_name == "webhealth-web-dev-eu-west-1-crawlworker"
    )
    error_message = "The worker <stack>-crawlworker has the crawler's memory and timeout and, as the crawler, no asynchronous retries."
  }

  assert {
    condition     = module.crawler_worker[0].environment_variables == module.crawler.environment_variables && module.crawler_worker[0].environment_variables["SHARD_QUEUE_URL"] == "https://sqs.eu-west-1.amazonaws.com/123456789012/webhealth-web-dev-eu-west-1-crawler-shards"
    error_message = "Both functions get the shard queue's URL and the crawler's settings."
  }

  assert {
    condition     = output.crawler_shard_queue_url == "https://sqs.eu-west-1.amazonaws.com/123456789012/webhealth-web-dev-eu-west-1-crawler-shards" && output.crawler_shard_queue_arn == "arn:aws:sqs:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-crawler-shards" && output.crawler_shard_dlq_url == "https://sqs.eu-west-1.amazonaws.com/123456789012/webhealth-web-dev-eu-west-1-crawler-shards-dlq" && output.crawler_shard_dlq_arn == "arn:aws:sqs:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-crawler-shards-dlq"
    error_message = "The shard queue and its DLQ are outputs."
  }
}

run "one_shard_is_no_fan_out" {
  command = plan

  variables {
    crawler = { max_shards = 1 }
  }

  assert {
    condition     = length(aws_sqs_queue.crawler_shards) == 0 && length(aws_sqs_queue.crawler_shards_dlq) == 0 && length(aws_sqs_queue_redrive_allow_policy.crawler_shards_dlq) == 0
    error_message = "max_shards 1 creates no shard queue and no DLQ."
  }

  assert {
    condition     = length(module.crawler_worker) == 0 && length(aws_lambda_event_source_mapping.crawler_shards) == 0
    error_message = "max_shards 1 creates no worker function and no mapping."
  }

  assert {
    condition     = !contains(keys(module.crawler.environment_variables), "SHARD_QUEUE_URL") && module.crawler.environment_variables["MAX_SHARDS"] == "1"
    error_message = "max_shards 1 leaves SHARD_QUEUE_URL unset: every run judges all its targets itself."
  }

  assert {
    condition     = output.crawler_shard_queue_url == null && output.crawler_shard_queue_arn == null && output.crawler_shard_dlq_url == null && output.crawler_shard_dlq_arn == null
    error_message = "Without fan-out the queue outputs are null."
  }
}

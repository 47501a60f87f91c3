# emulator_compatibility: all off is AWS behaviour; each switch changes only what its emulator gap needs.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  team            = "web"
  environment     = "local"
  release_version = "1.4.0"
  artifacts_dir   = "tests/fixtures"
}

run "aws_behaviour_by_default" {
  command = plan

  assert {
    condition     = aws_api_gateway_rest_api.this.tags["release_version"] == "1.4.0" && aws_api_gateway_stage.this.tags["release_version"] == "1.4.0" && aws_api_gateway_usage_plan.this.tags["release_version"] == "1.4.0" && aws_api_gateway_api_key.this.tags["release_version"] == "1.4.0"
    error_message = "On AWS the API Gateway resources carry the release version."
  }

  assert {
    condition     = alltrue([for m in [module.crawler, module.alarmlogger, module.urlapi, module.notifier] : m.configuration.application_log_level == "INFO"])
    error_message = "On AWS every function gets its JSON logging config."
  }
}

run "aws_behaviour_enables_the_shard_mapping" {
  command = plan

  assert {
    condition     = length(aws_sqs_queue_redrive_allow_policy.crawler_shards_dlq) == 1
    error_message = "On AWS the shard DLQ has its redrive allow policy."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.crawler_shards[0].enabled == true
    error_message = "On AWS the shard queue's mapping is enabled: Lambda delivers the shards to the worker."
  }
}

run "disable_event_source_mappings" {
  command = plan

  variables {
    emulator_compatibility = { disable_event_source_mappings = true }
  }

  assert {
    condition     = aws_lambda_event_source_mapping.crawler_shards[0].enabled == false && aws_lambda_event_source_mapping.crawler_shards[0].batch_size == 1 && aws_lambda_event_source_mapping.crawler_shards[0].scaling_config[0].maximum_concurrency == 100
    error_message = "With disable_event_source_mappings the mapping exists, disabled and otherwise as on AWS, for the local runtime to read and deliver."
  }

  assert {
    condition     = aws_api_gateway_rest_api.this.tags["release_version"] == "1.4.0" && module.crawler.configuration.application_log_level == "INFO"
    error_message = "Nothing else changes."
  }
}

run "omit_sqs_redrive_allow_policy" {
  command = plan

  variables {
    emulator_compatibility = { omit_sqs_redrive_allow_policy = true }
  }

  assert {
    condition     = length(aws_sqs_queue_redrive_allow_policy.crawler_shards_dlq) == 0 && jsondecode(aws_sqs_queue.crawler_shards[0].redrive_policy).maxReceiveCount == 1
    error_message = "With omit_sqs_redrive_allow_policy the DLQ has no redrive allow policy; the shard queue still sends failed shards to it."
  }
}

run "static_apigateway_tags" {
  command = plan

  variables {
    emulator_compatibility = { static_apigateway_tags = true }
  }

  assert {
    condition     = alltrue([for t in [aws_api_gateway_rest_api.this.tags, aws_api_gateway_stage.this.tags, aws_api_gateway_api_key.this.tags, aws_api_gateway_usage_plan.this.tags] : !contains(keys(t), "release_version") && t["team"] == "web"])
    error_message = "With static_apigateway_tags the API Gateway resources are tagged without the release version."
  }

  assert {
    condition     = aws_dynamodb_table.alarms.tags["release_version"] == "1.4.0" && module.crawler.configuration.application_log_level == "INFO"
    error_message = "Other resources keep the release version tag, and the logging config stays."
  }
}

run "omit_lambda_logging_config" {
  command = plan

  variables {
    emulator_compatibility = { omit_lambda_logging_config = true }
  }

  assert {
    condition     = alltrue([for m in [module.crawler, module.alarmlogger, module.urlapi, module.notifier] : m.configuration.application_log_level == null && m.log_group_name == "/aws/lambda/${m.function_name}"])
    error_message = "With omit_lambda_logging_config no function gets a logging config; their log groups stay Lambda's default ones."
  }

  assert {
    condition     = aws_api_gateway_rest_api.this.tags["release_version"] == "1.4.0"
    error_message = "The API Gateway tags are unaffected."
  }
}

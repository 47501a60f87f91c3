# emulator_compatibility: all off is AWS behaviour; omit_logging_config leaves out only the logging config.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  function_name   = "wh-web-dev-eu-west-1-crawler"
  release_version = "1.2.3"
  zip_path        = "tests/fixtures/function.zip"
  log_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/0f8fad5b-d9cb-469f-a165-70867728950e"
  alarm_topic_arn = "arn:aws:sns:eu-west-1:123456789012:ops"
}

run "logging_config_on_aws" {
  command = plan

  assert {
    condition     = length(aws_lambda_function.this.logging_config) == 1 && output.configuration.application_log_level == "INFO"
    error_message = "By default (AWS) the function gets its JSON logging config."
  }
}

run "omit_logging_config" {
  command = plan

  variables {
    emulator_compatibility = { omit_logging_config = true }
  }

  assert {
    condition     = length(aws_lambda_function.this.logging_config) == 0 && output.configuration.application_log_level == null
    error_message = "With omit_logging_config no logging config is sent."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.name == "/aws/lambda/wh-web-dev-eu-west-1-crawler" && aws_cloudwatch_log_group.this.kms_key_id == var.log_kms_key_arn
    error_message = "The log group is still Lambda's default group for the function, encrypted."
  }
}

# Mocked AWS values shared by every test file of this module (mock_provider "aws" { source = "./tests/mocks" }).
# Known ARNs and ids at plan time (the files set override_during = plan), so policies and wiring can be inspected.

mock_data "aws_caller_identity" {
  defaults = { account_id = "123456789012" }
}

mock_data "aws_partition" {
  defaults = { partition = "aws" }
}

mock_data "aws_region" {
  defaults = { name = "eu-west-1" }
}

mock_resource "aws_kms_key" {
  defaults = {
    arn    = "arn:aws:kms:eu-west-1:123456789012:key/0f8fad5b-d9cb-469f-a165-70867728950e"
    key_id = "0f8fad5b-d9cb-469f-a165-70867728950e"
  }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/mocked" }
}

mock_resource "aws_iam_role" {
  defaults = { arn = "arn:aws:iam::123456789012:role/mocked" }
}

override_resource {
  target = aws_sns_topic.alarms
  values = { arn = "arn:aws:sns:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-alarms" }
}

override_resource {
  target = aws_sns_topic.ops
  values = { arn = "arn:aws:sns:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-ops" }
}

override_resource {
  target = aws_sns_topic.notifications
  values = { arn = "arn:aws:sns:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-notifications" }
}

override_resource {
  target = module.notifier.aws_iam_role.this
  values = { arn = "arn:aws:iam::123456789012:role/webhealth-web-dev-eu-west-1-notifier" }
}

override_resource {
  target = aws_sqs_queue.alarmlogger_failures
  values = { arn = "arn:aws:sqs:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-alarmlogger-failures" }
}

override_resource {
  target = aws_sqs_queue.notifier_failures
  values = { arn = "arn:aws:sqs:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-notifier-failures" }
}

override_resource {
  target = aws_sqs_queue.crawler_shards
  values = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-crawler-shards"
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/webhealth-web-dev-eu-west-1-crawler-shards"
  }
}

override_resource {
  target = aws_sqs_queue.crawler_shards_dlq
  values = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-crawler-shards-dlq"
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/webhealth-web-dev-eu-west-1-crawler-shards-dlq"
  }
}

override_resource {
  target = aws_dynamodb_table.deliveries
  values = { arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-eu-west-1-deliveries" }
}

# terraform/global's tables, as the mocked region's replicas (tests/global.auto.tfvars names them).
override_data {
  target = data.aws_dynamodb_table.urls
  values = { arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-urls" }
}

override_data {
  target = data.aws_dynamodb_table.checks
  values = { arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-checks" }
}

override_resource {
  target = aws_dynamodb_table.alarms
  values = { arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-eu-west-1-alarms" }
}

override_resource {
  target = aws_cloudwatch_event_rule.crawl
  values = { arn = "arn:aws:events:eu-west-1:123456789012:rule/webhealth-web-dev-eu-west-1-crawl" }
}

override_resource {
  target = aws_cloudwatch_log_group.api_access
  values = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/apigateway/webhealth-web-dev-eu-west-1/access" }
}

override_resource {
  target = aws_api_gateway_rest_api.this
  values = {
    id               = "a1b2c3d4e5"
    root_resource_id = "r00t"
    execution_arn    = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5"
  }
}

override_resource {
  target = module.crawler.aws_lambda_alias.live
  values = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:webhealth-web-dev-eu-west-1-crawler:live"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:webhealth-web-dev-eu-west-1-crawler:live/invocations"
  }
}

override_resource {
  target = module.alarmlogger.aws_lambda_alias.live
  values = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:webhealth-web-dev-eu-west-1-alarmlogger:live"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:webhealth-web-dev-eu-west-1-alarmlogger:live/invocations"
  }
}

override_resource {
  target = module.urlapi.aws_lambda_alias.live
  values = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:webhealth-web-dev-eu-west-1-urlapi:live"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:webhealth-web-dev-eu-west-1-urlapi:live/invocations"
  }
}

override_resource {
  target = module.notifier.aws_lambda_alias.live
  values = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:webhealth-web-dev-eu-west-1-notifier:live"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:webhealth-web-dev-eu-west-1-notifier:live/invocations"
  }
}

override_resource {
  target = module.crawler_worker[0].aws_lambda_alias.live
  values = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:webhealth-web-dev-eu-west-1-crawlworker:live"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:webhealth-web-dev-eu-west-1-crawlworker:live/invocations"
  }
}

mock_resource "aws_chatbot_slack_channel_configuration" {
  defaults = { chat_configuration_arn = "arn:aws:chatbot::123456789012:chat-configuration/slack-channel/mocked" }
}

mock_resource "aws_chatbot_teams_channel_configuration" {
  defaults = { chat_configuration_arn = "arn:aws:chatbot::123456789012:chat-configuration/microsoft-teams-channel/mocked" }
}

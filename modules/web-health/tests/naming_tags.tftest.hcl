# Names unique per team, environment and region; the tags every resource carries.
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

run "names_are_unique_per_team_environment_and_region" {
  command = plan

  assert {
    condition     = output.name == "webhealth-web-dev-eu-west-1"
    error_message = "The stack name is <name_prefix>-<team>-<environment>-<region>."
  }

  assert {
    condition = output.function_names == {
      crawler     = "webhealth-web-dev-eu-west-1-crawler"
      alarmlogger = "webhealth-web-dev-eu-west-1-alarmlogger"
      urlapi      = "webhealth-web-dev-eu-west-1-urlapi"
      notifier    = "webhealth-web-dev-eu-west-1-notifier"
      crawlworker = "webhealth-web-dev-eu-west-1-crawlworker"
    }
    error_message = "Functions are named <stack>-<function> (their roles share the name; IAM is global, so it carries the region)."
  }

  assert {
    condition     = output.urls_table == "webhealth-web-dev-urls" && output.alarms_table == "webhealth-web-dev-eu-west-1-alarms" && output.deliveries_table == "webhealth-web-dev-eu-west-1-deliveries"
    error_message = "The target table is the environment's global one; the stack's own are <stack>-alarms and <stack>-deliveries."
  }

  assert {
    condition     = output.alarm_prefix == "webhealth-web-dev-eu-west-1-target" && output.metric_namespace == "WebHealth/webhealth-web-dev-eu-west-1"
    error_message = "The crawler's alarm prefix must not cover the operational alarms (<stack>-<function>-...), and the namespace is WebHealth/<stack>."
  }

  assert {
    condition     = output.crawler_schedule_rule == "webhealth-web-dev-eu-west-1-crawl" && output.dashboard_name == "webhealth-web-dev-eu-west-1" && output.stage_name == "v1"
    error_message = "Rule, dashboard and stage names must follow the stack name."
  }

  assert {
    condition     = alltrue([for k, n in output.ops_alarms : n == "webhealth-web-dev-eu-west-1-${k}"]) && !anytrue([for n in values(output.ops_alarms) : startswith(n, output.alarm_prefix)])
    error_message = "Operational alarms are named <stack>-<what> (so the ops topic policy lets them publish), never under the crawler's alarm prefix."
  }

  assert {
    condition     = aws_sqs_queue.notifier_failures.name == "webhealth-web-dev-eu-west-1-notifier-failures" && aws_sqs_queue.alarmlogger_failures.name == "webhealth-web-dev-eu-west-1-alarmlogger-failures"
    error_message = "Failure queues are named <stack>-<function>-failures."
  }

  assert {
    condition     = aws_sqs_queue.crawler_shards[0].name == "webhealth-web-dev-eu-west-1-crawler-shards" && aws_sqs_queue.crawler_shards_dlq[0].name == "webhealth-web-dev-eu-west-1-crawler-shards-dlq"
    error_message = "The fan-out's queues are <stack>-crawler-shards and <stack>-crawler-shards-dlq."
  }

  assert {
    condition     = aws_sns_topic.alarms.name == "webhealth-web-dev-eu-west-1-alarms" && aws_sns_topic.ops.name == "webhealth-web-dev-eu-west-1-ops" && aws_api_gateway_rest_api.this.name == "webhealth-web-dev-eu-west-1"
    error_message = "Topics and the API are named after the stack."
  }

  assert {
    condition = alltrue([for t in concat([aws_dynamodb_table.alarms.tags, aws_dynamodb_table.deliveries.tags, aws_sns_topic.alarms.tags, aws_api_gateway_rest_api.this.tags, aws_kms_key.this.tags, aws_cloudwatch_event_rule.crawl.tags, aws_sqs_queue.notifier_failures.tags, aws_sqs_queue.crawler_shards[0].tags, aws_sqs_queue.crawler_shards_dlq[0].tags], [for a in aws_cloudwatch_metric_alarm.ops : a.tags]) :
    t["team"] == "web" && t["environment"] == "dev" && t["release_version"] == "1.4.0"])
    error_message = "Every resource is tagged with team, environment and release_version."
  }
}

run "extra_tags_never_replace_the_release_tags" {
  command = plan

  variables {
    tags = { owner = "web-oncall", team = "someone-else", release_version = "9.9.9" }
  }

  assert {
    condition     = aws_dynamodb_table.alarms.tags["owner"] == "web-oncall" && aws_dynamodb_table.alarms.tags["team"] == "web" && aws_dynamodb_table.alarms.tags["release_version"] == "1.4.0"
    error_message = "Extra tags are added, but team, environment and release_version always come from the deployment."
  }
}

# Alarm topics and their subscriber, the crawl schedule and the dashboard.
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

run "alarm_topic_wiring" {
  command = plan

  assert {
    condition     = aws_sns_topic.alarms.kms_master_key_id == aws_kms_key.this.arn && aws_sns_topic.ops.kms_master_key_id == aws_kms_key.this.arn
    error_message = "Both topics are encrypted with the customer-managed key (aws/sns does not work with alarms)."
  }

  assert {
    condition = jsondecode(aws_sns_topic_policy.this["alarms"].policy).Statement == [{
      Sid       = "CloudWatchAlarmsOfThisAccount"
      Effect    = "Allow"
      Principal = { Service = "cloudwatch.amazonaws.com" }
      Action    = ["sns:Publish"]
      Resource  = aws_sns_topic.alarms.arn
      Condition = {
        StringEquals = { "aws:SourceAccount" = "123456789012" }
        ArnLike      = { "aws:SourceArn" = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:webhealth-web-dev-eu-west-1-target-*" }
      }
    }]
    error_message = "Only this account's per-target alarms may publish to the alarm topic."
  }

  assert {
    condition     = aws_sns_topic_subscription.alarmlogger.protocol == "lambda" && aws_sns_topic_subscription.alarmlogger.endpoint == "arn:aws:lambda:eu-west-1:123456789012:function:webhealth-web-dev-eu-west-1-alarmlogger:live"
    error_message = "The alarmlogger's live alias is subscribed to the alarm topic."
  }

  assert {
    condition     = aws_lambda_permission.alarmlogger_from_sns.principal == "sns.amazonaws.com" && aws_lambda_permission.alarmlogger_from_sns.source_arn == aws_sns_topic.alarms.arn && aws_lambda_permission.alarmlogger_from_sns.qualifier == "live"
    error_message = "Only the alarm topic may invoke the alarmlogger alias."
  }

  assert {
    condition     = aws_sqs_queue.alarmlogger_failures.kms_master_key_id == aws_kms_key.this.arn && aws_sqs_queue.notifier_failures.kms_master_key_id == aws_kms_key.this.arn
    error_message = "The failure queues are encrypted with the stack key."
  }

  assert {
    condition = { for k, s in aws_sns_topic_subscription.notifier : k => [s.topic_arn, s.protocol, s.endpoint] } == {
      alarms = [aws_sns_topic.alarms.arn, "lambda", "arn:aws:lambda:eu-west-1:123456789012:function:webhealth-web-dev-eu-west-1-notifier:live"]
      ops    = [aws_sns_topic.ops.arn, "lambda", "arn:aws:lambda:eu-west-1:123456789012:function:webhealth-web-dev-eu-west-1-notifier:live"]
    }
    error_message = "The notifier's live alias is subscribed to both the alarm topic and the ops topic (even without webhooks: it then reads and drops)."
  }

  assert {
    condition     = alltrue([for k, p in aws_lambda_permission.notifier_from_sns : p.principal == "sns.amazonaws.com" && p.qualifier == "live" && p.source_arn == { alarms = aws_sns_topic.alarms.arn, ops = aws_sns_topic.ops.arn }[k]]) && length(aws_lambda_permission.notifier_from_sns) == 2
    error_message = "Only the two topics may invoke the notifier alias, each by its own permission."
  }

  assert {
    condition     = length([for s in jsondecode(module.notifier.execution_policy).Statement : s if s.Sid == "SendFailedInvocations" && s.Resource == [aws_sqs_queue.notifier_failures.arn]]) == 1
    error_message = "The notifier's failed notifications go to its encrypted queue."
  }

  assert {
    condition     = length(aws_sns_topic_subscription.email) == 0 && length(aws_chatbot_slack_channel_configuration.this) == 0 && length(aws_chatbot_teams_channel_configuration.this) == 0 && length(aws_iam_role.chatbot) == 0
    error_message = "Without notifications nobody but the alarm logger and the notifier is subscribed."
  }

  assert {
    condition     = length([for s in jsondecode(module.alarmlogger.execution_policy).Statement : s if s.Sid == "SendFailedInvocations" && s.Resource == [aws_sqs_queue.alarmlogger_failures.arn]]) == 1
    error_message = "The alarmlogger's failed notifications go to the encrypted queue."
  }
}

run "schedule_targets_the_crawler_alias" {
  command = plan

  assert {
    condition     = aws_cloudwatch_event_rule.crawl.schedule_expression == "rate(5 minutes)" && aws_cloudwatch_event_target.crawl.arn == "arn:aws:lambda:eu-west-1:123456789012:function:webhealth-web-dev-eu-west-1-crawler:live"
    error_message = "The rule runs the crawler's live alias on the schedule."
  }

  assert {
    condition     = aws_lambda_permission.crawler_from_schedule.principal == "events.amazonaws.com" && aws_lambda_permission.crawler_from_schedule.source_arn == aws_cloudwatch_event_rule.crawl.arn && aws_lambda_permission.crawler_from_schedule.qualifier == "live"
    error_message = "Only the schedule rule may invoke the crawler alias."
  }
}

run "one_crawl_per_schedule_event_and_no_late_runs" {
  command = plan

  assert {
    condition     = module.crawler.configuration.async_maximum_retry_attempts == 0 && module.crawler.configuration.async_maximum_event_age_seconds == 60
    error_message = "The crawler's asynchronous invocations are never retried (a failed run is not re-run: partial failures are run metrics) and a schedule event older than 60 s is dropped, not run late."
  }

  assert {
    condition     = aws_cloudwatch_event_target.crawl.retry_policy[0].maximum_event_age_in_seconds == 60 && aws_cloudwatch_event_target.crawl.retry_policy[0].maximum_retry_attempts <= 2
    error_message = "EventBridge retries handing a schedule event to the crawler for at most 60 s and twice (its default is 24 hours and 185 times)."
  }

  assert {
    condition     = [for f in ["alarmlogger", "notifier"] : [for k in ["async_maximum_retry_attempts", "async_maximum_event_age_seconds"] : output.function_configurations[f][k]]] == [[2, 3600], [2, 21600]]
    error_message = "The alarm logger and the notifier keep Lambda's retries before their failure queues (within 1 and 6 hours)."
  }
}

run "dashboard_uses_metrics_insights" {
  command = plan

  assert {
    condition     = jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets[0].properties.metrics[0][0].expression == "SELECT AVG(Availability) FROM SCHEMA(\"WebHealth/webhealth-web-dev-eu-west-1\", Region, TargetId) GROUP BY TargetId"
    error_message = "Availability per target comes from a Metrics Insights query, so new targets appear without a re-apply."
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets[1].properties.metrics[0][0].expression == "SELECT AVG(Latency) FROM SCHEMA(\"WebHealth/webhealth-web-dev-eu-west-1\", Region, TargetId) GROUP BY TargetId"
    error_message = "Latency per target comes from a Metrics Insights query."
  }

  assert {
    condition = jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets[2].properties.metrics == [
      for m in ["TargetsChecked", "TargetsDown", "RunFailures", "AlarmsPending", "Shards"] : ["WebHealth/webhealth-web-dev-eu-west-1", m, "Region", "eu-west-1"]
    ]
    error_message = "The crawl runs widget shows each run's checked and down targets, its partial failures (RunFailures, the crawler-failures alarm), the alarm work it left (AlarmsPending, the crawler-alarm-backlog alarm) and its shards."
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets[2].properties.stat == "Sum" && jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets[2].properties.period == 300
    error_message = "The crawl runs widget sums each crawl interval (300 s by default): a fanned-out run's workers each publish their shard's counts, and their Sum is the run's total."
  }

  assert {
    condition = jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets[3].properties.metrics == [
      for p in setproduct(["webhealth-web-dev-eu-west-1-alarmlogger", "webhealth-web-dev-eu-west-1-crawler", "webhealth-web-dev-eu-west-1-crawlworker", "webhealth-web-dev-eu-west-1-notifier", "webhealth-web-dev-eu-west-1-urlapi"], ["Errors", "Throttles"]) :
      ["AWS/Lambda", p[1], "FunctionName", p[0]]
    ]
    error_message = "The functions widget has one [namespace, metric, dimension, value] array per function and metric (a flat list is no metric CloudWatch can draw)."
  }
}

# Watching the watcher: the stack's operational alarms, what each judges, and that they reach the ops topic.

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

run "every_ops_alarm_is_named_and_on_the_ops_topic" {
  command = plan

  assert {
    condition = output.ops_alarms == merge(
      { for k in ["crawler-heartbeat", "crawler-skipped", "crawler-failures", "crawler-alarm-backlog", "api-5xx", "alarmlogger-failures-messages", "notifier-failures-messages", "crawler-shards-age", "crawler-shards-dlq-messages"] : k => "webhealth-web-dev-eu-west-1-${k}" },
      { for p in setproduct(["crawler", "alarmlogger", "urlapi", "notifier", "crawlworker"], ["errors", "throttles", "duration"]) : "${p[0]}-${p[1]}" => "webhealth-web-dev-eu-west-1-${p[0]}-${p[1]}" },
    )
    error_message = "ops_alarms names the heartbeat, skipped targets, run failures, the alarm backlog, API 5xx, both failure queues, the shard queue's age and DLQ, and errors/throttles/duration of all five functions (the notifier and the shard worker included)."
  }

  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.ops : a.alarm_actions == toset([aws_sns_topic.ops.arn]) && a.ok_actions == toset([aws_sns_topic.ops.arn])])
    error_message = "Every operational alarm publishes ALARM and OK to the ops topic (where the notifier, e-mail and Chatbot listen)."
  }

  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.ops : length(a.alarm_description) <= 1024 && strcontains(a.alarm_description, "docs/runbook.md")])
    error_message = "Every operational alarm says what happened and where to look, within CloudWatch's 1024 characters, and names its runbook entry."
  }
}

run "heartbeat_breaches_on_two_crawl_intervals_without_a_run" {
  command = plan

  assert {
    condition = [for k in ["namespace", "metric_name", "statistic", "period", "evaluation_periods", "datapoints_to_alarm", "threshold", "comparison_operator", "treat_missing_data"] : aws_cloudwatch_metric_alarm.ops["crawler-heartbeat"][k]] == [
      "WebHealth/webhealth-web-dev-eu-west-1", "RunDuration", "SampleCount", 300, 2, 2, 1, "LessThanThreshold", "breaching",
    ] && aws_cloudwatch_metric_alarm.ops["crawler-heartbeat"].dimensions == tomap({ Region = "eu-west-1" })
    error_message = "The heartbeat counts the crawler's RunDuration (one per completed run) per crawl interval (300 s by default) and breaches when two intervals hold none; missing data breaches, so a disabled schedule or a crashing crawler pages."
  }

  assert {
    condition = [for k in ["metric_name", "statistic", "period", "evaluation_periods", "threshold", "comparison_operator", "treat_missing_data"] : aws_cloudwatch_metric_alarm.ops["crawler-skipped"][k]] == [
      "TargetsSkipped", "Maximum", 300, 1, 0, "GreaterThanThreshold", "notBreaching",
    ] && aws_cloudwatch_metric_alarm.ops["crawler-skipped"].dimensions == tomap({ Region = "eu-west-1" })
    error_message = "The skipped alarm fires when a crawl interval holds a run that skipped targets (TargetsSkipped > 0)."
  }
}

run "run_failures_and_alarm_backlog_judge_crawl_intervals" {
  command = plan

  assert {
    condition = [for k in ["namespace", "metric_name", "statistic", "period", "evaluation_periods", "datapoints_to_alarm", "threshold", "comparison_operator", "treat_missing_data"] : aws_cloudwatch_metric_alarm.ops["crawler-failures"][k]] == [
      "WebHealth/webhealth-web-dev-eu-west-1", "RunFailures", "Maximum", 300, 1, 1, 0, "GreaterThanThreshold", "notBreaching",
    ] && aws_cloudwatch_metric_alarm.ops["crawler-failures"].dimensions == tomap({ Region = "eu-west-1" })
    error_message = "The failures alarm fires when a crawl interval holds a run that reported failures (RunFailures Maximum > 0); no run is the heartbeat's concern, not this one's."
  }

  assert {
    condition = [for k in ["namespace", "metric_name", "statistic", "period", "evaluation_periods", "datapoints_to_alarm", "threshold", "comparison_operator", "treat_missing_data"] : aws_cloudwatch_metric_alarm.ops["crawler-alarm-backlog"][k]] == [
      "WebHealth/webhealth-web-dev-eu-west-1", "AlarmsPending", "Sum", 300, 10, 10, 0, "GreaterThanThreshold", "notBreaching",
    ] && aws_cloudwatch_metric_alarm.ops["crawler-alarm-backlog"].dimensions == tomap({ Region = "eu-west-1" })
    error_message = "The backlog alarm fires when the runs of 10 crawl intervals in a row left alarm work pending (AlarmsPending Sum > 0 in each: the shard workers each publish their own, so a Minimum would miss one shard that never catches up); one interval that caught up, or held no run, is not a backlog."
  }

  assert {
    condition     = alltrue([for k in ["crawler-failures", "crawler-alarm-backlog"] : strcontains(aws_cloudwatch_metric_alarm.ops[k].alarm_description, "(docs/runbook.md, ${k}).")])
    error_message = "Each of the two alarms names its own runbook entry."
  }
}

run "alarm_backlog_judges_at_most_one_day" {
  command = plan

  variables {
    crawler = { schedule_expression = "rate(3 hours)" }
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.ops["crawler-alarm-backlog"].period == 10800 && aws_cloudwatch_metric_alarm.ops["crawler-alarm-backlog"].evaluation_periods == 8 && aws_cloudwatch_metric_alarm.ops["crawler-failures"].period == 10800
    error_message = "Crawling every 3 hours, the backlog alarm judges the 8 intervals that fit in CloudWatch's one day."
  }
}

run "heartbeat_follows_the_schedule" {
  command = plan

  variables {
    crawler = { schedule_expression = "rate(1 minute)" }
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.ops["crawler-heartbeat"].period == 60 && aws_cloudwatch_metric_alarm.ops["crawler-heartbeat"].evaluation_periods == 2 && aws_cloudwatch_metric_alarm.ops["crawler-skipped"].period == 60 && aws_cloudwatch_metric_alarm.ops["crawler-failures"].period == 60 && aws_cloudwatch_metric_alarm.ops["crawler-alarm-backlog"].period == 60 && aws_cloudwatch_metric_alarm.ops["crawler-alarm-backlog"].evaluation_periods == 10
    error_message = "Crawling every minute, the heartbeat, skipped, failures and backlog alarms judge minutes (the backlog 10 of them)."
  }
}

run "heartbeat_of_a_cron_schedule_uses_the_alarm_period" {
  command = plan

  variables {
    crawler = { schedule_expression = "cron(0/10 * * * ? *)" }
    alarms  = { period_seconds = 600 }
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.ops["crawler-heartbeat"].period == 600 && aws_cloudwatch_metric_alarm.ops["crawler-heartbeat"].evaluation_periods == 2
    error_message = "For a cron schedule the heartbeat judges the explicit alarm period (at least the longest gap between runs)."
  }
}

run "heartbeat_of_a_daily_crawl_judges_one_day" {
  command = plan

  variables {
    crawler = { schedule_expression = "rate(1 day)" }
    alarms  = { evaluation_periods = 1, datapoints_to_alarm = 1 }
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.ops["crawler-heartbeat"].period == 86400 && aws_cloudwatch_metric_alarm.ops["crawler-heartbeat"].evaluation_periods == 1 && aws_cloudwatch_metric_alarm.ops["crawler-alarm-backlog"].evaluation_periods == 1
    error_message = "CloudWatch judges at most one day, so a daily crawl's heartbeat and alarm backlog judge one day."
  }
}

run "queues_and_api_errors" {
  command = plan

  assert {
    condition = alltrue([for q in ["alarmlogger-failures", "notifier-failures"] :
      [for k in ["namespace", "metric_name", "statistic", "period", "evaluation_periods", "threshold", "comparison_operator", "treat_missing_data"] : aws_cloudwatch_metric_alarm.ops["${q}-messages"][k]] == ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", 300, 1, 0, "GreaterThanThreshold", "notBreaching"]
      && aws_cloudwatch_metric_alarm.ops["${q}-messages"].dimensions == tomap({ QueueName = "webhealth-web-dev-eu-west-1-${q}" })
    ])
    error_message = "Any message in a failure queue (alarmlogger, notifier) raises its alarm."
  }

  assert {
    condition = [for k in ["namespace", "metric_name", "statistic", "period", "evaluation_periods", "threshold", "comparison_operator", "treat_missing_data"] : aws_cloudwatch_metric_alarm.ops["api-5xx"][k]] == [
      "AWS/ApiGateway", "5XXError", "Average", 300, 1, 0.05, "GreaterThanThreshold", "notBreaching",
    ] && aws_cloudwatch_metric_alarm.ops["api-5xx"].dimensions == tomap({ ApiName = "webhealth-web-dev-eu-west-1", Stage = "v1" })
    error_message = "The API alarm fires when more than 5% of the stage's requests answer 5xx over 5 minutes; no traffic is no alarm."
  }
}

run "fan_out_queues_page_on_a_missed_or_failed_shard" {
  command = plan

  assert {
    condition = [for k in ["namespace", "metric_name", "statistic", "period", "evaluation_periods", "threshold", "comparison_operator", "treat_missing_data"] : aws_cloudwatch_metric_alarm.ops["crawler-shards-age"][k]] == [
      "AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum", 60, 1, 300, "GreaterThanOrEqualToThreshold", "notBreaching",
    ] && aws_cloudwatch_metric_alarm.ops["crawler-shards-age"].dimensions == tomap({ QueueName = "webhealth-web-dev-eu-west-1-crawler-shards" })
    error_message = "A shard that has waited a whole crawl interval (300 s by default) in the shard queue missed its run: the age alarm fires."
  }

  assert {
    condition = [for k in ["namespace", "metric_name", "statistic", "period", "evaluation_periods", "threshold", "comparison_operator", "treat_missing_data"] : aws_cloudwatch_metric_alarm.ops["crawler-shards-dlq-messages"][k]] == [
      "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", 300, 1, 0, "GreaterThanThreshold", "notBreaching",
    ] && aws_cloudwatch_metric_alarm.ops["crawler-shards-dlq-messages"].dimensions == tomap({ QueueName = "webhealth-web-dev-eu-west-1-crawler-shards-dlq" })
    error_message = "Any shard in the DLQ (a worker failed on it) raises its alarm."
  }

  assert {
    condition     = alltrue([for k in ["crawler-shards-age", "crawler-shards-dlq-messages"] : strcontains(aws_cloudwatch_metric_alarm.ops[k].alarm_description, "(docs/runbook.md, ${k}).")])
    error_message = "Each fan-out alarm names its own runbook entry."
  }
}

run "shard_age_follows_the_schedule" {
  command = plan

  variables {
    crawler = { schedule_expression = "rate(1 minute)", timeout_seconds = 60 }
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.ops["crawler-shards-age"].threshold == 60
    error_message = "Crawling every minute, a shard one minute old has missed its run."
  }
}

run "no_fan_out_no_shard_alarms" {
  command = plan

  variables {
    crawler = { max_shards = 1 }
  }

  assert {
    condition     = length(output.ops_alarms) == 19 && !anytrue([for k in keys(output.ops_alarms) : strcontains(k, "shards") || startswith(k, "crawlworker-")])
    error_message = "With max_shards 1 there is no shard queue, DLQ or worker to alarm on: the 19 alarms of the four functions and the stack."
  }
}

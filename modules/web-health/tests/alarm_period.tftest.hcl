# Alarms that fire in every environment: the per-target alarm period is never shorter than the crawl interval.
# (The refusals are in validations.tftest.hcl, one run per rule.)

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

# dev and beta crawl every 5 minutes; until issue 11 their alarms judged 60-second periods, 2 of 2, so most
# periods held no check and an outage never alarmed on AWS.
run "dev_settings_judge_the_crawl_interval" {
  command = plan

  variables {
    crawler = { schedule_expression = "rate(5 minutes)" }
    alarms  = { evaluation_periods = 2, datapoints_to_alarm = 2, retention_days = 30 }
  }

  assert {
    condition     = module.crawler.environment_variables["ALARM_PERIOD_SECONDS"] == "300" && output.alarm_period_seconds == 300
    error_message = "Without alarms.period_seconds the alarms judge one crawl interval: 300 s for rate(5 minutes), so each period holds a check."
  }
}

run "dev_settings_with_todays_60_second_period_are_refused" {
  command = plan

  variables {
    crawler = { schedule_expression = "rate(5 minutes)" }
    alarms  = { period_seconds = 60, evaluation_periods = 2, datapoints_to_alarm = 2 }
  }

  expect_failures = [aws_cloudwatch_event_rule.crawl]
}

run "a_longer_period_than_the_interval_is_kept" {
  command = plan

  variables {
    crawler = { schedule_expression = "rate(5 minutes)" }
    alarms  = { period_seconds = 600 }
  }

  assert {
    condition     = module.crawler.environment_variables["ALARM_PERIOD_SECONDS"] == "600"
    error_message = "An explicit period of at least the interval is the period."
  }
}

run "every_rate_unit_is_an_interval" {
  command = plan

  variables {
    crawler = { schedule_expression = "rate(2 hours)" }
  }

  assert {
    condition     = module.crawler.environment_variables["ALARM_PERIOD_SECONDS"] == "7200"
    error_message = "rate(2 hours) crawls every 7200 s."
  }
}

run "a_minute_rate_is_a_minute" {
  command = plan

  variables {
    crawler = { schedule_expression = "rate(1 minute)" }
  }

  assert {
    condition     = module.crawler.environment_variables["ALARM_PERIOD_SECONDS"] == "60"
    error_message = "rate(1 minute) crawls every 60 s, the shortest alarm period."
  }
}

run "a_daily_rate_is_a_day" {
  command = plan

  variables {
    crawler = { schedule_expression = "rate(1 day)" }
    alarms  = { evaluation_periods = 1, datapoints_to_alarm = 1 }
  }

  assert {
    condition     = module.crawler.environment_variables["ALARM_PERIOD_SECONDS"] == "86400"
    error_message = "rate(1 day) crawls every 86400 s, the longest alarm period."
  }
}

run "a_cron_schedule_takes_its_explicit_period" {
  command = plan

  variables {
    crawler = { schedule_expression = "cron(0/10 * * * ? *)" }
    alarms  = { period_seconds = 600 }
  }

  assert {
    condition     = module.crawler.environment_variables["ALARM_PERIOD_SECONDS"] == "600"
    error_message = "A cron schedule's alarm period is the one given (the module cannot derive an interval from cron)."
  }
}

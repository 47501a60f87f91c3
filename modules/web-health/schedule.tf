resource "aws_cloudwatch_event_rule" "crawl" {
  name                = "${local.name}-crawl"
  description         = "Runs the webhealth crawler (${var.crawler.schedule_expression})"
  schedule_expression = var.crawler.schedule_expression
  state               = "ENABLED"
  tags                = local.tags

  # Alarms that can fire: each period the per-target alarms judge must hold a check, so the period is never
  # shorter than the crawl interval (alarms.period_seconds, or the interval itself when it is null).
  lifecycle {
    precondition {
      condition     = !(startswith(var.crawler.schedule_expression, "cron(") && var.alarms.period_seconds == null)
      error_message = "alarms.period_seconds must be set when crawler.schedule_expression is a cron expression (${var.crawler.schedule_expression}): the module derives the crawl interval only from rate(...), so give a multiple of 60 at least as long as the longest gap between two runs, e.g. 600 for cron(0/10 * * * ? *)."
    }

    precondition {
      condition     = var.alarms.period_seconds != null || local.crawl_interval_seconds == null || try(local.crawl_interval_seconds <= 86400, true)
      error_message = "crawler.schedule_expression ${var.crawler.schedule_expression} crawls every ${coalesce(local.crawl_interval_seconds, 0)} s, longer than the longest alarm period (86400 s): no alarm could judge it, so crawl at least once a day, e.g. rate(1 day)."
    }

    precondition {
      condition     = var.alarms.period_seconds != null || local.crawl_interval_seconds == null || try(local.crawl_interval_seconds > 86400 || local.crawl_interval_seconds * var.alarms.evaluation_periods <= 86400, true)
      error_message = "The alarm period is the crawl interval of ${var.crawler.schedule_expression} (${coalesce(local.crawl_interval_seconds, 0)} s), and with alarms.evaluation_periods = ${var.alarms.evaluation_periods} the alarms would judge more than 86400 s (CloudWatch evaluates at most one day): lower alarms.evaluation_periods (and datapoints_to_alarm) or crawl more often, e.g. evaluation_periods = 1 for rate(1 day)."
    }

    precondition {
      condition     = var.alarms.period_seconds == null || local.crawl_interval_seconds == null || try(var.alarms.period_seconds >= local.crawl_interval_seconds, true)
      error_message = "The per-target alarm period (alarms.period_seconds = ${coalesce(var.alarms.period_seconds, 0)} s) is shorter than the crawl interval (${coalesce(local.crawl_interval_seconds, 0)} s, crawler.schedule_expression ${var.crawler.schedule_expression}): most periods would hold no check, so with ${var.alarms.datapoints_to_alarm} of ${var.alarms.evaluation_periods} datapoints an outage would never alarm. Leave alarms.period_seconds out to use the interval, or set a multiple of 60 of at least the interval, e.g. period_seconds = ${coalesce(local.crawl_interval_seconds, 60)}."
    }
  }
}

resource "aws_cloudwatch_event_target" "crawl" {
  rule      = aws_cloudwatch_event_rule.crawl.name
  target_id = "crawler"
  arn       = module.crawler.alias_arn

  # EventBridge only hands the event to Lambda's asynchronous queue. A failed hand-over (a throttled or failed
  # Invoke call) is retried twice within 60 s, not for EventBridge's default 24 hours and 185 times: a run
  # starting later is stale, the next scheduled run is due and judges every target anyway.
  retry_policy {
    maximum_event_age_in_seconds = 60
    maximum_retry_attempts       = 2
  }
}

resource "aws_lambda_permission" "crawler_from_schedule" {
  statement_id  = "AllowCrawlSchedule"
  action        = "lambda:InvokeFunction"
  function_name = module.crawler.function_name
  qualifier     = module.crawler.alias_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.crawl.arn
}

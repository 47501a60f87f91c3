data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # Unique per (team, environment, region) in one account; IAM role names (global) include the region.
  name = "${var.name_prefix}-${var.team}-${var.environment}-${local.region}"

  # The crawler owns the alarms with this prefix (it deletes those whose target is gone), so nothing else may use it.
  alarm_prefix     = "${local.name}-target"
  metric_namespace = "WebHealth/${local.name}"

  # A crawl too large for one run fans out to shard workers (crawler.max_shards > 1; docs/design.md, Fan-out).
  fan_out = var.crawler.max_shards > 1

  # The worker is <name>-crawlworker, not -crawler-worker: the longest names (a 10-character prefix, a team of
  # 12, local, a 14-character region) leave 12 characters within the function name's 56, as -alarmlogger uses.
  function_names = merge(
    {
      crawler     = "${local.name}-crawler"
      alarmlogger = "${local.name}-alarmlogger"
      urlapi      = "${local.name}-urlapi"
      notifier    = "${local.name}-notifier"
    },
    { for k in local.fan_out ? ["crawlworker"] : [] : k => local.worker_function_name },
  )
  worker_function_name = "${local.name}-crawlworker"

  # The crawl interval in seconds of a rate(N unit) schedule; null for cron, whose gaps the module cannot derive.
  crawl_rate             = regexall("^rate\\(([0-9]+) (minutes?|hours?|days?)\\)$", var.crawler.schedule_expression)
  crawl_interval_seconds = length(local.crawl_rate) == 1 ? tonumber(local.crawl_rate[0][0]) * { minute = 60, minutes = 60, hour = 3600, hours = 3600, day = 86400, days = 86400 }[local.crawl_rate[0][1]] : null

  # The per-target alarms judge periods of at least one crawl interval: a shorter period would hold no check
  # most of the time, and an outage would never reach the datapoints an alarm needs (validated in variables.tf).
  alarm_period_seconds = var.alarms.period_seconds != null ? var.alarms.period_seconds : local.crawl_interval_seconds

  # The environment's regions (var.global): the home region writes the target list; with several regions each
  # writes its checks into the checks table and the home region alerts on the verdict (docs/design.md).
  home         = local.region == var.global.home_region
  multi_region = length(var.global.regions) > 1

  # A region's check older than three crawl intervals does not count towards the verdict (STALE_AFTER_SECONDS,
  # 60 s to 7 days).
  stale_after_seconds = min(604800, max(60, 3 * coalesce(local.crawl_interval_seconds, local.alarm_period_seconds, 60)))

  # The settings every function that reads targets or judges them is given (internal/verdict Load).
  region_environment = merge(
    {
      HOME_REGION         = var.global.home_region
      REGIONS             = join(",", var.global.regions)
      QUORUM              = tostring(var.global.quorum)
      STALE_AFTER_SECONDS = tostring(local.stale_after_seconds)
    },
    local.multi_region ? { CHECKS_TABLE = data.aws_dynamodb_table.checks.name } : null,
  )

  tags = merge(var.tags, {
    project         = "webhealth"
    team            = var.team
    environment     = var.environment
    release_version = var.release_version
  })

  # API Gateway resources carry the release version too, except on an emulator that cannot retag them.
  apigateway_tags = var.emulator_compatibility.static_apigateway_tags ? { for k, v in local.tags : k => v if k != "release_version" } : local.tags

  arn_prefix = {
    logs       = "arn:${local.partition}:logs:${local.region}:${local.account_id}"
    cloudwatch = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}"
  }
}

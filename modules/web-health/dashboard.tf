locals {
  # Metrics Insights queries: every target that publishes appears without a re-apply.
  insights = {
    availability = "SELECT AVG(Availability) FROM SCHEMA(\"${local.metric_namespace}\", Region, TargetId) GROUP BY TargetId"
    latency      = "SELECT AVG(Latency) FROM SCHEMA(\"${local.metric_namespace}\", Region, TargetId) GROUP BY TargetId"
  }

  dashboard = {
    widgets = [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title   = "Availability per target"
          region  = local.region
          view    = "timeSeries"
          period  = local.alarm_period_seconds
          metrics = [[{ expression = local.insights.availability, id = "availability", label = "" }]]
          yAxis   = { left = { min = 0, max = 1 } }
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title   = "Latency per target (ms)"
          region  = local.region
          view    = "timeSeries"
          period  = local.alarm_period_seconds
          metrics = [[{ expression = local.insights.latency, id = "latency", label = "" }]]
        }
      },
      {
        # Totals per crawl interval: the shard workers of a fanned-out run each publish these with the same
        # dimensions, so a period's Sum is the run's total (a Maximum would show the largest shard only). Shards
        # is the coordinator's count sent (1 for a run that judged everything itself).
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title  = "Crawl runs (totals per interval)"
          region = local.region
          view   = "timeSeries"
          period = local.heartbeat_period_seconds
          stat   = "Sum"
          metrics = [
            [local.metric_namespace, "TargetsChecked", "Region", local.region],
            [local.metric_namespace, "TargetsDown", "Region", local.region],
            [local.metric_namespace, "RunFailures", "Region", local.region],
            [local.metric_namespace, "AlarmsPending", "Region", local.region],
            [local.metric_namespace, "Shards", "Region", local.region],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title  = "Functions: errors and throttles"
          region = local.region
          view   = "timeSeries"
          period = 60
          stat   = "Sum"
          # One [namespace, metric, dimension, value] array per function and metric.
          metrics = [for p in setproduct(values(local.function_names), ["Errors", "Throttles"]) : ["AWS/Lambda", p[1], "FunctionName", p[0]]]
        }
      },
    ]
  }
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = local.name
  dashboard_body = jsonencode(local.dashboard)
}

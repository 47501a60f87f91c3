# Prod: crawled every minute, canary releases with manual approval in the pipeline, protected tables.
environment           = "prod"
allow_private_targets = false

crawler = {
  schedule_expression = "rate(1 minute)"
  timeout_seconds     = 60
}

alarms = {
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  retention_days      = 365
}

api = {
  usage_plan = { rate_limit = 50, burst_limit = 100, quota_limit = 1000000, quota_period = "MONTH" }
}

logging = {
  retention_days = 90
}

deployment = {
  codedeploy        = true
  codedeploy_config = "CodeDeployDefault.LambdaCanary10Percent10Minutes"
}

data_protection = {
  deletion_protection = true
}

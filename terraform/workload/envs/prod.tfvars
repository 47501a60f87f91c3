environment                 = "prod"
enable_codedeploy           = true
canary_deployment_config    = "CodeDeployDefault.LambdaCanary10Percent10Minutes"
allow_private_targets       = false
crawler_schedule_expression = "rate(1 minute)"
crawler_timeout_seconds     = 60
alarm_evaluation_periods    = 3
alarm_datapoints_to_alarm   = 2
alarm_retention_days        = 365
log_retention_days          = 90
deletion_protection         = true
usage_plan                  = { rate_limit = 50, burst_limit = 100, quota_limit = 1000000, quota_period = "MONTH" }

# Local stack on moto (make up): no CodeDeploy, private targets (servers on this machine), fast feedback.
environment                 = "local"
enable_codedeploy           = false
allow_private_targets       = true
crawler_schedule_expression = "rate(1 minute)"
crawler_timeout_seconds     = 60
alarm_period_seconds        = 60
alarm_evaluation_periods    = 1
alarm_datapoints_to_alarm   = 1
alarm_retention_days        = 7
log_retention_days          = 1
log_level                   = "DEBUG"
deletion_protection         = false
cors_allow_origins          = ["*"]

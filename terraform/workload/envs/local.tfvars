# Local stack on moto (make up): no CodeDeploy, private targets (servers on this machine), fast feedback.
environment           = "local"
allow_private_targets = true

crawler = {
  schedule_expression = "rate(1 minute)"
  timeout_seconds     = 60
}

alarms = {
  period_seconds      = 60
  evaluation_periods  = 1
  datapoints_to_alarm = 1
  retention_days      = 7
}

api = {
  cors_allow_origins = ["*"]
}

logging = {
  level          = "DEBUG"
  retention_days = 1
}

deployment = {
  codedeploy = false
}

data_protection = {
  deletion_protection      = false
  kms_deletion_window_days = 7
}

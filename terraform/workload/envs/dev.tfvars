# Dev: released directly (no canary), throw-away tables, debug logs.
environment           = "dev"
allow_private_targets = false

crawler = {
  schedule_expression = "rate(5 minutes)"
}

alarms = {
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  retention_days      = 30
}

logging = {
  level          = "DEBUG"
  retention_days = 14
}

deployment = {
  codedeploy = false
}

data_protection = {
  deletion_protection = false
}

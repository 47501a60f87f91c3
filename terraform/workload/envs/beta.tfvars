# Beta: as prod, but crawled every 5 minutes and with the shorter canary.
environment           = "beta"
allow_private_targets = false

crawler = {
  schedule_expression = "rate(5 minutes)"
}

alarms = {
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  retention_days      = 90
}

logging = {
  retention_days = 30
}

deployment = {
  codedeploy        = true
  codedeploy_config = "CodeDeployDefault.LambdaCanary10Percent5Minutes"
}

data_protection = {
  deletion_protection = true
}

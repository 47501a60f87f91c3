resource "aws_codedeploy_app" "this" {
  count = var.enable_codedeploy ? 1 : 0

  name             = var.function_name
  compute_platform = "Lambda"
  tags             = local.tags
}

resource "aws_iam_role" "codedeploy" {
  count = var.enable_codedeploy ? 1 : 0

  name        = "${var.function_name}-deploy"
  description = "CodeDeploy service role shifting the live alias of ${var.function_name}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "CodeDeployAssume"
      Effect    = "Allow"
      Principal = { Service = "codedeploy.amazonaws.com" }
      Action    = ["sts:AssumeRole"]
    }]
  })
  tags = local.tags
}

# What AWSCodeDeployRoleForLambda grants, narrowed to this function and its alarms.
resource "aws_iam_role_policy" "codedeploy" {
  count = var.enable_codedeploy ? 1 : 0

  name = "shift-live-alias"
  role = aws_iam_role.codedeploy[0].id
  # cloudwatch:DescribeAlarms supports no resource-level permissions, so ReadAlarms needs Resource "*".
  #tfsec:ignore:aws-iam-no-policy-wildcards
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ShiftAlias"
        Effect   = "Allow"
        Action   = ["lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetFunction", "lambda:GetProvisionedConcurrencyConfig"]
        Resource = [aws_lambda_function.this.arn, "${aws_lambda_function.this.arn}:${local.alias_name}"]
      },
      {
        # cloudwatch:DescribeAlarms has no resource-level permissions.
        Sid      = "ReadAlarms"
        Effect   = "Allow"
        Action   = ["cloudwatch:DescribeAlarms"]
        Resource = ["*"]
      },
    ]
  })
}

resource "aws_codedeploy_deployment_group" "this" {
  count = var.enable_codedeploy ? 1 : 0

  app_name               = aws_codedeploy_app.this[0].name
  deployment_group_name  = "live"
  service_role_arn       = aws_iam_role.codedeploy[0].arn
  deployment_config_name = var.deployment_config_name

  deployment_style {
    deployment_option = "WITH_TRAFFIC_CONTROL"
    deployment_type   = "BLUE_GREEN"
  }

  alarm_configuration {
    enabled = true
    alarms  = [for a in aws_cloudwatch_metric_alarm.this : a.alarm_name]
  }

  auto_rollback_configuration {
    enabled = true
    events  = ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]
  }

  tags = local.tags
}

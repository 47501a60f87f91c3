# API Gateway writes access (and execution) logs with one role per account and region: the account settings
# are a regional singleton, not a resource of this stack. api.manage_account = true makes this stack
# own them; enable it in exactly one stack per account and region (README: "API Gateway account settings").

resource "aws_iam_role" "apigateway_cloudwatch" {
  count = var.api.manage_account ? 1 : 0

  name        = "${var.name_prefix}-apigw-logs-${local.region}"
  description = "API Gateway account-level role writing API logs to CloudWatch Logs in ${local.region}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "ApiGatewayAssume"
      Effect    = "Allow"
      Principal = { Service = "apigateway.amazonaws.com" }
      Action    = ["sts:AssumeRole"]
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })
  tags = local.tags
}

# What AmazonAPIGatewayPushToCloudWatchLogs grants, limited to this account and region.
resource "aws_iam_role_policy" "apigateway_cloudwatch" {
  count = var.api.manage_account ? 1 : 0

  name = "push-to-cloudwatch-logs"
  role = aws_iam_role.apigateway_cloudwatch[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid    = "WriteApiLogs"
      Effect = "Allow"
      Action = [
        "logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogGroups", "logs:DescribeLogStreams",
        "logs:PutLogEvents", "logs:GetLogEvents", "logs:FilterLogEvents",
      ]
      Resource = ["${local.arn_prefix.logs}:log-group:*"]
    }]
  })
}

resource "aws_api_gateway_account" "this" {
  count = var.api.manage_account ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.apigateway_cloudwatch[0].arn
  # Destroying this stack clears the setting again instead of leaving a dangling role ARN.
  reset_on_delete = true

  depends_on = [aws_iam_role_policy.apigateway_cloudwatch]
}

locals {
  # Statements passed in, as IAM JSON. Conditions are grouped by operator: {"StringEquals": {"key": [values]}}.
  caller_statements = [
    for s in var.policy_statements : merge(
      {
        Sid      = s.sid
        Effect   = "Allow"
        Action   = s.actions
        Resource = s.resources
      },
      length(s.conditions) == 0 ? null : {
        Condition = {
          for test, entries in { for c in s.conditions : c.test => { (c.variable) = c.values }... } : test => merge(entries...)
        }
      },
    )
  ]

  log_statement = {
    Sid      = "WriteOwnLogGroup"
    Effect   = "Allow"
    Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    Resource = ["${aws_cloudwatch_log_group.this.arn}:log-stream:*"]
  }

  failure_destination_statements = var.failure_destination == null ? [] : [{
    Sid      = "SendFailedInvocations"
    Effect   = "Allow"
    Action   = [var.failure_destination.type == "sqs" ? "sqs:SendMessage" : "sns:Publish"]
    Resource = [var.failure_destination.arn]
  }]

  execution_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = concat([local.log_statement], local.failure_destination_statements, local.caller_statements)
  })
}

resource "aws_iam_role" "this" {
  name        = var.function_name
  description = "Execution role of the ${var.function_name} Lambda function"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "LambdaAssume"
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = ["sts:AssumeRole"]
    }]
  })
  tags = local.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "execution"
  role   = aws_iam_role.this.id
  policy = local.execution_policy
}

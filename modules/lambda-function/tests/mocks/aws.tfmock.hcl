# Mocked AWS values shared by the test files of this module (mock_provider "aws" { source = "./tests/mocks" }):
# the ARNs and version the plan-time assertions compare against.

mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/wh-web-dev-eu-west-1-crawler"
  }
}

mock_resource "aws_lambda_function" {
  defaults = {
    arn     = "arn:aws:lambda:eu-west-1:123456789012:function:wh-web-dev-eu-west-1-crawler"
    version = "7"
  }
}

mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::123456789012:role/wh-web-dev-eu-west-1-crawler"
  }
}

mock_resource "aws_lambda_alias" {
  defaults = {
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:wh-web-dev-eu-west-1-crawler:live"
  }
}

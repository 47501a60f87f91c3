# Mocked AWS values shared by the test files of this module (mock_provider "aws" { source = "./tests/mocks" }).

mock_data "aws_caller_identity" {
  defaults = { account_id = "123456789012" }
}

mock_data "aws_partition" {
  defaults = { partition = "aws" }
}

mock_resource "aws_s3_bucket" {
  defaults = { arn = "arn:aws:s3:::webhealth-tfstate-dev" }
}

mock_resource "aws_kms_key" {
  defaults = {
    arn    = "arn:aws:kms:eu-west-1:123456789012:key/0f8fad5b-d9cb-469f-a165-70867728950e"
    key_id = "0f8fad5b-d9cb-469f-a165-70867728950e"
  }
}

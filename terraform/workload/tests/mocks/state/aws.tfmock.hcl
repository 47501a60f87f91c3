# The state bucket as the aws.state provider sees it: the global root's state is there (tests/global_state.auto.tfvars
# names its key). A file testing a missing global release overrides data.aws_s3_objects.global_state.
mock_data "aws_s3_objects" {
  defaults = { keys = ["web/dev-global/terraform.tfstate"] }
}

# One provider in the home region (regions[0]): a global table is created there and the provider adds each
# replica region through it (UpdateTable), so no provider per region is needed.
provider "aws" {
  region = local.home_region

  dynamic "assume_role" {
    for_each = var.assume_role_arn == null ? [] : [var.assume_role_arn]
    content {
      role_arn     = assume_role.value
      session_name = "webhealth-${var.team}-${var.environment}-global"
    }
  }

  # A local AWS emulator (moto): every service this root calls goes to one endpoint.
  dynamic "endpoints" {
    for_each = local.emulated ? [var.aws_endpoint_url] : []
    content {
      dynamodb = endpoints.value
      iam      = endpoints.value
      kms      = endpoints.value
      s3       = endpoints.value
      sts      = endpoints.value
    }
  }

  skip_credentials_validation = local.emulated
  skip_region_validation      = local.emulated
  skip_metadata_api_check     = local.emulated ? "true" : null
  s3_use_path_style           = local.emulated
}

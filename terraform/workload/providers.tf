provider "aws" {
  region = var.region

  dynamic "assume_role" {
    for_each = var.assume_role_arn == null ? [] : [var.assume_role_arn]
    content {
      role_arn     = assume_role.value
      session_name = "webhealth-${var.team}-${var.environment}"
    }
  }

  # A local AWS emulator (moto): every service this root calls goes to one endpoint.
  dynamic "endpoints" {
    for_each = local.emulated ? [var.aws_endpoint_url] : []
    content {
      apigateway = endpoints.value
      cloudwatch = endpoints.value
      codedeploy = endpoints.value
      dynamodb   = endpoints.value
      events     = endpoints.value
      iam        = endpoints.value
      kms        = endpoints.value
      lambda     = endpoints.value
      logs       = endpoints.value
      s3         = endpoints.value
      sns        = endpoints.value
      sqs        = endpoints.value
      sts        = endpoints.value
    }
  }

  skip_credentials_validation = local.emulated
  skip_region_validation      = local.emulated
  skip_metadata_api_check     = local.emulated ? "true" : null
  s3_use_path_style           = local.emulated
}

# The state bucket's region (global_state), with the build's own credentials: only for finding the global state.
provider "aws" {
  alias  = "state"
  region = var.global_state.region

  dynamic "endpoints" {
    for_each = local.state_emulated ? [var.global_state.endpoint] : []
    content {
      s3  = endpoints.value
      sts = endpoints.value
    }
  }

  skip_credentials_validation = local.state_emulated
  skip_region_validation      = local.state_emulated
  skip_requesting_account_id  = local.state_emulated
  skip_metadata_api_check     = local.state_emulated ? "true" : null
  s3_use_path_style           = local.state_emulated
}

provider "aws" {
  region = var.region

  dynamic "assume_role" {
    for_each = var.assume_role_arn == null ? [] : [var.assume_role_arn]
    content {
      role_arn     = assume_role.value
      session_name = "webhealth-toolchain"
    }
  }

  default_tags {
    tags = {
      Project   = "webhealth"
      ManagedBy = "terraform"
      Root      = "terraform/toolchain"
    }
  }
}

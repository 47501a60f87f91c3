# terraform/global's outputs for a one-region dev environment whose home is the mocked region (eu-west-1).
override_data {
  target = data.terraform_remote_state.global
  values = {
    outputs = {
      home_region       = "eu-west-1"
      regions           = ["eu-west-1"]
      quorum            = 1
      urls_table_name   = "webhealth-web-dev-urls"
      checks_table_name = "webhealth-web-dev-checks"
    }
  }
}

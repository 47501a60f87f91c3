# What terraform/global would give a one-region environment whose home is the mocked region (eu-west-1); the
# files testing several regions set their own.
global = {
  urls_table_name   = "webhealth-web-dev-urls"
  checks_table_name = "webhealth-web-dev-checks"
  home_region       = "eu-west-1"
  regions           = ["eu-west-1"]
  quorum            = 1
}

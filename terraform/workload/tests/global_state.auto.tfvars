# Where a dev release of team web would read terraform/global's state (the release flow passes it).
global_state = {
  bucket = "webhealth-tfstate-dev"
  key    = "web/dev-global/terraform.tfstate"
  region = "eu-west-1"
}

# Dev: the seed's regions (dev_eu-west-1, dev_us-east-1, dev_ap-southeast-1), home eu-west-1; throw-away tables.
environment = "dev"
regions     = ["eu-west-1", "us-east-1", "ap-southeast-1"]
quorum      = null

data_protection = {
  deletion_protection = false
}

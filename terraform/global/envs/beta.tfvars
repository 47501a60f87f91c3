# Beta: two regions, so the majority (the default quorum) is both; protected tables.
environment = "beta"
regions     = ["eu-west-1", "us-east-1"]
quorum      = null

data_protection = {
  deletion_protection = true
}

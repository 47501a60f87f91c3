# Local stack on moto (make up): one region unless the local stack passes its own list (REGIONS); throw-away tables.
environment = "local"
regions     = ["us-east-1"]
quorum      = null

data_protection = {
  deletion_protection = false
}

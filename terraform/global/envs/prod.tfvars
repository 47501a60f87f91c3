# Prod: three regions, down when 2 see it down (the majority); protected tables.
environment = "prod"
regions     = ["eu-west-1", "us-east-1", "ap-southeast-1"]
quorum      = null

data_protection = {
  deletion_protection = true
}

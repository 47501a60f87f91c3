# The per-environment settings in envs/<env>.tfvars, checked with a mocked AWS provider.
# Run once per file (the Terraform checks do this):
#   terraform test -test-directory=tests/envs -var-file=envs/<env>.tfvars
# Only what the release tag supplies is set here, so the file's values are the ones under test.

mock_provider "aws" {}

variables {
  team            = "web"
  release_version = "1.4.0"
}

run "environment_settings_are_consistent" {
  command = plan

  assert {
    condition     = var.data_protection.deletion_protection == contains(["beta", "prod"], var.environment)
    error_message = "Every environment states its data_protection.deletion_protection: on in beta and prod, off in local and dev (throw-away), as terraform/workload's envs."
  }

  assert {
    condition     = join(",", sort([for r in aws_dynamodb_table.urls.replica : r.region_name])) == join(",", sort(slice(var.regions, 1, length(var.regions))))
    error_message = "Each environment's tables have a replica in every region after the home region."
  }

  assert {
    condition     = output.quorum >= 1 && output.quorum <= length(var.regions)
    error_message = "Each environment's quorum resolves to 1..number of regions."
  }

  assert {
    condition     = contains(["beta", "prod"], var.environment) ? length(var.regions) >= 2 : true
    error_message = "beta and prod watch from at least two regions (a quorum of one region cannot tell an outage from a regional fault)."
  }

  # Terraform drops an object attribute it does not know without a word, so a misspelt setting would be lost.
  assert {
    condition = alltrue([
      for m in regexall("([A-Za-z_][A-Za-z0-9_]*)[ \\t]*=[^=]", replace(file("envs/${var.environment}.tfvars"), "/#[^\\n]*/", "")) :
      contains(concat(["environment", "regions", "quorum", "data_protection"], keys(var.data_protection)), m[0])
    ])
    error_message = "Every name in envs/<env>.tfvars must be a per-environment variable of this root or an attribute of its group (see README); a misspelt attribute would be dropped silently."
  }
}

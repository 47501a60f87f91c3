# The promotion check across the pipelines: prod's guarded builds read beta's release records, at the URI
# beta's pipeline records them under (this root derives it: a for_each module cannot take its own
# instances' outputs); the role split and the release branch reach every pipeline.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "111122223333" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
}

variables {
  region     = "eu-west-1"
  repository = "example-org/webhealth"
  environments = {
    dev = {
      deployment_role_arn = "arn:aws:iam::222222222222:role/webhealth-deployer"
      readonly_role_arn   = "arn:aws:iam::222222222222:role/webhealth-reader"
    }
    beta = {
      deployment_role_arn = "arn:aws:iam::333333333333:role/webhealth-deployer"
      readonly_role_arn   = "arn:aws:iam::333333333333:role/webhealth-reader"
    }
    prod = {
      deployment_role_arn = "arn:aws:iam::444444444444:role/webhealth-deployer"
      readonly_role_arn   = "arn:aws:iam::444444444444:role/webhealth-reader"
    }
  }
}

run "prod_reads_the_records_beta_writes" {
  command = plan

  assert {
    condition     = output.pipelines["prod"].promotion == { prior_environment = "beta", prior_release_uri = output.pipelines["beta"].release_snapshot_uri }
    error_message = "prod's releases need beta's, read where beta's apply build records them (its release_snapshot_uri)"
  }
  assert {
    condition     = output.pipelines["dev"].promotion.prior_environment == null && output.pipelines["beta"].promotion.prior_environment == null
    error_message = "the default promotion (prod = beta) asks nothing of dev and beta"
  }
}

run "a_chain_dev_beta_prod" {
  command = plan

  variables {
    release_promotion = { beta = "dev", prod = "beta" }
    release_branch    = "release"
  }

  assert {
    condition     = output.pipelines["beta"].promotion.prior_release_uri == output.pipelines["dev"].release_snapshot_uri && output.pipelines["prod"].promotion.prior_release_uri == output.pipelines["beta"].release_snapshot_uri
    error_message = "each environment reads its prior environment's records"
  }
  assert {
    condition     = alltrue([for p in output.pipelines : p.release_branch == "release"])
    error_message = "release_branch reaches every pipeline (its builds' RELEASE_BRANCH)"
  }
}

run "promotion_off_explicitly" {
  command = plan

  variables {
    release_promotion = {}
  }

  assert {
    condition     = alltrue([for p in output.pipelines : p.promotion.prior_environment == null])
    error_message = "{} turns the promotion check off"
  }
}

run "prior_environment_without_a_pipeline_here" {
  command = plan

  variables {
    environments = {
      prod = {
        deployment_role_arn = "arn:aws:iam::444444444444:role/webhealth-deployer"
        readonly_role_arn   = "arn:aws:iam::444444444444:role/webhealth-reader"
      }
    }
  }

  expect_failures = [var.release_promotion]
}

run "the_role_split_reaches_every_pipeline" {
  command = plan

  assert {
    condition     = alltrue([for p in output.pipelines : keys(p.deployer_role_arns) == ["apply"] && keys(p.reader_role_arns) == ["plan", "test"]])
    error_message = "in every pipeline only apply assumes the deployment role; plan and test (and drift, when scheduled) the read-only role"
  }
}

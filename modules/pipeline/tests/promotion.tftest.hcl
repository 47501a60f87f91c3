# The release guard's settings reach the builds: the release branch (RELEASE_BRANCH), the promotion rule
# (RELEASE_PROMOTION, parsed by platform/release ParsePromotion) and, for the guarded plan and apply builds of an
# environment with a prior one, where its release records are (PRIOR_RELEASE_URI), with the one IAM grant
# that reads them: a listing of their versions/ prefix. The source is a full clone, so the guard sees the
# branch's history.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "111122223333"
      arn        = "arn:aws:iam::111122223333:user/ci"
    }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }

  # Realistic ARNs, so the provider's own ARN validation accepts the mocked values in apply runs.
  mock_resource "aws_kms_key" {
    defaults = {
      arn    = "arn:aws:kms:eu-west-1:111122223333:key/0f8fad5b-d9cb-469f-a165-70867728950e"
      key_id = "0f8fad5b-d9cb-469f-a165-70867728950e"
    }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::111122223333:role/mocked" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::webhealth-dev-artifacts-111122223333-eu-west-1" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:eu-west-1:111122223333:webhealth-dev-release-notifications" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/codebuild/mocked" }
  }
  mock_resource "aws_codebuild_report_group" {
    defaults = { arn = "arn:aws:codebuild:eu-west-1:111122223333:report-group/mocked-junit" }
  }
  mock_resource "aws_codebuild_project" {
    defaults = { arn = "arn:aws:codebuild:eu-west-1:111122223333:project/mocked" }
  }
  mock_resource "aws_codepipeline" {
    defaults = { arn = "arn:aws:codepipeline:eu-west-1:111122223333:mocked" }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:eu-west-1:111122223333:rule/mocked" }
  }
  mock_resource "aws_codeconnections_connection" {
    defaults = { arn = "arn:aws:codeconnections:eu-west-1:111122223333:connection/7b65fd00-061e-43c7-8d42-e55dd18843a3" }
  }
}

variables {
  repository          = "webhealth/webhealth"
  connection_arn      = "arn:aws:codeconnections:eu-west-1:111122223333:connection/7b65fd00-061e-43c7-8d42-e55dd18843a3"
  deployment_role_arn = "arn:aws:iam::444455556666:role/webhealth-deployer"
  readonly_role_arn   = "arn:aws:iam::444455556666:role/webhealth-reader"
  state_region        = "eu-west-1"
  drift_releases      = [{ region = "eu-west-1", team = "web" }]
}

run "prod_checks_betas_records_by_default" {
  command = apply

  variables {
    environment       = "prod"
    prior_release_uri = "s3://webhealth-beta-artifacts-111122223333-eu-west-1/releases/beta"
  }

  assert {
    condition     = alltrue([for p in aws_codebuild_project.stage : contains([for e in p.environment[0].environment_variable : "${e.name}=${e.value}"], "RELEASE_PROMOTION=prod=beta") && contains([for e in p.environment[0].environment_variable : "${e.name}=${e.value}"], "RELEASE_BRANCH=main")])
    error_message = "every build gets the default promotion (prod = beta) as RELEASE_PROMOTION and the release branch main as RELEASE_BRANCH"
  }
  assert {
    condition = alltrue([
      for stage, p in aws_codebuild_project.stage :
      jsonencode([for e in p.environment[0].environment_variable : e.value if e.name == "PRIOR_RELEASE_URI"]) == jsonencode(contains(["plan", "apply"], stage) ? [var.prior_release_uri] : [])
    ])
    error_message = "the guarded plan and apply builds, and only they, get the prior environment's records as PRIOR_RELEASE_URI"
  }
  assert {
    condition = alltrue([
      for stage, p in aws_iam_role_policy.project :
      jsonencode([for s in jsondecode(p.policy).Statement : s if s.Sid == "ListPriorReleaseRecords"]) == jsonencode(contains(["plan", "apply"], stage) ? [{
        Sid       = "ListPriorReleaseRecords"
        Effect    = "Allow"
        Action    = ["s3:ListBucket"]
        Resource  = ["arn:aws:s3:::webhealth-beta-artifacts-111122223333-eu-west-1"]
        Condition = { StringLike = { "s3:prefix" = ["releases/beta/versions/*"] } }
      }] : [])
    ])
    error_message = "plan and apply may list beta's release records (keys under releases/beta/versions/ only), no other build may"
  }
  assert {
    condition     = output.promotion == { prior_environment = "beta", prior_release_uri = var.prior_release_uri }
    error_message = "the promotion output names the prior environment and its records"
  }
}

run "a_promotion_chain_and_another_branch" {
  command = plan

  variables {
    environment       = "beta"
    source_branch     = "release/2026"
    release_promotion = { beta = "dev", prod = "beta" }
    prior_release_uri = "s3://webhealth-dev-artifacts-111122223333-eu-west-1/releases/dev"
  }

  assert {
    condition     = alltrue([for p in aws_codebuild_project.stage : contains([for e in p.environment[0].environment_variable : "${e.name}=${e.value}"], "RELEASE_PROMOTION=beta=dev prod=beta") && contains([for e in p.environment[0].environment_variable : "${e.name}=${e.value}"], "RELEASE_BRANCH=release/2026")])
    error_message = "the whole promotion map reaches every build, sorted, as <env>=<prior> pairs; the release branch as configured"
  }
  assert {
    condition     = output.promotion.prior_environment == "dev" && output.release_branch == "release/2026"
    error_message = "beta's releases need dev's"
  }
}

run "promotion_off_explicitly" {
  command = apply

  variables {
    environment       = "prod"
    release_promotion = {}
  }

  assert {
    condition     = alltrue([for p in aws_codebuild_project.stage : contains([for e in p.environment[0].environment_variable : "${e.name}=${e.value}"], "RELEASE_PROMOTION=none") && !contains([for e in p.environment[0].environment_variable : e.name], "PRIOR_RELEASE_URI")])
    error_message = "an empty promotion map is RELEASE_PROMOTION=none (an unset one would be the release flow's default) and no records to read"
  }
  assert {
    condition     = alltrue([for p in aws_iam_role_policy.project : !anytrue([for s in jsondecode(p.policy).Statement : s.Sid == "ListPriorReleaseRecords"])])
    error_message = "without a prior environment no build reads another pipeline's records"
  }
}

run "dev_has_no_prior_environment" {
  command = plan

  variables {
    environment = "dev"
  }

  assert {
    condition     = output.promotion.prior_environment == null && alltrue([for p in aws_codebuild_project.stage : !contains([for e in p.environment[0].environment_variable : e.name], "PRIOR_RELEASE_URI")])
    error_message = "the default promotion (prod = beta) asks nothing of dev's releases"
  }
}

run "the_builds_get_a_full_clone" {
  command = apply

  variables {
    environment = "dev"
  }

  assert {
    condition     = one([for s in aws_codepipeline.release.stage : s.action[0].configuration.OutputArtifactFormat if s.name == "Source"]) == "CODEBUILD_CLONE_REF"
    error_message = "the source must be a full clone (CODEBUILD_CLONE_REF): the release guard checks that the tagged commit is on the release branch"
  }
  assert {
    condition = alltrue([
      for stage, p in aws_iam_role_policy.project :
      (stage != "drift") == anytrue([for s in jsondecode(p.policy).Statement : s.Effect == "Allow" && contains(s.Action, "codeconnections:UseConnection") && contains(s.Resource, var.connection_arn)])
    ])
    error_message = "every pipeline build clones through the connection (drift runs in a release snapshot)"
  }
}

run "codecommit_builds_pull_the_clone" {
  command = apply

  variables {
    environment    = "dev"
    source_type    = "codecommit"
    repository     = "webhealth"
    connection_arn = null
  }

  assert {
    condition     = one([for s in aws_codepipeline.release.stage : s.action[0].configuration.OutputArtifactFormat if s.name == "Source"]) == "CODEBUILD_CLONE_REF"
    error_message = "the CodeCommit source is a full clone too"
  }
  assert {
    condition = alltrue([
      for stage, p in aws_iam_role_policy.project :
      (stage != "drift") == anytrue([for s in jsondecode(p.policy).Statement : s.Effect == "Allow" && s.Action == ["codecommit:GitPull"] && s.Resource == ["arn:aws:codecommit:eu-west-1:111122223333:webhealth"]])
    ])
    error_message = "every pipeline build may pull the CodeCommit repository it clones, and only it"
  }
}

# Plan- and mock-apply-level tests of the release toolchain. moto cannot emulate CodePipeline, CodeBuild,
# CodeConnections or CodeStar Notifications, so the module is proven against a mocked provider: the asserts
# read the exact configuration and policy JSON the module would send to AWS.

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
  environment         = "dev"
  repository          = "webhealth/webhealth"
  connection_arn      = "arn:aws:codeconnections:eu-west-1:111122223333:connection/7b65fd00-061e-43c7-8d42-e55dd18843a3"
  deployment_role_arn = "arn:aws:iam::444455556666:role/webhealth-deployer"
  readonly_role_arn   = "arn:aws:iam::444455556666:role/webhealth-reader"
  # The state bucket's region differs from every release region: the builds must not take it from a tag.
  state_region = "eu-central-1"
  drift_releases = [
    { region = "eu-west-1", team = "web" },
    { region = "us-east-1", team = "web" },
  ]
}

run "dev_pipeline_is_v2_with_a_tag_trigger" {
  command = plan

  assert {
    condition     = aws_codepipeline.release.name == "webhealth-dev-release"
    error_message = "the pipeline must be named <name_prefix>-<environment>-release"
  }
  assert {
    condition     = aws_codepipeline.release.pipeline_type == "V2"
    error_message = "the pipeline must be V2: tag triggers and pipeline variables exist only there"
  }
  assert {
    condition     = aws_codepipeline.release.execution_mode == "QUEUED"
    error_message = "releases of different regions/teams must queue, not supersede each other"
  }
  assert {
    condition     = aws_codepipeline.release.trigger[0].provider_type == "CodeStarSourceConnection"
    error_message = "the trigger must be on the connection source"
  }
  assert {
    condition     = aws_codepipeline.release.trigger[0].git_configuration[0].source_action_name == "Source"
    error_message = "the trigger must name the Source action"
  }
  assert {
    condition     = aws_codepipeline.release.trigger[0].git_configuration[0].push[0].tags[0].includes == tolist(["dev_*"])
    error_message = "the dev pipeline must be started by tags matching dev_* and nothing else"
  }
  assert {
    condition     = length(aws_codepipeline.release.trigger[0].git_configuration[0].push[0].branches) == 0
    error_message = "branch pushes must not start a release"
  }
  assert {
    condition     = output.tag_pattern == "dev_*"
    error_message = "tag_pattern output must default to <environment>_*"
  }
  assert {
    condition     = [for s in aws_codepipeline.release.stage : s.name] == ["Source", "Build", "Plan", "Apply", "Test"]
    error_message = "dev runs Source, Build, Plan, Apply, Test with no approval stage"
  }
  assert {
    condition     = output.approval_required == false
    error_message = "dev must not require approval by default"
  }
  assert {
    condition     = aws_codepipeline.release.stage[0].action[0].provider == "CodeStarSourceConnection" && aws_codepipeline.release.stage[0].action[0].configuration.FullRepositoryId == "webhealth/webhealth"
    error_message = "the source must be the connection to the configured repository"
  }
  assert {
    condition     = aws_codepipeline.release.stage[0].action[0].configuration.ConnectionArn == var.connection_arn
    error_message = "a given connection ARN must be used as is"
  }
  assert {
    condition     = length(aws_codeconnections_connection.this) == 0
    error_message = "no connection may be created when connection_arn is given"
  }
}

run "every_build_action_receives_the_tag" {
  command = plan

  assert {
    condition = alltrue(flatten([
      for s in aws_codepipeline.release.stage : [
        for a in s.action : contains(
          [for e in jsondecode(a.configuration.EnvironmentVariables) : "${e.name}=${e.value}"],
          "RELEASE_TAG=#{SourceVariables.TagName}",
        ) if a.provider == "CodeBuild"
      ]
    ]))
    error_message = "each CodeBuild action must pass the source's TagName as RELEASE_TAG"
  }
  assert {
    condition     = [for a in aws_codepipeline.release.stage[1].action : a.name] == ["Validate", "Build"] && alltrue([for a in aws_codepipeline.release.stage[1].action : a.run_order == 1])
    error_message = "validate and build must run in parallel in the Build stage"
  }
  assert {
    condition     = aws_codepipeline.release.stage[2].action[0].input_artifacts == tolist(["source", "build"]) && aws_codepipeline.release.stage[2].action[0].configuration.PrimarySource == "source"
    error_message = "plan must get the sources and the built zips"
  }
  assert {
    condition     = aws_codepipeline.release.stage[3].action[0].input_artifacts == tolist(["source", "plan"])
    error_message = "apply must get the saved plan (and the zips it references), never plan afresh"
  }
  assert {
    condition     = aws_codepipeline.release.stage[2].action[0].namespace == "PlanVariables"
    error_message = "the plan action exports RELEASE_TAG and PLAN_SUMMARY for the approval message"
  }
}

run "prod_requires_manual_approval_before_apply" {
  command = plan

  variables {
    environment       = "prod"
    prior_release_uri = "s3://webhealth-beta-artifacts-111122223333-eu-west-1/releases/beta"
  }

  assert {
    condition     = [for s in aws_codepipeline.release.stage : s.name] == ["Source", "Build", "Plan", "Approve", "Apply", "Test"]
    error_message = "prod must have an Approve stage between Plan and Apply"
  }
  assert {
    condition     = aws_codepipeline.release.stage[3].action[0].category == "Approval" && aws_codepipeline.release.stage[3].action[0].provider == "Manual"
    error_message = "the Approve stage must hold a manual approval action"
  }
  assert {
    condition     = strcontains(aws_codepipeline.release.stage[3].action[0].configuration.CustomData, "#{PlanVariables.PLAN_SUMMARY}")
    error_message = "the approval request must show the plan summary"
  }
  assert {
    condition     = aws_codepipeline.release.trigger[0].git_configuration[0].push[0].tags[0].includes == tolist(["prod_*"])
    error_message = "the prod pipeline must be started by prod_* tags"
  }
  assert {
    condition     = aws_codebuild_project.stage["plan"].name == "webhealth-prod-plan"
    error_message = "project names must be <name_prefix>-<environment>-<stage>"
  }
}

run "beta_can_opt_in_to_approval" {
  command = plan

  variables {
    environment      = "beta"
    require_approval = true
  }

  assert {
    condition     = contains([for s in aws_codepipeline.release.stage : s.name], "Approve")
    error_message = "require_approval = true must add the Approve stage"
  }
}

run "codebuild_projects_run_the_buildspec_per_stage" {
  command = plan

  assert {
    condition     = keys(aws_codebuild_project.stage) == ["apply", "build", "drift", "plan", "test", "validate"]
    error_message = "one project per stage: validate, build, plan, apply, test, drift"
  }
  assert {
    condition = alltrue([
      for stage, p in aws_codebuild_project.stage :
      p.source[0].buildspec == "buildspec.yml" && one([for e in p.environment[0].environment_variable : e.value if e.name == "STAGE"]) == stage
    ])
    error_message = "every project must run buildspec.yml with STAGE set to its stage"
  }
  assert {
    condition     = alltrue([for p in aws_codebuild_project.stage : p.environment[0].type == "ARM_CONTAINER" && strcontains(p.environment[0].image, "aarch64")])
    error_message = "builds must run on the ARM64 image by default"
  }
  assert {
    condition     = alltrue([for p in aws_codebuild_project.stage : one([for e in p.environment[0].environment_variable : e.value if e.name == "ARCH"]) == "arm64"])
    error_message = "builds must build arm64 zips by default"
  }
  assert {
    condition     = alltrue([for p in aws_codebuild_project.stage : p.environment[0].privileged_mode == false])
    error_message = "no project needs privileged mode"
  }
  assert {
    condition = alltrue([
      for stage, p in aws_codebuild_project.stage :
      [for e in p.environment[0].environment_variable : e.value if e.name == "ASSUME_ROLE_ARN"] == lookup({ plan = [var.readonly_role_arn], test = [var.readonly_role_arn], drift = [var.readonly_role_arn], apply = [var.deployment_role_arn] }, stage, [])
    ])
    error_message = "plan, test and drift must run as the read-only role, apply alone as the deployment role, validate and build as none"
  }
  assert {
    condition = alltrue([
      for stage, p in aws_codebuild_project.stage :
      [for e in p.environment[0].environment_variable : e.value if e.name == "STATE_REGION"] == ["eu-central-1"]
    ])
    error_message = "every build (the drift check included) must get STATE_REGION = state_region once, so make writes the state bucket's region into the backend, not the tag's"
  }
  assert {
    condition = alltrue([
      for stage, p in aws_codebuild_project.stage :
      contains([for e in p.environment[0].environment_variable : "${e.name}=${e.value}"], "STATE_PREFIX=webhealth-tfstate")
    ])
    error_message = "every build must get STATE_PREFIX"
  }
  assert {
    condition     = output.state_region == "eu-central-1"
    error_message = "the state_region output must report the region the builds use"
  }
  assert {
    condition     = alltrue([for stage, p in aws_codebuild_project.stage : contains([for e in p.environment[0].environment_variable : "${e.name}=${e.value}"], "EXPECT_ENV=dev")])
    error_message = "every build must know its environment, so make refuses another environment's tag"
  }
  assert {
    condition     = alltrue([for stage, p in aws_codebuild_project.stage : p.logs_config[0].cloudwatch_logs[0].group_name == "/aws/codebuild/webhealth-dev-${stage}"])
    error_message = "each project must log to its own log group"
  }
  assert {
    condition     = alltrue([for stage, g in aws_codebuild_report_group.junit : g.name == "webhealth-dev-${stage}-junit" && g.type == "TEST"])
    error_message = "each project must have the <project>-junit report group the buildspec's reports section resolves to"
  }
  assert {
    condition     = alltrue([for g in aws_cloudwatch_log_group.project : g.retention_in_days == 90])
    error_message = "build logs must have a retention"
  }
  assert {
    condition     = alltrue([for stage, p in aws_codebuild_project.stage : p.cache[0].type == "S3" && endswith(p.cache[0].location, "/cache/${stage}")])
    error_message = "each project must cache under cache/<stage> in the artifact bucket"
  }
}

run "artifact_bucket_is_encrypted_versioned_and_private" {
  command = plan

  assert {
    condition     = aws_s3_bucket.artifacts.bucket == "webhealth-dev-artifacts-111122223333-eu-west-1"
    error_message = "the bucket name must be unique per account and region"
  }
  assert {
    condition     = aws_s3_bucket_versioning.artifacts.versioning_configuration[0].status == "Enabled"
    error_message = "the artifact bucket must be versioned"
  }
  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.artifacts.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms"
    error_message = "the artifact bucket must be encrypted with KMS"
  }
  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.artifacts.rule).bucket_key_enabled == true
    error_message = "the artifact bucket must use a bucket key"
  }
  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.artifacts.block_public_acls,
      aws_s3_bucket_public_access_block.artifacts.block_public_policy,
      aws_s3_bucket_public_access_block.artifacts.ignore_public_acls,
      aws_s3_bucket_public_access_block.artifacts.restrict_public_buckets,
    ])
    error_message = "all public access must be blocked"
  }
  assert {
    condition     = aws_s3_bucket_ownership_controls.artifacts.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs must be disabled"
  }
  assert {
    condition     = one(aws_s3_bucket_lifecycle_configuration.artifacts.rule).noncurrent_version_expiration[0].noncurrent_days == 90
    error_message = "noncurrent versions must expire"
  }
  assert {
    condition     = aws_s3_bucket.artifacts.force_destroy == false
    error_message = "the bucket must not be force-destroyable by default"
  }
  assert {
    condition     = aws_kms_key.this.enable_key_rotation == true
    error_message = "the toolchain key must rotate"
  }
  assert {
    condition     = one(aws_codepipeline.release.artifact_store).encryption_key[0].type == "KMS"
    error_message = "the pipeline must encrypt its artifacts with the toolchain key"
  }
}

run "policies_grant_no_wildcard_actions" {
  # Applied against the mock provider: every ARN is known, so the policy JSON is complete.
  command = apply

  assert {
    condition = alltrue(flatten([
      for doc in concat(
        [for p in aws_iam_role_policy.project : jsondecode(p.policy)],
        [jsondecode(aws_iam_role_policy.pipeline.policy)],
        [for p in aws_iam_role_policy.scheduler : jsondecode(p.policy)],
        [jsondecode(aws_kms_key.this.policy), jsondecode(aws_sns_topic_policy.notifications.policy), jsondecode(aws_s3_bucket_policy.artifacts.policy)],
        ) : [
        for s in doc.Statement : [for a in flatten([s.Action]) : !strcontains(a, "*")] if s.Effect == "Allow"
      ]
    ]))
    error_message = "no Allow statement (role policies, key, topic and bucket policies) may name a wildcard action"
  }
  assert {
    condition = alltrue([
      for stage, p in aws_iam_role_policy.project :
      contains(["plan", "apply", "test", "drift"], stage) == anytrue([for s in jsondecode(p.policy).Statement : s.Effect == "Allow" && contains(flatten([s.Action]), "sts:AssumeRole")])
    ])
    error_message = "only the plan, apply, test and drift roles may assume a role"
  }
  assert {
    condition = alltrue([
      for stage, p in aws_iam_role_policy.project :
      jsonencode(flatten([for s in jsondecode(p.policy).Statement : s.Resource if s.Effect == "Allow" && contains(flatten([s.Action]), "sts:AssumeRole")])) == jsonencode(stage == "apply" ? [var.deployment_role_arn] : contains(["plan", "test", "drift"], stage) ? [var.readonly_role_arn] : [])
    ])
    error_message = "the approval is a boundary: only the apply build may assume the deployment role; plan, test and drift may assume the read-only role and nothing else"
  }
  assert {
    condition = alltrue([
      for stage, p in aws_iam_role_policy.project :
      (stage != "apply") == anytrue([for s in jsondecode(p.policy).Statement : s.Effect == "Deny" && contains(flatten([s.Action]), "sts:AssumeRole") && s.Resource == [var.deployment_role_arn]])
    ])
    error_message = "every build but apply must be denied the deployment role explicitly"
  }
  assert {
    condition     = output.deployer_role_arns == { apply = aws_iam_role.project["apply"].arn } && output.reader_role_arns == { for stage in ["plan", "test", "drift"] : stage => aws_iam_role.project[stage].arn }
    error_message = "the deployment role must trust the apply build's role alone, the read-only role the plan, test and drift builds' roles"
  }
  assert {
    condition = alltrue([
      for stage, p in aws_iam_role_policy.project :
      (stage == "apply" || stage == "drift") == !anytrue([for s in jsondecode(p.policy).Statement : s.Effect == "Deny" && contains(s.Action, "s3:PutObject")])
    ])
    error_message = "every pipeline build but apply must be denied writing release snapshots"
  }
  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.project["drift"].policy).Statement :
      alltrue([for r in flatten([s.Resource]) : !startswith(r, "arn:aws:s3:::") || endswith(r, "-artifacts-111122223333-eu-west-1") || strcontains(r, "/releases/dev/") || strcontains(r, "/cache/drift/")])
    ])
    error_message = "the drift role may read only this environment's release snapshots and its own cache"
  }
  assert {
    condition = anytrue([
      for s in jsondecode(aws_s3_bucket_policy.artifacts.policy).Statement :
      s.Effect == "Deny" && try(s.Condition.Bool["aws:SecureTransport"], "") == "false"
    ])
    error_message = "the bucket policy must deny requests without TLS"
  }
  assert {
    condition = anytrue([
      for s in jsondecode(aws_iam_role_policy.pipeline.policy).Statement :
      contains(s.Action, "codeconnections:UseConnection") && contains(s.Resource, var.connection_arn)
    ])
    error_message = "the pipeline role must be allowed to use the given connection"
  }
  assert {
    condition     = alltrue([for r in aws_iam_role.project : jsondecode(r.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "111122223333"])
    error_message = "build roles must trust CodeBuild of this account only (confused deputy)"
  }
  assert {
    condition     = output.deployer_role_arns == { apply = "arn:aws:iam::111122223333:role/mocked" } && output.reader_role_arns == { drift = "arn:aws:iam::111122223333:role/mocked", plan = "arn:aws:iam::111122223333:role/mocked", test = "arn:aws:iam::111122223333:role/mocked" }
    error_message = "deployer_role_arns must list exactly the role the deployment role has to trust (apply's), reader_role_arns those the read-only role has to trust (plan, test, drift)"
  }
  assert {
    condition     = aws_sns_topic.notifications.kms_master_key_id == aws_kms_key.this.arn
    error_message = "the notification topic must be encrypted with the toolchain key"
  }
  assert {
    condition     = alltrue([for g in aws_cloudwatch_log_group.project : g.kms_key_id == aws_kms_key.this.arn])
    error_message = "build logs must be encrypted with the toolchain key"
  }
  assert {
    condition     = alltrue([for p in aws_codebuild_project.stage : p.encryption_key == aws_kms_key.this.arn])
    error_message = "build artifacts must be encrypted with the toolchain key"
  }
}

run "failures_and_drift_notify_the_topic" {
  command = apply

  assert {
    condition     = contains(aws_codestarnotifications_notification_rule.pipeline_failed.event_type_ids, "codepipeline-pipeline-pipeline-execution-failed")
    error_message = "failed pipeline executions must be notified"
  }
  assert {
    condition     = aws_codestarnotifications_notification_rule.pipeline_failed.resource == aws_codepipeline.release.arn && one(aws_codestarnotifications_notification_rule.pipeline_failed.target).address == aws_sns_topic.notifications.arn
    error_message = "the notification rule must watch the pipeline and notify the topic"
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.drift_failed[0].event_pattern).detail["project-name"] == ["webhealth-dev-drift"]
    error_message = "drift alerts must come from the drift project's failed builds"
  }
  assert {
    condition     = contains(jsondecode(aws_cloudwatch_event_rule.drift_failed[0].event_pattern).detail["build-status"], "FAILED")
    error_message = "a failed drift build (terraform plan exit code 2) must alert"
  }
  assert {
    condition     = aws_cloudwatch_event_target.drift_failed[0].arn == aws_sns_topic.notifications.arn
    error_message = "drift alerts must go to the notification topic"
  }
  assert {
    condition = anytrue([
      for s in jsondecode(aws_sns_topic_policy.notifications.policy).Statement :
      s.Principal.Service == "events.amazonaws.com" && try(s.Condition.ArnEquals["aws:SourceArn"], "") == aws_cloudwatch_event_rule.drift_failed[0].arn
    ])
    error_message = "only the drift rule may publish to the topic through EventBridge"
  }
}

run "drift_check_is_scheduled_per_release" {
  command = plan

  variables {
    drift_schedule_expression = "rate(12 hours)"
  }

  assert {
    condition     = keys(aws_scheduler_schedule.drift) == ["eu-west-1/web", "us-east-1/web"]
    error_message = "one schedule per configured region/team"
  }
  assert {
    condition     = alltrue([for s in aws_scheduler_schedule.drift : s.schedule_expression == "rate(12 hours)" && s.state == "ENABLED"])
    error_message = "the schedules must use drift_schedule_expression"
  }
  assert {
    condition     = aws_scheduler_schedule.drift["us-east-1/web"].target[0].arn == "arn:aws:scheduler:::aws-sdk:codebuild:startBuild"
    error_message = "the schedule must call CodeBuild StartBuild"
  }
  assert {
    condition     = jsondecode(aws_scheduler_schedule.drift["us-east-1/web"].target[0].input).ProjectName == "webhealth-dev-drift"
    error_message = "the schedule must start the drift project"
  }
  assert {
    condition     = jsondecode(aws_scheduler_schedule.drift["us-east-1/web"].target[0].input).SourceLocationOverride == "webhealth-dev-artifacts-111122223333-eu-west-1/releases/dev/us-east-1/web/current.zip"
    error_message = "each schedule must point the drift build at its release's snapshot"
  }
  assert {
    condition     = aws_codebuild_project.stage["drift"].artifacts[0].type == "NO_ARTIFACTS" && aws_codebuild_project.stage["drift"].source[0].type == "S3"
    error_message = "the drift project reads a release snapshot and produces no artifacts"
  }
  assert {
    condition     = contains([for e in aws_codebuild_project.stage["drift"].environment[0].environment_variable : "${e.name}=${e.value}"], "RELEASE_SNAPSHOT_URI=s3://webhealth-dev-artifacts-111122223333-eu-west-1/releases/dev")
    error_message = "the drift build must know where release snapshots are"
  }
}

run "no_drift_releases_no_drift_check" {
  command = plan

  variables {
    drift_releases = []
  }

  assert {
    condition     = length(aws_scheduler_schedule.drift) == 0 && length(aws_iam_role.scheduler) == 0 && length(aws_cloudwatch_event_rule.drift_failed) == 0
    error_message = "without drift releases there is no schedule, scheduler role or drift alert"
  }
  assert {
    condition     = !contains(keys(aws_codebuild_project.stage), "drift")
    error_message = "without drift releases there is no drift project"
  }
}

run "connection_created_when_none_given" {
  command = plan

  variables {
    connection_arn      = null
    connection_provider = "GitLab"
    repository          = "webhealth/platform/webhealth"
  }

  assert {
    condition     = aws_codeconnections_connection.this[0].provider_type == "GitLab" && aws_codeconnections_connection.this[0].name == "webhealth-dev-gitlab"
    error_message = "a connection to the chosen provider must be created when no ARN is given"
  }
}

run "codecommit_source_starts_the_pipeline_from_a_tag_rule" {
  command = plan

  variables {
    source_type    = "codecommit"
    repository     = "webhealth"
    connection_arn = null
  }

  assert {
    condition     = length(aws_codepipeline.release.trigger) == 0 && length(aws_codeconnections_connection.this) == 0
    error_message = "a CodeCommit source has no connection and no pipeline trigger"
  }
  assert {
    condition     = aws_codepipeline.release.stage[0].action[0].provider == "CodeCommit" && aws_codepipeline.release.stage[0].action[0].configuration.PollForSourceChanges == "false"
    error_message = "the source must be CodeCommit without polling"
  }
  assert {
    condition     = [for v in aws_codepipeline.release.variable : v.name] == ["RELEASE_TAG"]
    error_message = "the pipeline must declare the RELEASE_TAG variable the starter sets"
  }
  assert {
    condition = contains(
      [for e in jsondecode(aws_codepipeline.release.stage[2].action[0].configuration.EnvironmentVariables) : "${e.name}=${e.value}"],
      "RELEASE_TAG=#{variables.RELEASE_TAG}",
    )
    error_message = "builds must get the tag from the pipeline variable"
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.codecommit_tag[0].event_pattern).detail.referenceName == [{ wildcard = "dev_*" }]
    error_message = "the rule must match tags with the environment's pattern"
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.codecommit_tag[0].event_pattern).detail.referenceType == ["tag"] && jsondecode(aws_cloudwatch_event_rule.codecommit_tag[0].event_pattern).resources == ["arn:aws:codecommit:eu-west-1:111122223333:webhealth"]
    error_message = "the rule must match tag creation in the configured repository only"
  }
  assert {
    condition     = aws_codebuild_project.starter[0].source[0].type == "NO_SOURCE" && strcontains(aws_codebuild_project.starter[0].source[0].buildspec, "start-pipeline-execution")
    error_message = "the starter build must start the pipeline"
  }
}

run "codecommit_starter_role_only_starts_the_pipeline" {
  command = apply

  variables {
    source_type    = "codecommit"
    repository     = "webhealth"
    connection_arn = null
  }

  assert {
    condition = alltrue(flatten([
      for doc in [jsondecode(aws_iam_role_policy.starter[0].policy), jsondecode(aws_iam_role_policy.events_starter[0].policy)] : [
        for s in doc.Statement : [for a in s.Action : !strcontains(a, "*")]
      ]
    ]))
    error_message = "starter policies must not use wildcard actions"
  }
  assert {
    condition = anytrue([
      for s in jsondecode(aws_iam_role_policy.starter[0].policy).Statement :
      s.Action == ["codepipeline:StartPipelineExecution"] && s.Resource == ["arn:aws:codepipeline:eu-west-1:111122223333:webhealth-dev-release"]
    ])
    error_message = "the starter may start this pipeline only"
  }
  assert {
    condition = anytrue([
      for s in jsondecode(aws_iam_role_policy.pipeline.policy).Statement :
      contains(s.Action, "codecommit:GetCommit") && s.Resource == ["arn:aws:codecommit:eu-west-1:111122223333:webhealth"]
    ])
    error_message = "the pipeline must read the CodeCommit repository"
  }
}

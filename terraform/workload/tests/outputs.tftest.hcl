# The outputs docs/design.md lists, which the local runtime, the release flow and the end-to-end suite read.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

# The state bucket holds the global root's state, whose outputs describe a one-region dev environment.
mock_provider "aws" {
  alias  = "state"
  source = "./tests/mocks/state"
}

mock_provider "terraform" {
  source = "./tests/mocks/global"
}

variables {
  environment     = "dev"
  region          = "eu-west-1"
  team            = "web"
  release_version = "1.4.0"
  artifacts_dir   = "tests/fixtures"
}

run "dev_release_outputs_the_contract" {
  command = plan

  assert {
    condition = output.function_names == {
      crawler     = "webhealth-web-dev-eu-west-1-crawler"
      alarmlogger = "webhealth-web-dev-eu-west-1-alarmlogger"
      urlapi      = "webhealth-web-dev-eu-west-1-urlapi"
      notifier    = "webhealth-web-dev-eu-west-1-notifier"
      crawlworker = "webhealth-web-dev-eu-west-1-crawlworker"
    }
    error_message = "function_names maps crawler/alarmlogger/urlapi/notifier and the shard worker crawlworker to names unique per team, environment and region."
  }

  assert {
    condition     = output.ops_alarms["crawler-heartbeat"] == "webhealth-web-dev-eu-west-1-crawler-heartbeat" && output.ops_alarms["notifier-errors"] == "webhealth-web-dev-eu-west-1-notifier-errors" && output.ops_alarms["crawler-shards-dlq-messages"] == "webhealth-web-dev-eu-west-1-crawler-shards-dlq-messages" && length(output.ops_alarms) == 24
    error_message = "ops_alarms names every operational alarm (9 of the stack with fan-out, 3 per function of the five) for the runbook and the end-to-end suite."
  }

  assert {
    condition     = output.crawler_shard_queue_arn == "arn:aws:sqs:eu-west-1:123456789012:mocked" && output.crawler_shard_queue_url != null && output.crawler_shard_dlq_url != null
    error_message = "With the default fan-out (max_shards 100) the shard queue and its DLQ are outputs."
  }

  assert {
    condition     = output.deliveries_table == "webhealth-web-dev-eu-west-1-deliveries" && output.alarm_period_seconds == 300
    error_message = "The deliveries table and the alarm period (the default schedule's interval) are outputs."
  }

  assert {
    condition     = output.urls_table == "webhealth-web-dev-urls" && output.alarms_table == "webhealth-web-dev-eu-west-1-alarms" && output.stage_name == "v1"
    error_message = "Table and stage outputs must be set."
  }

  assert {
    condition     = output.alarm_prefix == "webhealth-web-dev-eu-west-1-target" && output.metric_namespace == "WebHealth/webhealth-web-dev-eu-west-1"
    error_message = "alarm_prefix and metric_namespace follow docs/design.md."
  }

  assert {
    condition     = output.crawler_schedule_rule == "webhealth-web-dev-eu-west-1-crawl" && output.dashboard_name == "webhealth-web-dev-eu-west-1"
    error_message = "Rule and dashboard outputs must be set."
  }

  assert {
    condition     = output.alarm_topic_arn == "arn:aws:sns:eu-west-1:123456789012:mocked" && output.ops_topic_arn == "arn:aws:sns:eu-west-1:123456789012:mocked"
    error_message = "Both topic ARNs are outputs."
  }

  assert {
    condition     = output.codedeploy == null
    error_message = "Without deployment.codedeploy there is no CodeDeploy output."
  }
}

run "local_environment_is_named_like_any_other" {
  command = plan

  variables {
    environment           = "local"
    allow_private_targets = true
    aws_endpoint_url      = "http://127.0.0.1:5000"
    lambda_architecture   = "x86_64"
  }

  assert {
    condition     = output.function_names["crawler"] == "webhealth-web-local-eu-west-1-crawler" && module.web_health.function_configurations["crawler"].architecture == "x86_64"
    error_message = "The local environment is named like any other and runs the host's architecture."
  }
}

run "prod_with_canary" {
  command = plan

  variables {
    environment     = "prod"
    deployment      = { codedeploy = true, codedeploy_config = "CodeDeployDefault.LambdaCanary10Percent10Minutes" }
    assume_role_arn = "arn:aws:iam::123456789012:role/webhealth-deploy"
  }

  assert {
    condition     = output.codedeploy["crawler"].application == "webhealth-web-prod-eu-west-1-crawler" && output.codedeploy["alarmlogger"].deployment_group == "live" && output.codedeploy["urlapi"].application == "webhealth-web-prod-eu-west-1-urlapi"
    error_message = "With CodeDeploy every function has an application and a live deployment group for the deploy step."
  }
}

run "no_fan_out_no_shard_outputs" {
  command = plan

  variables {
    crawler = { max_shards = 1 }
  }

  assert {
    condition     = output.crawler_shard_queue_url == null && output.crawler_shard_queue_arn == null && output.crawler_shard_dlq_url == null && !contains(keys(output.function_names), "crawlworker") && length(output.ops_alarms) == 19
    error_message = "crawler.max_shards 1 reaches the module: no shard queue, no worker, no shard alarms."
  }
}

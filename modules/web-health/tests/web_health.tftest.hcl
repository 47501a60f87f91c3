# Plan-level tests with a mocked AWS provider: no credentials, no network.
# override_during = plan makes mocked computed values (ARNs, ids) known at plan time so policies can be inspected.

mock_provider "aws" {
  override_during = plan

  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }

  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }

  mock_resource "aws_kms_key" {
    defaults = {
      arn    = "arn:aws:kms:eu-west-1:123456789012:key/0f8fad5b-d9cb-469f-a165-70867728950e"
      key_id = "0f8fad5b-d9cb-469f-a165-70867728950e"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/mocked" }
  }

  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mocked" }
  }
}

override_resource {
  override_during = plan
  target          = aws_sns_topic.alarms
  values          = { arn = "arn:aws:sns:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-alarms" }
}

override_resource {
  override_during = plan
  target          = aws_sns_topic.ops
  values          = { arn = "arn:aws:sns:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-ops" }
}

override_resource {
  override_during = plan
  target          = aws_sqs_queue.alarmlogger_failures
  values          = { arn = "arn:aws:sqs:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-alarmlogger-failures" }
}

override_resource {
  override_during = plan
  target          = aws_dynamodb_table.urls
  values          = { arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-eu-west-1-urls" }
}

override_resource {
  override_during = plan
  target          = aws_dynamodb_table.alarms
  values          = { arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-eu-west-1-alarms" }
}

override_resource {
  override_during = plan
  target          = aws_cloudwatch_event_rule.crawl
  values          = { arn = "arn:aws:events:eu-west-1:123456789012:rule/webhealth-web-dev-eu-west-1-crawl" }
}

override_resource {
  override_during = plan
  target          = aws_cloudwatch_log_group.api_access
  values          = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/apigateway/webhealth-web-dev-eu-west-1/access" }
}

override_resource {
  override_during = plan
  target          = aws_api_gateway_rest_api.this
  values = {
    id               = "a1b2c3d4e5"
    root_resource_id = "r00t"
    execution_arn    = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5"
  }
}

override_resource {
  override_during = plan
  target          = module.crawler.aws_lambda_alias.live
  values = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:webhealth-web-dev-eu-west-1-crawler:live"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:webhealth-web-dev-eu-west-1-crawler:live/invocations"
  }
}

override_resource {
  override_during = plan
  target          = module.alarmlogger.aws_lambda_alias.live
  values = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:webhealth-web-dev-eu-west-1-alarmlogger:live"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:webhealth-web-dev-eu-west-1-alarmlogger:live/invocations"
  }
}

override_resource {
  override_during = plan
  target          = module.urlapi.aws_lambda_alias.live
  values = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:webhealth-web-dev-eu-west-1-urlapi:live"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:webhealth-web-dev-eu-west-1-urlapi:live/invocations"
  }
}

variables {
  team            = "web"
  environment     = "dev"
  release_version = "1.4.0"
  artifacts_dir   = "tests/fixtures"
}

run "names_are_unique_per_team_environment_and_region" {
  command = plan

  assert {
    condition     = output.name == "webhealth-web-dev-eu-west-1"
    error_message = "The stack name is <name_prefix>-<team>-<environment>-<region>."
  }

  assert {
    condition = output.function_names == {
      crawler     = "webhealth-web-dev-eu-west-1-crawler"
      alarmlogger = "webhealth-web-dev-eu-west-1-alarmlogger"
      urlapi      = "webhealth-web-dev-eu-west-1-urlapi"
    }
    error_message = "Functions are named <stack>-<function> (their roles share the name; IAM is global, so it carries the region)."
  }

  assert {
    condition     = output.urls_table == "webhealth-web-dev-eu-west-1-urls" && output.alarms_table == "webhealth-web-dev-eu-west-1-alarms"
    error_message = "Tables are <stack>-urls and <stack>-alarms."
  }

  assert {
    condition     = output.alarm_prefix == "webhealth-web-dev-eu-west-1-target" && output.metric_namespace == "WebHealth/webhealth-web-dev-eu-west-1"
    error_message = "The crawler's alarm prefix must not cover the operational alarms (<stack>-<function>-...), and the namespace is WebHealth/<stack>."
  }

  assert {
    condition     = output.crawler_schedule_rule == "webhealth-web-dev-eu-west-1-crawl" && output.dashboard_name == "webhealth-web-dev-eu-west-1" && output.stage_name == "v1"
    error_message = "Rule, dashboard and stage names must follow the stack name."
  }

  assert {
    condition     = aws_sns_topic.alarms.name == "webhealth-web-dev-eu-west-1-alarms" && aws_sns_topic.ops.name == "webhealth-web-dev-eu-west-1-ops" && aws_api_gateway_rest_api.this.name == "webhealth-web-dev-eu-west-1"
    error_message = "Topics and the API are named after the stack."
  }

  assert {
    condition = alltrue([for t in [aws_dynamodb_table.urls.tags, aws_dynamodb_table.alarms.tags, aws_sns_topic.alarms.tags, aws_api_gateway_rest_api.this.tags, aws_kms_key.this.tags, aws_cloudwatch_event_rule.crawl.tags] :
    t["team"] == "web" && t["environment"] == "dev" && t["release_version"] == "1.4.0"])
    error_message = "Every resource is tagged with team, environment and release_version."
  }
}

run "tables_match_the_design" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.urls.hash_key == "id" && aws_dynamodb_table.urls.range_key == null && aws_dynamodb_table.urls.billing_mode == "PAY_PER_REQUEST"
    error_message = "The URL table has hash key id, no range key, on demand."
  }

  assert {
    condition     = aws_dynamodb_table.alarms.hash_key == "target_id" && aws_dynamodb_table.alarms.range_key == "sk" && aws_dynamodb_table.alarms.billing_mode == "PAY_PER_REQUEST"
    error_message = "The alarm table has hash key target_id and range key sk, on demand."
  }

  assert {
    condition     = one(aws_dynamodb_table.alarms.ttl).attribute_name == "expires_at" && one(aws_dynamodb_table.alarms.ttl).enabled
    error_message = "Alarm records expire by TTL on expires_at."
  }

  assert {
    condition = alltrue([for t in [aws_dynamodb_table.urls, aws_dynamodb_table.alarms] :
      one(t.point_in_time_recovery).enabled && one(t.server_side_encryption).enabled &&
    one(t.server_side_encryption).kms_key_arn == aws_kms_key.this.arn && t.deletion_protection_enabled])
    error_message = "Both tables have PITR, the stack's KMS key and (by default) deletion protection."
  }
}

run "function_environments_match_the_contract" {
  command = plan

  assert {
    condition = module.crawler.environment_variables == tomap({
      URLS_TABLE                = "webhealth-web-dev-eu-west-1-urls"
      ALARM_TOPIC_ARN           = "arn:aws:sns:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-alarms"
      ALARM_PREFIX              = "webhealth-web-dev-eu-west-1-target"
      METRIC_NAMESPACE          = "WebHealth/webhealth-web-dev-eu-west-1"
      CONCURRENCY               = "16"
      DEADLINE_MARGIN           = "5s"
      ALLOW_PRIVATE_TARGETS     = "false"
      MAX_BODY_BYTES            = "1048576"
      MAX_REDIRECTS             = "5"
      RETRY_DELAY               = "500ms"
      ALARM_PERIOD_SECONDS      = "60"
      ALARM_EVALUATION_PERIODS  = "2"
      ALARM_DATAPOINTS_TO_ALARM = "2"
    })
    error_message = "The crawler gets exactly the variables docs/design.md lists."
  }

  assert {
    condition = module.urlapi.environment_variables == tomap({
      URLS_TABLE            = "webhealth-web-dev-eu-west-1-urls"
      ALARMS_TABLE          = "webhealth-web-dev-eu-west-1-alarms"
      ALLOW_PRIVATE_TARGETS = "false"
    })
    error_message = "The urlapi gets its tables and the private-target switch; no CORS variable when no origins are configured."
  }

  assert {
    condition = module.alarmlogger.environment_variables == tomap({
      ALARMS_TABLE         = "webhealth-web-dev-eu-west-1-alarms"
      ALARM_PREFIX         = "webhealth-web-dev-eu-west-1-target"
      ALARM_RETENTION_DAYS = "90"
    })
    error_message = "The alarmlogger gets its table, the alarm prefix and the retention."
  }
}

run "iam_is_least_privilege" {
  command = plan

  assert {
    condition = alltrue(flatten([for p in [module.crawler.execution_policy, module.alarmlogger.execution_policy, module.urlapi.execution_policy] :
    [for s in jsondecode(p).Statement : [for a in s.Action : !strcontains(a, "*")]]]))
    error_message = "No function statement may have a wildcard action."
  }

  assert {
    condition = toset(flatten([for p in [module.crawler.execution_policy, module.alarmlogger.execution_policy, module.urlapi.execution_policy] :
    [for s in jsondecode(p).Statement : s.Sid if contains(s.Resource, "*")]])) == toset(["PublishMetrics", "ListAlarms"])
    error_message = "Only PutMetricData and DescribeAlarms (no resource-level permissions) may use Resource *."
  }

  assert {
    condition = [for s in jsondecode(module.crawler.execution_policy).Statement : s.Condition if s.Sid == "PublishMetrics"] == [
      { StringEquals = { "cloudwatch:namespace" = ["WebHealth/webhealth-web-dev-eu-west-1"] } }
    ]
    error_message = "The crawler may publish metrics only into its namespace."
  }

  assert {
    condition = [for s in jsondecode(module.crawler.execution_policy).Statement : s.Resource if s.Sid == "ManageTargetAlarms"] == [
      ["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:webhealth-web-dev-eu-west-1-target-*"]
    ]
    error_message = "The crawler may create, tag and delete only alarms with its prefix."
  }

  assert {
    condition = [for s in jsondecode(module.crawler.execution_policy).Statement : s.Action if s.Sid == "ReadTargetsRecordChecks"] == [
      ["dynamodb:Scan", "dynamodb:UpdateItem"]
    ]
    error_message = "The crawler only scans targets and updates their last check."
  }

  assert {
    condition = [for s in jsondecode(module.alarmlogger.execution_policy).Statement : { a = s.Action, r = s.Resource } if s.Sid == "RecordAlarms"] == [
      { a = ["dynamodb:PutItem"], r = ["arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-eu-west-1-alarms"] }
    ]
    error_message = "The alarmlogger may only put items into the alarm table."
  }

  assert {
    condition = [for s in jsondecode(module.urlapi.execution_policy).Statement : { a = s.Action, r = s.Resource } if s.Sid == "ReadAlarmHistory"] == [
      { a = ["dynamodb:Query"], r = ["arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-eu-west-1-alarms"] }
    ]
    error_message = "The urlapi may only query the alarm table."
  }

  assert {
    condition = alltrue([for p in [module.crawler.execution_policy, module.alarmlogger.execution_policy, module.urlapi.execution_policy] :
      length([for s in jsondecode(p).Statement : s if s.Sid == "UseStackKey" && s.Resource == [aws_kms_key.this.arn] &&
    try(s.Condition, null) == { StringEquals = { "kms:ViaService" = ["dynamodb.eu-west-1.amazonaws.com", "sqs.eu-west-1.amazonaws.com"] } }]) == 1])
    error_message = "Functions use the stack key only through DynamoDB and SQS."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_kms_key.this.policy).Statement : alltrue([for a in s.Action : !strcontains(a, "*")])])
    error_message = "The key policy names its actions (no kms:*)."
  }

  assert {
    condition     = length([for s in jsondecode(aws_kms_key.this.policy).Statement : s if s.Principal == { Service = "cloudwatch.amazonaws.com" } && toset(s.Action) == toset(["kms:Decrypt", "kms:GenerateDataKey"])]) == 1
    error_message = "CloudWatch must be able to publish alarms to the encrypted topics."
  }

  assert {
    condition     = length([for s in jsondecode(aws_kms_key.this.policy).Statement : s if s.Principal == { Service = "logs.eu-west-1.amazonaws.com" } && length(try(s.Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"], [])) == 2]) == 1
    error_message = "CloudWatch Logs may use the key for this stack's log groups only."
  }
}

run "alarm_topic_wiring" {
  command = plan

  assert {
    condition     = aws_sns_topic.alarms.kms_master_key_id == aws_kms_key.this.arn && aws_sns_topic.ops.kms_master_key_id == aws_kms_key.this.arn
    error_message = "Both topics are encrypted with the customer-managed key (aws/sns does not work with alarms)."
  }

  assert {
    condition = jsondecode(aws_sns_topic_policy.this["alarms"].policy).Statement == [{
      Sid       = "CloudWatchAlarmsOfThisAccount"
      Effect    = "Allow"
      Principal = { Service = "cloudwatch.amazonaws.com" }
      Action    = ["sns:Publish"]
      Resource  = aws_sns_topic.alarms.arn
      Condition = {
        StringEquals = { "aws:SourceAccount" = "123456789012" }
        ArnLike      = { "aws:SourceArn" = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:webhealth-web-dev-eu-west-1-target-*" }
      }
    }]
    error_message = "Only this account's per-target alarms may publish to the alarm topic."
  }

  assert {
    condition     = aws_sns_topic_subscription.alarmlogger.protocol == "lambda" && aws_sns_topic_subscription.alarmlogger.endpoint == "arn:aws:lambda:eu-west-1:123456789012:function:webhealth-web-dev-eu-west-1-alarmlogger:live"
    error_message = "The alarmlogger's live alias is subscribed to the alarm topic."
  }

  assert {
    condition     = aws_lambda_permission.alarmlogger_from_sns.principal == "sns.amazonaws.com" && aws_lambda_permission.alarmlogger_from_sns.source_arn == aws_sns_topic.alarms.arn && aws_lambda_permission.alarmlogger_from_sns.qualifier == "live"
    error_message = "Only the alarm topic may invoke the alarmlogger alias."
  }

  assert {
    condition     = aws_sqs_queue.alarmlogger_failures.kms_master_key_id == aws_kms_key.this.arn
    error_message = "The failure queue is encrypted with the stack key."
  }

  assert {
    condition     = length([for s in jsondecode(module.alarmlogger.execution_policy).Statement : s if s.Sid == "SendFailedInvocations" && s.Resource == [aws_sqs_queue.alarmlogger_failures.arn]]) == 1
    error_message = "The alarmlogger's failed notifications go to the encrypted queue."
  }
}

run "schedule_targets_the_crawler_alias" {
  command = plan

  assert {
    condition     = aws_cloudwatch_event_rule.crawl.schedule_expression == "rate(5 minutes)" && aws_cloudwatch_event_target.crawl.arn == "arn:aws:lambda:eu-west-1:123456789012:function:webhealth-web-dev-eu-west-1-crawler:live"
    error_message = "The rule runs the crawler's live alias on the schedule."
  }

  assert {
    condition     = aws_lambda_permission.crawler_from_schedule.principal == "events.amazonaws.com" && aws_lambda_permission.crawler_from_schedule.source_arn == aws_cloudwatch_event_rule.crawl.arn && aws_lambda_permission.crawler_from_schedule.qualifier == "live"
    error_message = "Only the schedule rule may invoke the crawler alias."
  }
}

run "rest_api_routes_and_keys" {
  command = plan

  assert {
    condition     = aws_api_gateway_resource.urls.path_part == "urls" && aws_api_gateway_resource.url.path_part == "{id}" && aws_api_gateway_resource.url_alarms.path_part == "alarms" && aws_api_gateway_resource.proxy.path_part == "{proxy+}"
    error_message = "Resources are /urls, /urls/{id}, /urls/{id}/alarms and the /{proxy+} catch-all."
  }

  assert {
    condition     = length(aws_api_gateway_method.this) == 10
    error_message = "Each of the five resources (with /) has an ANY and an OPTIONS method."
  }

  assert {
    condition     = alltrue([for k, m in aws_api_gateway_method.this : m.api_key_required == (m.http_method == "ANY") && m.authorization == "NONE"])
    error_message = "ANY methods require the API key; OPTIONS (CORS preflight) must not."
  }

  assert {
    condition = alltrue([for i in aws_api_gateway_integration.this : i.type == "AWS_PROXY" && i.integration_http_method == "POST" &&
    i.uri == "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:webhealth-web-dev-eu-west-1-urlapi:live/invocations"])
    error_message = "Every method is a Lambda proxy integration to the urlapi live alias."
  }

  assert {
    condition     = aws_lambda_permission.urlapi_from_api.principal == "apigateway.amazonaws.com" && aws_lambda_permission.urlapi_from_api.source_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/v1/*" && aws_lambda_permission.urlapi_from_api.qualifier == "live"
    error_message = "Only this API's stage may invoke the urlapi alias."
  }

  assert {
    condition     = contains(keys(aws_api_gateway_deployment.this.triggers), "redeployment") && length(aws_api_gateway_deployment.this.triggers) == 1
    error_message = "The deployment is redeployed when the routes change (a hash trigger)."
  }

  assert {
    condition     = one(aws_api_gateway_stage.this.access_log_settings).destination_arn == aws_cloudwatch_log_group.api_access.arn && jsondecode(one(aws_api_gateway_stage.this.access_log_settings).format).requestId == "$context.requestId"
    error_message = "The stage writes JSON access logs to the stack's log group."
  }

  assert {
    condition     = aws_cloudwatch_log_group.api_access.kms_key_id == aws_kms_key.this.arn && aws_cloudwatch_log_group.api_access.retention_in_days == 30
    error_message = "The access log group is encrypted and has a retention."
  }

  assert {
    condition     = one(aws_api_gateway_method_settings.all.settings).throttling_rate_limit == 50 && one(aws_api_gateway_method_settings.all.settings).throttling_burst_limit == 100 && aws_api_gateway_method_settings.all.method_path == "*/*"
    error_message = "All methods are throttled."
  }

  assert {
    condition     = one(aws_api_gateway_usage_plan.this.throttle_settings).rate_limit == 20 && one(aws_api_gateway_usage_plan.this.quota_settings).limit == 200000 && one(aws_api_gateway_usage_plan.this.quota_settings).period == "MONTH"
    error_message = "The usage plan throttles and limits the key."
  }

  assert {
    condition     = aws_api_gateway_usage_plan_key.this.key_type == "API_KEY" && aws_api_gateway_api_key.this.enabled
    error_message = "The API key is enabled and attached to the usage plan."
  }

  assert {
    condition     = length(aws_api_gateway_account.this) == 0 && length(aws_iam_role.apigateway_cloudwatch) == 0
    error_message = "The region's API Gateway account settings are not managed unless asked for."
  }
}

run "dashboard_uses_metrics_insights" {
  command = plan

  assert {
    condition     = jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets[0].properties.metrics[0][0].expression == "SELECT AVG(Availability) FROM SCHEMA(\"WebHealth/webhealth-web-dev-eu-west-1\", Region, TargetId) GROUP BY TargetId"
    error_message = "Availability per target comes from a Metrics Insights query, so new targets appear without a re-apply."
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets[1].properties.metrics[0][0].expression == "SELECT AVG(Latency) FROM SCHEMA(\"WebHealth/webhealth-web-dev-eu-west-1\", Region, TargetId) GROUP BY TargetId"
    error_message = "Latency per target comes from a Metrics Insights query."
  }
}

run "local_environment_allows_private_targets_and_cors" {
  command = plan

  variables {
    environment           = "local"
    allow_private_targets = true
    deletion_protection   = false
    cors_allow_origins    = ["http://localhost:3000", "https://app.example.com"]
  }

  assert {
    condition     = module.crawler.environment_variables["ALLOW_PRIVATE_TARGETS"] == "true" && module.urlapi.environment_variables["ALLOW_PRIVATE_TARGETS"] == "true"
    error_message = "Both the API and the crawler must see the private-target switch."
  }

  assert {
    condition     = module.urlapi.environment_variables["CORS_ALLOW_ORIGINS"] == "http://localhost:3000,https://app.example.com"
    error_message = "CORS origins are passed comma-separated."
  }

  assert {
    condition     = !aws_dynamodb_table.urls.deletion_protection_enabled && !aws_dynamodb_table.alarms.deletion_protection_enabled
    error_message = "Deletion protection is switchable."
  }
}

run "emulator_compatibility_switches" {
  command = plan

  variables {
    environment = "local"
    emulator_compatibility = {
      omit_lambda_logging_config = true
      static_apigateway_tags     = true
    }
  }

  assert {
    condition     = !contains(keys(aws_api_gateway_rest_api.this.tags), "release_version") && !contains(keys(aws_api_gateway_api_key.this.tags), "release_version") && aws_api_gateway_rest_api.this.tags["team"] == "web"
    error_message = "With static_apigateway_tags the API Gateway resources are tagged without the release version."
  }

  assert {
    condition     = aws_dynamodb_table.urls.tags["release_version"] == "1.4.0"
    error_message = "Other resources keep the release version tag."
  }
}

run "aws_defaults_tag_api_with_release" {
  command = plan

  assert {
    condition     = aws_api_gateway_rest_api.this.tags["release_version"] == "1.4.0" && aws_api_gateway_stage.this.tags["release_version"] == "1.4.0" && aws_api_gateway_usage_plan.this.tags["release_version"] == "1.4.0"
    error_message = "On AWS the API Gateway resources carry the release version."
  }
}

run "codedeploy_canary_on" {
  command = plan

  variables {
    environment       = "prod"
    enable_codedeploy = true
  }

  assert {
    condition     = output.codedeploy["crawler"].application == "webhealth-web-prod-eu-west-1-crawler" && output.codedeploy["urlapi"].deployment_group == "live"
    error_message = "Each function gets a CodeDeploy application and deployment group."
  }
}

run "codedeploy_off_by_default" {
  command = plan

  assert {
    condition     = output.codedeploy == null
    error_message = "Without CodeDeploy there is nothing to deploy after apply."
  }
}

run "apigateway_account_managed_on_request" {
  command = plan

  variables {
    manage_apigateway_account = true
  }

  assert {
    condition     = aws_iam_role.apigateway_cloudwatch[0].name == "webhealth-apigw-logs-eu-west-1" && jsondecode(aws_iam_role.apigateway_cloudwatch[0].assume_role_policy).Statement[0].Principal.Service == "apigateway.amazonaws.com"
    error_message = "The account-level role is named per region and assumable by API Gateway only."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role_policy.apigateway_cloudwatch[0].policy).Statement : alltrue([for a in s.Action : !strcontains(a, "*")])])
    error_message = "The account-level role has no wildcard actions."
  }

  assert {
    condition     = length(aws_api_gateway_account.this) == 1
    error_message = "The account settings point at the role."
  }
}

# One run per validation rule.

run "rejects_long_name_prefix" {
  command = plan
  variables {
    name_prefix = "webhealthmonitor"
  }
  expect_failures = [var.name_prefix]
}

run "rejects_team_that_is_no_slug" {
  command = plan
  variables {
    team = "Web_Team"
  }
  expect_failures = [var.team]
}

run "rejects_unknown_environment" {
  command = plan
  variables {
    environment = "staging"
  }
  expect_failures = [var.environment]
}

run "rejects_non_semver_release" {
  command = plan
  variables {
    release_version = "1.4"
  }
  expect_failures = [var.release_version]
}

run "rejects_artifacts_dir_with_trailing_slash" {
  command = plan
  variables {
    artifacts_dir = "tests/fixtures/"
  }
  expect_failures = [var.artifacts_dir]
}

run "rejects_unknown_architecture" {
  command = plan
  variables {
    lambda_architecture = "arm"
  }
  expect_failures = [var.lambda_architecture]
}

run "rejects_private_targets_outside_local" {
  command = plan
  variables {
    environment           = "prod"
    allow_private_targets = true
  }
  expect_failures = [var.allow_private_targets]
}

run "rejects_cors_origin_with_path" {
  command = plan
  variables {
    cors_allow_origins = ["https://app.example.com/path"]
  }
  expect_failures = [var.cors_allow_origins]
}

run "rejects_bad_schedule" {
  command = plan
  variables {
    crawler_schedule_expression = "rate(1 minutes)"
  }
  expect_failures = [var.crawler_schedule_expression]
}

run "rejects_concurrency_out_of_range" {
  command = plan
  variables {
    crawler_concurrency = 257
  }
  expect_failures = [var.crawler_concurrency]
}

run "rejects_short_crawler_timeout" {
  command = plan
  variables {
    crawler_timeout_seconds = 10
  }
  expect_failures = [var.crawler_timeout_seconds]
}

run "rejects_crawler_memory_out_of_range" {
  command = plan
  variables {
    crawler_memory_mb = 64
  }
  expect_failures = [var.crawler_memory_mb]
}

run "rejects_crawler_reserved_concurrency_out_of_range" {
  command = plan
  variables {
    crawler_reserved_concurrency = 0
  }
  expect_failures = [var.crawler_reserved_concurrency]
}

run "rejects_probe_durations_not_in_go_form" {
  command = plan
  variables {
    crawler_probe_settings = { retry_delay = "half a second" }
  }
  expect_failures = [var.crawler_probe_settings]
}

run "rejects_probe_limits_out_of_range" {
  command = plan
  variables {
    crawler_probe_settings = { max_redirects = 50 }
  }
  expect_failures = [var.crawler_probe_settings]
}

run "rejects_alarm_period" {
  command = plan
  variables {
    alarm_period_seconds = 45
  }
  expect_failures = [var.alarm_period_seconds]
}

run "rejects_alarm_evaluation_periods" {
  command = plan
  variables {
    alarm_evaluation_periods = 0
  }
  expect_failures = [var.alarm_evaluation_periods]
}

run "rejects_datapoints_above_evaluation_periods" {
  command = plan
  variables {
    alarm_evaluation_periods  = 1
    alarm_datapoints_to_alarm = 2
  }
  expect_failures = [var.alarm_datapoints_to_alarm]
}

run "rejects_alarm_retention" {
  command = plan
  variables {
    alarm_retention_days = 0
  }
  expect_failures = [var.alarm_retention_days]
}

run "rejects_log_retention" {
  command = plan
  variables {
    log_retention_days = 2
  }
  expect_failures = [var.log_retention_days]
}

run "rejects_log_level" {
  command = plan
  variables {
    log_level = "TRACE"
  }
  expect_failures = [var.log_level]
}

run "rejects_non_lambda_deployment_config" {
  command = plan
  variables {
    canary_deployment_config = "CodeDeployDefault.OneAtATime"
  }
  expect_failures = [var.canary_deployment_config]
}

run "rejects_stage_name" {
  command = plan
  variables {
    api_stage_name = "v1-beta"
  }
  expect_failures = [var.api_stage_name]
}

run "rejects_api_throttle" {
  command = plan
  variables {
    api_throttle = { rate_limit = 0, burst_limit = 10 }
  }
  expect_failures = [var.api_throttle]
}

run "rejects_usage_plan_period" {
  command = plan
  variables {
    usage_plan = { rate_limit = 10, burst_limit = 20, quota_limit = 1000, quota_period = "YEAR" }
  }
  expect_failures = [var.usage_plan]
}

run "rejects_api_logging_level" {
  command = plan
  variables {
    api_logging_level = "DEBUG"
  }
  expect_failures = [var.api_logging_level]
}

run "rejects_kms_deletion_window" {
  command = plan
  variables {
    kms_deletion_window_days = 31
  }
  expect_failures = [var.kms_deletion_window_days]
}

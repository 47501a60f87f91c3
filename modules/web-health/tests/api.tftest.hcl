# The REST API: routes, proxy integrations, keys, logs, throttling and the account settings.
mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  team            = "web"
  environment     = "dev"
  release_version = "1.4.0"
  artifacts_dir   = "tests/fixtures"
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

run "apigateway_account_managed_on_request" {
  command = plan

  variables {
    api = { manage_account = true }
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

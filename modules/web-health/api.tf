resource "aws_api_gateway_rest_api" "this" {
  name           = local.name
  description    = "webhealth URL API (${var.team}, ${var.environment}, ${local.region})"
  api_key_source = "HEADER"

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  tags = local.apigateway_tags
}

resource "aws_api_gateway_resource" "urls" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "urls"
}

resource "aws_api_gateway_resource" "url" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.urls.id
  path_part   = "{id}"
}

resource "aws_api_gateway_resource" "url_alarms" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.url.id
  path_part   = "alarms"
}

# Everything else also reaches the function, which answers 404/405 in the API's JSON error format.
resource "aws_api_gateway_resource" "proxy" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "{proxy+}"
}

locals {
  api_resources = {
    root       = aws_api_gateway_rest_api.this.root_resource_id
    urls       = aws_api_gateway_resource.urls.id
    url        = aws_api_gateway_resource.url.id
    url_alarms = aws_api_gateway_resource.url_alarms.id
    proxy      = aws_api_gateway_resource.proxy.id
  }

  # ANY needs the API key; OPTIONS (CORS preflight, sent by browsers without custom headers) does not.
  api_methods = {
    for pair in setproduct(keys(local.api_resources), ["ANY", "OPTIONS"]) : "${pair[0]} ${pair[1]}" => {
      resource = pair[0]
      method   = pair[1]
    }
  }
}

resource "aws_api_gateway_method" "this" {
  for_each = local.api_methods

  rest_api_id      = aws_api_gateway_rest_api.this.id
  resource_id      = local.api_resources[each.value.resource]
  http_method      = each.value.method
  authorization    = "NONE"
  api_key_required = each.value.method != "OPTIONS"
}

resource "aws_api_gateway_integration" "this" {
  for_each = local.api_methods

  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_method.this[each.key].resource_id
  http_method             = aws_api_gateway_method.this[each.key].http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = module.urlapi.alias_invoke_arn
}

resource "aws_lambda_permission" "urlapi_from_api" {
  statement_id  = "AllowRestApi"
  action        = "lambda:InvokeFunction"
  function_name = module.urlapi.function_name
  qualifier     = module.urlapi.alias_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/${var.api.stage_name}/*"
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  description = "webhealth URL API"

  # A new deployment whenever the routes, methods or integrations change.
  triggers = {
    redeployment = sha1(jsonencode([
      local.api_resources,
      { for k, m in aws_api_gateway_method.this : k => [m.id, m.api_key_required, m.authorization] },
      { for k, i in aws_api_gateway_integration.this : k => [i.id, i.uri, i.type] },
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudwatch_log_group" "api_access" {
  name              = "/aws/apigateway/${local.name}/access"
  retention_in_days = var.logging.retention_days
  kms_key_id        = aws_kms_key.this.arn
  tags              = local.tags
}

resource "aws_api_gateway_stage" "this" {
  rest_api_id   = aws_api_gateway_rest_api.this.id
  deployment_id = aws_api_gateway_deployment.this.id
  stage_name    = var.api.stage_name

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_access.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      extendedRequestId  = "$context.extendedRequestId"
      requestTime        = "$context.requestTime"
      ip                 = "$context.identity.sourceIp"
      userAgent          = "$context.identity.userAgent"
      apiKeyId           = "$context.identity.apiKeyId"
      httpMethod         = "$context.httpMethod"
      resourcePath       = "$context.resourcePath"
      path               = "$context.path"
      protocol           = "$context.protocol"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      responseLatency    = "$context.responseLatency"
      integrationStatus  = "$context.integration.status"
      integrationLatency = "$context.integration.latency"
      errorMessage       = "$context.error.message"
      errorType          = "$context.error.responseType"
    })
  }

  tags = local.apigateway_tags

  # Access logging needs the region's API Gateway CloudWatch role (apigateway_account.tf).
  depends_on = [aws_api_gateway_account.this]
}

resource "aws_api_gateway_method_settings" "all" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = true
    logging_level          = var.api.logging_level
    data_trace_enabled     = false
    throttling_rate_limit  = var.api.throttle.rate_limit
    throttling_burst_limit = var.api.throttle.burst_limit
    caching_enabled        = false
    cache_data_encrypted   = true
  }
}

resource "aws_api_gateway_api_key" "this" {
  name        = local.name
  description = "webhealth API key (${var.team}, ${var.environment}, ${local.region})"
  enabled     = true
  tags        = local.apigateway_tags
}

resource "aws_api_gateway_usage_plan" "this" {
  name        = local.name
  description = "webhealth usage plan (${var.environment})"

  api_stages {
    api_id = aws_api_gateway_rest_api.this.id
    stage  = aws_api_gateway_stage.this.stage_name
  }

  throttle_settings {
    rate_limit  = var.api.usage_plan.rate_limit
    burst_limit = var.api.usage_plan.burst_limit
  }

  quota_settings {
    limit  = var.api.usage_plan.quota_limit
    period = var.api.usage_plan.quota_period
  }

  tags = local.apigateway_tags
}

resource "aws_api_gateway_usage_plan_key" "this" {
  key_id        = aws_api_gateway_api_key.this.id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.this.id
}

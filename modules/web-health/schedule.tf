resource "aws_cloudwatch_event_rule" "crawl" {
  name                = "${local.name}-crawl"
  description         = "Runs the webhealth crawler (${var.crawler.schedule_expression})"
  schedule_expression = var.crawler.schedule_expression
  state               = "ENABLED"
  tags                = local.tags
}

resource "aws_cloudwatch_event_target" "crawl" {
  rule      = aws_cloudwatch_event_rule.crawl.name
  target_id = "crawler"
  arn       = module.crawler.alias_arn
}

resource "aws_lambda_permission" "crawler_from_schedule" {
  statement_id  = "AllowCrawlSchedule"
  action        = "lambda:InvokeFunction"
  function_name = module.crawler.function_name
  qualifier     = module.crawler.alias_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.crawl.arn
}

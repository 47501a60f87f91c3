# Least privilege: the functions' roles and the stack key.
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

run "iam_is_least_privilege" {
  command = plan

  assert {
    condition = alltrue(flatten([for p in [module.crawler.execution_policy, module.alarmlogger.execution_policy, module.urlapi.execution_policy, module.notifier.execution_policy, module.crawler_worker[0].execution_policy] :
    [for s in jsondecode(p).Statement : [for a in s.Action : !strcontains(a, "*")]]]))
    error_message = "No function statement may have a wildcard action."
  }

  assert {
    condition = toset(flatten([for p in [module.crawler.execution_policy, module.alarmlogger.execution_policy, module.urlapi.execution_policy, module.notifier.execution_policy, module.crawler_worker[0].execution_policy] :
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
    condition = [for s in jsondecode(module.crawler.execution_policy).Statement : [s.Action, s.Resource, s.Condition] if s.Sid == "HoldRunLease"] == [[
      ["dynamodb:PutItem", "dynamodb:DeleteItem"],
      ["arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-urls"],
      { "ForAllValues:StringEquals" = { "dynamodb:LeadingKeys" = ["lease#crawler#eu-west-1"] } },
    ]]
    error_message = "The crawler may put and delete only its run lease item (internal/store CrawlerLeaseID) in the URL table."
  }

  assert {
    condition = [for s in jsondecode(module.alarmlogger.execution_policy).Statement : { a = s.Action, r = s.Resource } if contains(["RecordAlarms", "ReadTargets"], s.Sid)] == [
      { a = ["dynamodb:PutItem"], r = ["arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-eu-west-1-alarms"] },
      { a = ["dynamodb:GetItem"], r = ["arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-urls"] },
    ]
    error_message = "The alarmlogger may only put items into the alarm table and get targets (whether one is muted)."
  }

  assert {
    condition = { for s in jsondecode(module.notifier.execution_policy).Statement : s.Sid => { a = s.Action, r = s.Resource } if s.Sid != "UseStackKey" } == {
      WriteOwnLogGroup      = { a = ["logs:CreateLogStream", "logs:PutLogEvents"], r = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/mocked:log-stream:*"] }
      SendFailedInvocations = { a = ["sqs:SendMessage"], r = ["arn:aws:sqs:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-notifier-failures"] }
      ReadTargets           = { a = ["dynamodb:GetItem"], r = ["arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-urls"] }
      ReadAlarmHistory      = { a = ["dynamodb:Query"], r = ["arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-eu-west-1-alarms"] }
      RecordDeliveries      = { a = ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"], r = ["arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-eu-west-1-deliveries"] }
    }
    error_message = "Without channels the notifier gets targets, queries the alarm history, records deliveries and sends failures to its queue; no secret of any kind, no topic to publish to."
  }

  assert {
    condition = [for s in jsondecode(module.urlapi.execution_policy).Statement : { a = s.Action, r = s.Resource } if s.Sid == "ReadAlarmHistory"] == [
      { a = ["dynamodb:Query"], r = ["arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-eu-west-1-alarms"] }
    ]
    error_message = "The urlapi may only query the alarm table."
  }

  assert {
    condition = alltrue([for p in [module.crawler.execution_policy, module.alarmlogger.execution_policy, module.urlapi.execution_policy, module.notifier.execution_policy, module.crawler_worker[0].execution_policy] :
      length([for s in jsondecode(p).Statement : s if s.Sid == "UseStackKey" && s.Resource == [aws_kms_key.this.arn] &&
    try(s.Condition, null) == { StringEquals = { "kms:ViaService" = ["dynamodb.eu-west-1.amazonaws.com", "sqs.eu-west-1.amazonaws.com"] } }]) == 1])
    error_message = "Functions (the shard worker included) use the stack key only through DynamoDB and SQS: the shard queue is encrypted with it."
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

run "fan_out_iam_is_least_privilege" {
  command = plan

  assert {
    condition = [for s in jsondecode(module.crawler.execution_policy).Statement : [s.Action, s.Resource] if s.Sid == "SendShards"] == [[
      ["sqs:SendMessage"], ["arn:aws:sqs:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-crawler-shards"],
    ]] && !anytrue([for s in jsondecode(module.crawler.execution_policy).Statement : anytrue([for a in s.Action : startswith(a, "sqs:") && a != "sqs:SendMessage"])])
    error_message = "The coordinator may only send messages, and only to the shard queue (SendMessageBatch is sqs:SendMessage)."
  }

  assert {
    condition = { for s in jsondecode(module.crawler_worker[0].execution_policy).Statement : s.Sid => { a = s.Action, r = s.Resource } if !contains(["UseStackKey", "PublishMetrics"], s.Sid) } == {
      WriteOwnLogGroup             = { a = ["logs:CreateLogStream", "logs:PutLogEvents"], r = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/mocked:log-stream:*"] }
      ReadShardTargetsRecordChecks = { a = ["dynamodb:BatchGetItem", "dynamodb:UpdateItem"], r = ["arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-urls"] }
      ReceiveShards                = { a = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"], r = ["arn:aws:sqs:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-crawler-shards"] }
      ManageTargetAlarms           = { a = ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource"], r = ["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:webhealth-web-dev-eu-west-1-target-*"] }
      ListAlarms                   = { a = ["cloudwatch:DescribeAlarms"], r = ["*"] }
    }
    error_message = "The worker reads its shard's targets by id and records their checks (no Scan, no lease PutItem/DeleteItem), receives and deletes shards of the shard queue only, and manages only the crawler's target alarms."
  }

  assert {
    condition = [for s in jsondecode(module.crawler_worker[0].execution_policy).Statement : s.Condition if s.Sid == "PublishMetrics"] == [
      { StringEquals = { "cloudwatch:namespace" = ["WebHealth/webhealth-web-dev-eu-west-1"] } }
    ]
    error_message = "The worker may publish metrics only into the stack's namespace."
  }
}

run "no_fan_out_no_queue_permissions" {
  command = plan

  variables {
    crawler = { max_shards = 1 }
  }

  assert {
    condition     = !anytrue([for s in jsondecode(module.crawler.execution_policy).Statement : anytrue([for a in s.Action : startswith(a, "sqs:")])])
    error_message = "Without fan-out the crawler may use no queue at all."
  }
}

run "notifier_publishes_to_exactly_the_people_topic" {
  command = plan

  variables {
    notifications = { emails = ["oncall@example.com"] }
  }

  assert {
    condition = { for s in jsondecode(module.notifier.execution_policy).Statement : s.Sid => { a = s.Action, r = s.Resource } if s.Sid != "UseStackKey" } == {
      WriteOwnLogGroup      = { a = ["logs:CreateLogStream", "logs:PutLogEvents"], r = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/mocked:log-stream:*"] }
      SendFailedInvocations = { a = ["sqs:SendMessage"], r = ["arn:aws:sqs:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-notifier-failures"] }
      ReadTargets           = { a = ["dynamodb:GetItem"], r = ["arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-urls"] }
      ReadAlarmHistory      = { a = ["dynamodb:Query"], r = ["arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-eu-west-1-alarms"] }
      RecordDeliveries      = { a = ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"], r = ["arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-eu-west-1-deliveries"] }
      PublishToPeople       = { a = ["sns:Publish"], r = ["arn:aws:sns:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-notifications"] }
      EncryptForPeople      = { a = ["kms:GenerateDataKey", "kms:Decrypt"], r = [aws_kms_key.this.arn] }
    }
    error_message = "With the people topic the notifier also publishes to exactly it (sns:Publish on its ARN) and gets data keys of the stack key for it; nothing more."
  }

  assert {
    condition = [for s in jsondecode(module.notifier.execution_policy).Statement : s.Condition if s.Sid == "EncryptForPeople"] == [{ StringEquals = {
      "kms:ViaService"                         = ["sns.eu-west-1.amazonaws.com"]
      "kms:EncryptionContext:aws:sns:topicArn" = ["arn:aws:sns:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-notifications"]
    } }]
    error_message = "The notifier uses the stack key for SNS only through SNS and only for the people topic."
  }

  assert {
    condition = alltrue([for p in [module.crawler.execution_policy, module.alarmlogger.execution_policy, module.urlapi.execution_policy] :
    length([for s in jsondecode(p).Statement : s if anytrue([for a in s.Action : startswith(a, "sns:")])]) == 0])
    error_message = "No other function may publish to any topic."
  }
}

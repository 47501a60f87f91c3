# var.notifications: e-mail and Chatbot subscribe to the people topic, which only the notifier publishes to (it
# decides who is told: nothing of CloudWatch's raw notifications reaches a person), and the webhooks the notifier
# may read the secrets of (exactly those, by name, never their values).

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  team            = "web"
  environment     = "dev"
  release_version = "1.4.0"
  artifacts_dir   = "tests/fixtures"

  notifications = {
    emails         = ["oncall@example.com", "web+alerts@mail.example.co.uk"]
    slack_channels = [{ name = "ops-slack", slack_team_id = "T07EA123LEP", slack_channel_id = "C07EZ1ABC23" }]
    teams_channels = [{ name = "ops-teams", team_id = "74361522-da01-538d-aa2e-ac7918c6bb92", tenant_id = "0F8FAD5B-D9CB-469F-A165-70867728950E", channel_id = "19%3Ab2f1c0d9e8a7%40thread.tacv2" }]
    webhooks = [
      { name = "hook-json", format = "json", ssm_parameter = "/webhealth/dev/hook.json" },
      { name = "hook-teams", format = "teams", ssm_parameter = "/webhealth/dev/teams_hook" },
      { name = "pager", format = "pagerduty", secret_id = "webhealth/dev/pagerduty" },
      { name = "pager-us", format = "pagerduty", secret_id = "arn:aws:secretsmanager:us-east-1:210987654321:secret:shared/pagerduty-AbC123" },
    ]
  }
}

run "emails_subscribe_to_the_people_topic" {
  command = plan

  assert {
    condition = { for k, s in aws_sns_topic_subscription.email : k => [s.topic_arn, s.protocol, s.endpoint] } == {
      "oncall@example.com"            = [aws_sns_topic.notifications[0].arn, "email", "oncall@example.com"]
      "web+alerts@mail.example.co.uk" = [aws_sns_topic.notifications[0].arn, "email", "web+alerts@mail.example.co.uk"]
    }
    error_message = "Every e-mail address is subscribed once, to the people topic, and to neither the alarm nor the ops topic (their raw CloudWatch notifications would bypass the notifier's rules)."
  }

  assert {
    condition     = aws_sns_topic.notifications[0].name == "webhealth-web-dev-eu-west-1-notifications" && aws_sns_topic.notifications[0].kms_master_key_id == aws_kms_key.this.arn
    error_message = "The people topic is <stack>-notifications, encrypted with the stack key like the other topics."
  }

  assert {
    condition = jsondecode(aws_sns_topic_policy.notifications[0].policy).Statement == [
      {
        Sid       = "TheNotifierPublishes"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::123456789012:role/webhealth-web-dev-eu-west-1-notifier" }
        Action    = ["sns:Publish"]
        Resource  = "arn:aws:sns:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-notifications"
      },
      {
        Sid       = "NobodyElsePublishes"
        Effect    = "Deny"
        Principal = "*"
        Action    = ["sns:Publish"]
        Resource  = "arn:aws:sns:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-notifications"
        Condition = { ArnNotEquals = { "aws:PrincipalArn" = "arn:aws:iam::123456789012:role/webhealth-web-dev-eu-west-1-notifier" } }
      },
    ] && aws_sns_topic_policy.notifications[0].arn == aws_sns_topic.notifications[0].arn
    error_message = "Only the notifier's role may publish to the people topic; every other principal and service is denied."
  }

  assert {
    condition = alltrue([for topic in [aws_sns_topic.alarms.arn, aws_sns_topic.ops.arn] :
    length([for s in aws_sns_topic_subscription.email : s if s.topic_arn == topic]) == 0])
    error_message = "No e-mail address subscribes to the alarm or ops topic."
  }

  assert {
    condition     = module.notifier.environment_variables["NOTIFY_TOPIC_ARN"] == aws_sns_topic.notifications[0].arn && output.notifications_topic_arn == aws_sns_topic.notifications[0].arn
    error_message = "The notifier is told the people topic (NOTIFY_TOPIC_ARN); the output names it."
  }

  assert {
    condition = [for s in jsondecode(module.notifier.execution_policy).Statement : { a = s.Action, r = s.Resource } if s.Sid == "PublishToPeople"] == [
      { a = ["sns:Publish"], r = ["arn:aws:sns:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-notifications"] }
    ]
    error_message = "The notifier may sns:Publish to exactly the people topic."
  }

  assert {
    condition = [for s in jsondecode(module.notifier.execution_policy).Statement : { a = s.Action, r = s.Resource, c = s.Condition } if s.Sid == "EncryptForPeople"] == [{
      a = ["kms:GenerateDataKey", "kms:Decrypt"]
      r = [aws_kms_key.this.arn]
      c = { StringEquals = {
        "kms:ViaService"                         = ["sns.eu-west-1.amazonaws.com"]
        "kms:EncryptionContext:aws:sns:topicArn" = ["arn:aws:sns:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-notifications"]
      } }
    }]
    error_message = "The notifier may use the stack key for the people topic's messages only: through SNS, for that topic."
  }

  assert {
    condition = alltrue([for s in flatten([for p in [module.crawler.execution_policy, module.alarmlogger.execution_policy, module.urlapi.execution_policy] : jsondecode(p).Statement]) :
    alltrue([for a in s.Action : !startswith(a, "sns:")])])
    error_message = "No other function may publish to a topic."
  }

  assert {
    condition     = output.notification_channels.emails == tolist(["oncall@example.com", "web+alerts@mail.example.co.uk"]) && output.notification_channels.webhooks == ["hook-json", "hook-teams", "pager", "pager-us"]
    error_message = "The notification_channels output lists the e-mail addresses and the webhook names."
  }
}

run "chatbot_channels_read_cloudwatch_only" {
  command = plan

  assert {
    condition = (
      aws_chatbot_slack_channel_configuration.this["ops-slack"].configuration_name == "webhealth-web-dev-eu-west-1-ops-slack"
      && aws_chatbot_slack_channel_configuration.this["ops-slack"].slack_team_id == "T07EA123LEP"
      && aws_chatbot_slack_channel_configuration.this["ops-slack"].slack_channel_id == "C07EZ1ABC23"
      && aws_chatbot_slack_channel_configuration.this["ops-slack"].sns_topic_arns == toset([aws_sns_topic.notifications[0].arn])
    )
    error_message = "A Slack channel is a Chatbot configuration named <stack>-<name> (names are unique per account) on the people topic alone."
  }

  assert {
    condition = (
      aws_chatbot_teams_channel_configuration.this["ops-teams"].configuration_name == "webhealth-web-dev-eu-west-1-ops-teams"
      && aws_chatbot_teams_channel_configuration.this["ops-teams"].team_id == "74361522-da01-538d-aa2e-ac7918c6bb92"
      && aws_chatbot_teams_channel_configuration.this["ops-teams"].tenant_id == "0F8FAD5B-D9CB-469F-A165-70867728950E"
      && aws_chatbot_teams_channel_configuration.this["ops-teams"].channel_id == "19%3Ab2f1c0d9e8a7%40thread.tacv2"
      && aws_chatbot_teams_channel_configuration.this["ops-teams"].sns_topic_arns == toset([aws_sns_topic.notifications[0].arn])
    )
    error_message = "A Teams channel is a Chatbot configuration named <stack>-<name> on the people topic alone."
  }

  assert {
    condition = alltrue([for c in [aws_chatbot_slack_channel_configuration.this["ops-slack"], aws_chatbot_teams_channel_configuration.this["ops-teams"]] :
    c.iam_role_arn == aws_iam_role.chatbot[0].arn && c.guardrail_policy_arns == tolist(["arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"])])
    error_message = "Both channels use the one Chatbot role, and the CloudWatchReadOnlyAccess guardrail caps what a channel member may do (without it Chatbot applies AdministratorAccess)."
  }

  assert {
    condition     = aws_iam_role.chatbot[0].name == "webhealth-web-dev-eu-west-1-chatbot" && jsondecode(aws_iam_role.chatbot[0].assume_role_policy).Statement[0].Principal == { Service = "chatbot.amazonaws.com" }
    error_message = "The Chatbot role is named after the stack and assumable by Chatbot only."
  }

  assert {
    condition = { for s in jsondecode(aws_iam_role_policy.chatbot[0].policy).Statement : s.Sid => { a = s.Action, r = s.Resource } } == {
      ReadAlarmsAndMetrics = { a = ["cloudwatch:DescribeAlarms", "cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics", "cloudwatch:GetMetricWidgetImage", "cloudwatch:ListMetrics"], r = ["*"] }
      ReadAlarmHistory     = { a = ["cloudwatch:DescribeAlarmHistory"], r = ["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:webhealth-web-dev-eu-west-1-*"] }
    }
    error_message = "The Chatbot role reads CloudWatch alarms and metrics, named one by one (Resource * only where no resource-level permission exists), and nothing else."
  }
}

run "webhooks_may_read_exactly_their_secrets" {
  command = plan

  assert {
    condition = [for s in jsondecode(module.notifier.execution_policy).Statement : s.Resource if s.Sid == "ReadChannelParameters"] == [[
      "arn:aws:ssm:eu-west-1:123456789012:parameter/webhealth/dev/hook.json",
      "arn:aws:ssm:eu-west-1:123456789012:parameter/webhealth/dev/teams_hook",
    ]] && [for s in jsondecode(module.notifier.execution_policy).Statement : s.Action if s.Sid == "ReadChannelParameters"] == [["ssm:GetParameter"]]
    error_message = "The notifier may ssm:GetParameter exactly the parameters the webhooks name (arn:<partition>:ssm:<region>:<account>:parameter<name>)."
  }

  assert {
    condition = [for s in jsondecode(module.notifier.execution_policy).Statement : { a = s.Action, r = s.Resource, c = s.Condition } if s.Sid == "DecryptChannelParameters"] == [{
      a = ["kms:Decrypt"]
      r = ["arn:aws:kms:eu-west-1:123456789012:key/*"]
      c = { StringEquals = {
        "kms:ViaService"                      = ["ssm.eu-west-1.amazonaws.com"]
        "kms:EncryptionContext:PARAMETER_ARN" = ["arn:aws:ssm:eu-west-1:123456789012:parameter/webhealth/dev/hook.json", "arn:aws:ssm:eu-west-1:123456789012:parameter/webhealth/dev/teams_hook"]
      } }
    }]
    error_message = "The notifier may decrypt a SecureString only through SSM and only for those parameters (the encryption context names the parameter)."
  }

  assert {
    condition = [for s in jsondecode(module.notifier.execution_policy).Statement : { a = s.Action, r = s.Resource } if s.Sid == "ReadChannelSecrets"] == [{
      a = ["secretsmanager:GetSecretValue"]
      r = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:webhealth/dev/pagerduty-??????", "arn:aws:secretsmanager:us-east-1:210987654321:secret:shared/pagerduty-AbC123"]
    }]
    error_message = "The notifier may read exactly the named secrets: a name as <name>-?????? (Secrets Manager's suffix), an ARN as it is."
  }

  assert {
    condition = [for s in jsondecode(module.notifier.execution_policy).Statement : { r = s.Resource, c = s.Condition } if s.Sid == "DecryptChannelSecrets"] == [{
      r = ["arn:aws:kms:eu-west-1:123456789012:key/*", "arn:aws:kms:us-east-1:210987654321:key/*"]
      c = {
        StringEquals = { "kms:ViaService" = ["secretsmanager.eu-west-1.amazonaws.com", "secretsmanager.us-east-1.amazonaws.com"] }
        StringLike   = { "kms:EncryptionContext:SecretARN" = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:webhealth/dev/pagerduty-??????", "arn:aws:secretsmanager:us-east-1:210987654321:secret:shared/pagerduty-AbC123"] }
      }
    }]
    error_message = "The notifier may decrypt a secret only through Secrets Manager in the secret's region and only for those secrets."
  }

  assert {
    condition = jsondecode(module.notifier.environment_variables["NOTIFY_CHANNELS"]) == [
      { name = "hook-json", format = "json", ssm_parameter = "/webhealth/dev/hook.json" },
      { name = "hook-teams", format = "teams", ssm_parameter = "/webhealth/dev/teams_hook" },
      { name = "pager", format = "pagerduty", secret_id = "webhealth/dev/pagerduty" },
      { name = "pager-us", format = "pagerduty", secret_id = "arn:aws:secretsmanager:us-east-1:210987654321:secret:shared/pagerduty-AbC123" },
    ]
    error_message = "NOTIFY_CHANNELS names where each secret is kept, as given."
  }
}

run "webhooks_alone_need_no_chatbot_role" {
  command = plan

  variables {
    notifications = { webhooks = [{ name = "hook", format = "json", ssm_parameter = "/webhealth/dev/hook" }] }
  }

  assert {
    condition     = length(aws_iam_role.chatbot) == 0 && length(aws_iam_role_policy.chatbot) == 0 && length(aws_sns_topic_subscription.email) == 0
    error_message = "The Chatbot role exists only with a Slack or Teams channel."
  }

  assert {
    condition     = length([for s in jsondecode(module.notifier.execution_policy).Statement : s if contains(["ReadChannelSecrets", "DecryptChannelSecrets"], s.Sid)]) == 0
    error_message = "No Secrets Manager permission when no webhook names a secret."
  }

  assert {
    condition = (length(aws_sns_topic.notifications) == 0 && length(aws_sns_topic_policy.notifications) == 0 && output.notifications_topic_arn == null
      && !contains(keys(module.notifier.environment_variables), "NOTIFY_TOPIC_ARN")
    && length([for s in jsondecode(module.notifier.execution_policy).Statement : s if contains(["PublishToPeople", "EncryptForPeople"], s.Sid)]) == 0)
    error_message = "No people topic, NOTIFY_TOPIC_ARN or permission to publish without an e-mail address or Chatbot channel."
  }
}

run "no_channels_no_people_topic" {
  command = plan

  variables {
    notifications = {}
  }

  assert {
    condition     = length(aws_sns_topic.notifications) == 0 && length(aws_sns_topic_subscription.email) == 0 && !contains(keys(module.notifier.environment_variables), "NOTIFY_TOPIC_ARN")
    error_message = "Without any channel there is no people topic; the notifier exists all the same (it reads and drops)."
  }

  assert {
    condition     = module.notifier.function_name == "webhealth-web-dev-eu-west-1-notifier" && length(aws_sns_topic_subscription.notifier) == 2
    error_message = "The notifier is always deployed, subscribed to the alarm and ops topics."
  }
}

run "emails_alone_get_the_people_topic" {
  command = plan

  variables {
    notifications = { emails = ["oncall@example.com"] }
  }

  assert {
    condition     = length(aws_sns_topic.notifications) == 1 && aws_sns_topic_subscription.email["oncall@example.com"].topic_arn == aws_sns_topic.notifications[0].arn && length(aws_iam_role.chatbot) == 0
    error_message = "An e-mail address alone is enough for the people topic (and needs no Chatbot role)."
  }

  assert {
    condition     = module.notifier.environment_variables["NOTIFY_TOPIC_ARN"] == "arn:aws:sns:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-notifications" && module.notifier.environment_variables["NOTIFY_CHANNELS"] == "[]"
    error_message = "The notifier publishes to the people topic even without a webhook."
  }
}

run "chatbot_alone_gets_the_people_topic" {
  command = plan

  variables {
    notifications = { teams_channels = [{ name = "ops-teams", team_id = "74361522-da01-538d-aa2e-ac7918c6bb92", tenant_id = "0F8FAD5B-D9CB-469F-A165-70867728950E", channel_id = "19%3Ab2f1c0d9e8a7%40thread.tacv2" }] }
  }

  assert {
    condition     = length(aws_sns_topic.notifications) == 1 && aws_chatbot_teams_channel_configuration.this["ops-teams"].sns_topic_arns == toset([aws_sns_topic.notifications[0].arn]) && length(aws_sns_topic_subscription.email) == 0
    error_message = "A Chatbot channel alone is enough for the people topic, and subscribes to it."
  }

  assert {
    condition     = [for s in jsondecode(module.notifier.execution_policy).Statement : s.Resource if s.Sid == "PublishToPeople"] == [["arn:aws:sns:eu-west-1:123456789012:webhealth-web-dev-eu-west-1-notifications"]]
    error_message = "The notifier may publish to the people topic."
  }
}

# The stack in an environment of several regions (docs/design.md, "Multi-region"): the mocked region eu-west-1 as
# the home region and as another region, what each function is told and may do.
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

run "home_region_of_three" {
  command = plan

  variables {
    global = {
      urls_table_name   = "webhealth-web-dev-urls"
      checks_table_name = "webhealth-web-dev-checks"
      home_region       = "eu-west-1"
      regions           = ["eu-west-1", "us-east-1", "ap-southeast-1"]
      quorum            = 2
    }
    crawler = { schedule_expression = "rate(2 minutes)" }
  }

  assert {
    condition = { for k, v in module.urlapi.environment_variables : k => v if contains(["URLS_TABLE", "CHECKS_TABLE", "HOME_REGION", "REGIONS", "QUORUM", "STALE_AFTER_SECONDS"], k) } == {
      URLS_TABLE          = "webhealth-web-dev-urls"
      CHECKS_TABLE        = "webhealth-web-dev-checks"
      HOME_REGION         = "eu-west-1"
      REGIONS             = "eu-west-1,us-east-1,ap-southeast-1"
      QUORUM              = "2"
      STALE_AFTER_SECONDS = "360"
    }
    error_message = "The urlapi reads the global tables and the environment's regions; a check older than three crawl intervals is stale."
  }

  assert {
    condition = { for k, v in module.crawler.environment_variables : k => v if contains(["URLS_TABLE", "CHECKS_TABLE", "HOME_REGION", "REGIONS", "QUORUM", "STALE_AFTER_SECONDS"], k) } == {
      URLS_TABLE          = "webhealth-web-dev-urls"
      CHECKS_TABLE        = "webhealth-web-dev-checks"
      HOME_REGION         = "eu-west-1"
      REGIONS             = "eu-west-1,us-east-1,ap-southeast-1"
      QUORUM              = "2"
      STALE_AFTER_SECONDS = "360"
    } && module.crawler_worker[0].environment_variables == module.crawler.environment_variables
    error_message = "The crawler and its workers write their region's checks into the checks table and judge with the environment's quorum."
  }

  assert {
    condition     = !contains(keys(module.notifier.environment_variables), "CHECKS_TABLE") && module.notifier.environment_variables["REGIONS"] == "eu-west-1,us-east-1,ap-southeast-1" && !contains(keys(module.notifier.environment_variables), "NOTIFY_DEGRADED")
    error_message = "The notifier routes by the regions (it reads no checks), and by default does not tell the degraded verdict."
  }

  assert {
    condition = { for p in [module.crawler, module.crawler_worker[0]] : p.function_name => { for s in jsondecode(p.execution_policy).Statement : s.Sid => { a = s.Action, r = s.Resource } if contains(["ReadTargetsRecordChecks", "ReadShardTargetsRecordChecks", "RecordRegionChecks", "ReadOtherRegionChecks"], s.Sid) } } == {
      "webhealth-web-dev-eu-west-1-crawler" = {
        ReadTargetsRecordChecks = { a = ["dynamodb:Scan", "dynamodb:UpdateItem"], r = ["arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-urls"] }
        RecordRegionChecks      = { a = ["dynamodb:PutItem"], r = ["arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-checks"] }
        ReadOtherRegionChecks   = { a = ["dynamodb:BatchGetItem"], r = ["arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-checks"] }
      }
      "webhealth-web-dev-eu-west-1-crawlworker" = {
        ReadShardTargetsRecordChecks = { a = ["dynamodb:BatchGetItem", "dynamodb:UpdateItem"], r = ["arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-urls"] }
        RecordRegionChecks           = { a = ["dynamodb:PutItem"], r = ["arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-checks"] }
        ReadOtherRegionChecks        = { a = ["dynamodb:BatchGetItem"], r = ["arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-checks"] }
      }
    }
    error_message = "In the home region the crawler and its workers write last_check, put their region's checks and batch-read every region's for the verdict."
  }

  assert {
    condition = { for s in jsondecode(module.urlapi.execution_policy).Statement : s.Sid => { a = s.Action, r = s.Resource } if contains(["ManageTargets", "ReadTargets", "ReadRegionChecks"], s.Sid) } == {
      ManageTargets    = { a = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:TransactWriteItems"], r = ["arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-urls"] }
      ReadRegionChecks = { a = ["dynamodb:Query", "dynamodb:BatchGetItem"], r = ["arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-checks"] }
    }
    error_message = "The home region's API writes the target list and reads the regions' checks."
  }
}

run "another_region_only_reads_the_target_list" {
  command = plan

  variables {
    global = {
      urls_table_name   = "webhealth-web-dev-urls"
      checks_table_name = "webhealth-web-dev-checks"
      home_region       = "us-east-1"
      regions           = ["us-east-1", "eu-west-1"]
      quorum            = 2
    }
    crawler       = { max_shards = 1 }
    notifications = { degraded = true }
  }

  assert {
    condition = { for s in jsondecode(module.crawler.execution_policy).Statement : s.Sid => { a = s.Action, r = s.Resource } if contains(["ReadTargetsRecordChecks", "RecordRegionChecks", "ReadOtherRegionChecks"], s.Sid) } == {
      ReadTargetsRecordChecks = { a = ["dynamodb:Scan"], r = ["arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-urls"] }
      RecordRegionChecks      = { a = ["dynamodb:PutItem"], r = ["arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-checks"] }
    }
    error_message = "Outside the home region the crawler only scans the target list (no last_check) and puts its own region's checks; it judges no verdict."
  }

  assert {
    condition = { for s in jsondecode(module.urlapi.execution_policy).Statement : s.Sid => { a = s.Action, r = s.Resource } if contains(["ManageTargets", "ReadTargets", "ReadRegionChecks"], s.Sid) } == {
      ReadTargets      = { a = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"], r = ["arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-urls"] }
      ReadRegionChecks = { a = ["dynamodb:Query", "dynamodb:BatchGetItem"], r = ["arn:aws:dynamodb:eu-west-1:123456789012:table/webhealth-web-dev-checks"] }
    }
    error_message = "Outside the home region the API may not write the target list (it answers 421 wrong_region)."
  }

  assert {
    condition     = module.crawler.environment_variables["HOME_REGION"] == "us-east-1" && module.urlapi.environment_variables["REGIONS"] == "us-east-1,eu-west-1" && module.notifier.environment_variables["NOTIFY_DEGRADED"] == "true"
    error_message = "Every function knows the home region; notifications.degraded reaches the notifier as NOTIFY_DEGRADED."
  }
}

run "one_region_writes_no_checks" {
  command = plan

  assert {
    condition     = !contains(keys(module.crawler.environment_variables), "CHECKS_TABLE") && !contains(keys(module.urlapi.environment_variables), "CHECKS_TABLE") && length([for s in jsondecode(module.crawler.execution_policy).Statement : s if contains(["RecordRegionChecks", "ReadOtherRegionChecks"], s.Sid)]) == 0 && length([for s in jsondecode(module.urlapi.execution_policy).Statement : s if s.Sid == "ReadRegionChecks"]) == 0
    error_message = "A one-region environment neither writes nor reads the checks table (regions holds last_check)."
  }
}

run "a_region_outside_the_list_is_refused" {
  command = plan

  variables {
    global = {
      urls_table_name   = "webhealth-web-dev-urls"
      checks_table_name = "webhealth-web-dev-checks"
      home_region       = "us-east-1"
      regions           = ["us-east-1", "ap-southeast-1"]
      quorum            = 2
    }
  }

  expect_failures = [aws_dynamodb_table_item.region]
}

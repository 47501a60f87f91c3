# The per-environment settings in envs/<env>.tfvars, checked with a mocked AWS provider.
# Run once per file (the Terraform checks do this):
#   terraform test -test-directory=tests/envs -var-file=envs/<env>.tfvars
# Only what the release tag supplies is set here, so the file's values are the ones under test; planning them
# also applies every rule of modules/web-health to them.

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
  region          = "eu-west-1"
  team            = "web"
  release_version = "1.4.0"
  artifacts_dir   = "tests/fixtures"
  global_state    = { bucket = "webhealth-tfstate-dev", key = "web/dev-global/terraform.tfstate", region = "eu-west-1" }
}

run "environment_settings_are_consistent" {
  command = plan

  assert {
    condition     = (output.codedeploy != null) == contains(["beta", "prod"], var.environment)
    error_message = "CodeDeploy canaries run exactly in beta and prod (local cannot, dev releases directly)."
  }

  assert {
    condition     = var.data_protection.deletion_protection == contains(["beta", "prod"], var.environment)
    error_message = "Every environment states its data_protection.deletion_protection: on in beta and prod, off in local and dev (throw-away)."
  }

  assert {
    condition     = var.allow_private_targets == (var.environment == "local")
    error_message = "Private targets are allowed on the local stack only."
  }

  assert {
    condition = try(module.web_health.function_configurations["crawler"].timeout <= (
      can(regex("^rate\\(", var.crawler.schedule_expression))
      ? tonumber(regex("^rate\\(([0-9]+) ", var.crawler.schedule_expression)[0]) * lookup({ minute = 60, minutes = 60, hour = 3600, hours = 3600, day = 86400, days = 86400 }, regex(" ([a-z]+)\\)$", var.crawler.schedule_expression)[0], 60)
      : 900
    ), false)
    error_message = "Every environment states its crawler.schedule_expression, and a crawl must end before the next one starts: the crawler's timeout <= the schedule interval."
  }

  # Until issue 11, dev and beta (rate(5 minutes), no period) judged 60-second periods: 2 of 2 could never breach.
  assert {
    condition = try(output.alarm_period_seconds >= (
      can(regex("^rate\\(", var.crawler.schedule_expression))
      ? tonumber(regex("^rate\\(([0-9]+) ", var.crawler.schedule_expression)[0]) * lookup({ minute = 60, minutes = 60, hour = 3600, hours = 3600, day = 86400, days = 86400 }, regex(" ([a-z]+)\\)$", var.crawler.schedule_expression)[0], 60)
      : var.alarms.period_seconds
    ), false)
    error_message = "In every environment the per-target alarm period is at least the crawl interval, so each period the alarms judge holds a check and an outage alarms."
  }

  assert {
    condition     = output.function_names["crawler"] == "webhealth-web-${var.environment}-eu-west-1-crawler"
    error_message = "The environment's stack plans with the names of docs/design.md."
  }

  # Terraform drops an object attribute it does not know without a word, so a misspelt setting would be lost.
  assert {
    condition = alltrue([
      for m in regexall("([A-Za-z_][A-Za-z0-9_]*)[ \\t]*=[^=]", replace(file("envs/${var.environment}.tfvars"), "/#[^\\n]*/", "")) : contains(concat(
        ["environment", "allow_private_targets", "crawler", "alarms", "api", "logging", "deployment", "data_protection", "notifications"],
        keys(var.crawler), keys(var.alarms), keys(var.api), keys(var.api.throttle), keys(var.api.usage_plan),
        keys(var.logging), keys(var.deployment), keys(var.data_protection), keys(var.notifications),
        ["name", "slack_team_id", "slack_channel_id", "team_id", "channel_id", "tenant_id", "format", "ssm_parameter", "secret_id"],
      ), m[0])
    ])
    error_message = "Every name in envs/<env>.tfvars must be a per-environment variable of this root or an attribute of its group (see README); a misspelt attribute would be dropped silently."
  }
}

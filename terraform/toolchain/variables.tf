variable "region" {
  description = "Region of the toolchain account where the pipelines run (releases deploy to the region named in each tag)."
  type        = string

  validation {
    condition     = can(regex("^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov|us-iso|us-isob|us-isof|eu-isoe|eusc-de)-(north|south|east|west|central|northeast|northwest|southeast|southwest)-[1-9][0-9]?$", var.region))
    error_message = "region must be an AWS region name: a prefix (us, eu, ap, sa, ca, me, af, il, mx, cn, us-gov, us-iso, us-isob, us-isof, eu-isoe, eusc-de), a direction (north, south, east, west, central, northeast, northwest, southeast, southwest) and a number 1-99 without a leading zero, joined by '-', e.g. eu-west-1."
  }
}

variable "assume_role_arn" {
  description = "Role in the toolchain account to assume for this root; null uses the caller's credentials."
  type        = string
  default     = null

  validation {
    condition     = var.assume_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$", coalesce(var.assume_role_arn, "-")))
    error_message = "assume_role_arn must be null or an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name (the module appends the environment)."
  type        = string
  default     = "webhealth"
}

variable "source_type" {
  description = "\"connection\" (GitHub/GitLab/Bitbucket through CodeConnections, tag trigger) or \"codecommit\"."
  type        = string
  default     = "connection"
}

variable "repository" {
  description = "\"owner/name\" for a connection source, the repository name for CodeCommit."
  type        = string
}

variable "connection_arn" {
  description = "An existing CodeConnections connection shared by the three pipelines. Null (with source_type = \"connection\") creates one here, to be completed once in the console."
  type        = string
  default     = null
}

variable "connection_provider" {
  description = "Provider of the connection created when connection_arn is null: GitHub, GitLab or Bitbucket."
  type        = string
  default     = "GitHub"

  validation {
    condition     = contains(["GitHub", "GitLab", "Bitbucket"], var.connection_provider)
    error_message = "connection_provider must be one of GitHub, GitLab, Bitbucket."
  }
}

variable "state_prefix" {
  description = "Prefix of the workload state buckets and lock tables (<prefix>-<env>, <prefix>-lock-<env>)."
  type        = string
  default     = "webhealth-tfstate"
}

variable "state_region" {
  description = "Region of the state buckets <state_prefix>-<env> (where terraform/bootstrap created them); the release builds write it into the workload backend as STATE_REGION. Null: the toolchain's own region (var.region). An environment whose bucket lives elsewhere sets environments.<env>.state_region."
  type        = string
  default     = null

  validation {
    condition     = var.state_region == null || can(regex("^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov|us-iso|us-isob|us-isof|eu-isoe|eusc-de)-(north|south|east|west|central|northeast|northwest|southeast|southwest)-[1-9][0-9]?$", coalesce(var.state_region, "-")))
    error_message = "state_region must be null or an AWS region name: a prefix (us, eu, ap, sa, ca, me, af, il, mx, cn, us-gov, us-iso, us-isob, us-isof, eu-isoe, eusc-de), a direction (north, south, east, west, central, northeast, northwest, southeast, southwest) and a number 1-99 without a leading zero, joined by '-', e.g. eu-west-1."
  }
}

variable "state_locking" {
  description = "How release builds lock the workload state: \"dynamodb\" or \"lockfile\"."
  type        = string
  default     = "dynamodb"
}

variable "release_environments" {
  description = "The environments a release tag may name, passed to every pipeline (modules/pipeline release_environments, make's ENVIRONMENTS). Extend it with your own (the seed's post names dev, qa, staging and prod); var.environments keys name the ones that get a pipeline."
  type        = list(string)
  default     = ["dev", "beta", "prod"]
  nullable    = false

  # As modules/pipeline's (platform/release CheckEnvironments); tests/environments.tftest.hcl is generated.
  validation {
    condition     = length(var.release_environments) > 0 && length(distinct(var.release_environments)) == length(var.release_environments) && alltrue([for e in var.release_environments : can(regex("^[a-z][a-z0-9]{1,11}$", e))])
    error_message = "release_environments must name at least one environment, each once, each an environment name (2-12 lowercase letters and digits, a letter first: it names the state backend <state_prefix>-<env>), e.g. [\"dev\", \"beta\", \"prod\"]."
  }
}

variable "environments" {
  description = <<-EOT
    Per-environment pipeline settings, keyed by environment (one of release_environments, default dev, beta, prod):
      deployment_role_arn - role in that environment's workload account only the apply build assumes (after the approval)
      readonly_role_arn   - read-only role there that the plan, test and drift builds assume (modules/pipeline readonly_role_arn)
      require_approval    - manual approval before apply (null: on for prod only; prod cannot turn it off)
      drift_releases      - the region/team releases the scheduled drift check plans
      notification_emails - subscribers of the failure/approval/drift topic
      lambda_architecture - arm64 (default) or x86_64
      state_region        - region of this environment's state bucket (null: var.state_region, else var.region)
  EOT
  type = map(object({
    deployment_role_arn = string
    readonly_role_arn   = string
    require_approval    = optional(bool)
    drift_releases = optional(list(object({
      region = string
      team   = string
    })), [])
    notification_emails = optional(list(string), [])
    lambda_architecture = optional(string, "arm64")
    state_region        = optional(string)
  }))

  validation {
    condition     = length(var.environments) > 0 && alltrue([for env in keys(var.environments) : contains(var.release_environments, env) && env != "local" && can(regex("^[a-z][a-z0-9]{1,11}$", env))])
    error_message = "environments must have at least one key, each one of release_environments (default dev, beta, prod), not local (local has no pipeline), 2-12 lowercase letters and digits starting with a letter, e.g. { prod = { deployment_role_arn = \"arn:aws:iam::444444444444:role/webhealth-deployer\", readonly_role_arn = \"arn:aws:iam::444444444444:role/webhealth-reader\" } }."
  }

  validation {
    condition     = alltrue([for env, e in var.environments : e.state_region == null || can(regex("^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov|us-iso|us-isob|us-isof|eu-isoe|eusc-de)-(north|south|east|west|central|northeast|northwest|southeast|southwest)-[1-9][0-9]?$", coalesce(e.state_region, "-")))])
    error_message = "environments.<env>.state_region must be null or an AWS region name: a prefix (us, eu, ap, sa, ca, me, af, il, mx, cn, us-gov, us-iso, us-isob, us-isof, eu-isoe, eusc-de), a direction (north, south, east, west, central, northeast, northwest, southeast, southwest) and a number 1-99 without a leading zero, joined by '-', e.g. eu-west-1."
  }

  validation {
    condition     = try(var.environments["prod"].require_approval, null) != false
    error_message = "environments.prod.require_approval cannot be false: every prod apply needs a manual approval."
  }
}

variable "release_branch" {
  description = "The branch a release's tagged commit must be on (reviewed code); every pipeline's source_branch, passed to the builds as RELEASE_BRANCH."
  type        = string
  default     = "main"
}

variable "release_promotion" {
  description = "Which environment must have released a version before another may, { <env> = <prior env> } (default { prod = \"beta\" }: prod only gets what beta ran); passed to every pipeline (modules/pipeline release_promotion, which validates it). {} turns the check off, explicitly. The prior environment needs its pipeline here: its release records are what the check reads."
  type        = map(string)
  default     = { prod = "beta" }
  nullable    = false

  validation {
    condition     = alltrue([for env, prior in var.release_promotion : !contains(keys(var.environments), env) || contains(keys(var.environments), prior)])
    error_message = "release_promotion must name, for every environment with a pipeline here, a prior environment that has a pipeline here too (its recorded releases are what the check reads), e.g. environments with beta and prod for { prod = \"beta\" }; or be {} (no promotion check)."
  }
}

variable "drift_schedule_expression" {
  description = "When the drift checks run (EventBridge Scheduler rate() or cron())."
  type        = string
  default     = "cron(0 6 * * ? *)"
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

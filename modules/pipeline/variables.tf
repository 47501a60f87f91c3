variable "name_prefix" {
  description = "Prefix of every resource name; the environment is appended (`<name_prefix>-<environment>-...`)."
  type        = string
  default     = "webhealth"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,14}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-16 characters: lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "release_environments" {
  description = "The environments a release tag may name (<env>_<region>/... and <env>_global/...): the one list the pipelines and the tag parser share, passed to make as ENVIRONMENTS. Extend it with your own (the seed's post names dev, qa, staging and prod). Every environment needs its state backend (terraform/bootstrap) and terraform/workload/envs/<env>.tfvars."
  type        = list(string)
  default     = ["dev", "beta", "prod"]
  nullable    = false

  # The release flow's rule (platform/release CheckEnvironments); tests/environments.tftest.hcl, generated from
  # its environment table, holds this validation and the default to it.
  validation {
    condition     = length(var.release_environments) > 0 && length(distinct(var.release_environments)) == length(var.release_environments) && alltrue([for e in var.release_environments : can(regex("^[a-z][a-z0-9]{1,11}$", e))])
    error_message = "release_environments must name at least one environment, each once, each an environment name (2-12 lowercase letters and digits, a letter first: it names the state backend <state_prefix>-<env>), e.g. [\"dev\", \"beta\", \"prod\"]."
  }
}

variable "environment" {
  description = "The environment this toolchain releases: one of release_environments (local has no pipeline); 2-12 lowercase letters and digits, a letter first, as terraform/bootstrap names its state backend."
  type        = string

  validation {
    condition     = contains(var.release_environments, var.environment) && var.environment != "local" && can(regex("^[a-z][a-z0-9]{1,11}$", var.environment))
    error_message = "environment must be one of release_environments (default dev, beta, prod), not local (local has no pipeline), and 2-12 lowercase letters and digits starting with a letter (terraform/bootstrap's environment names), e.g. prod."
  }
}

variable "source_type" {
  description = "Where the code comes from: \"connection\" (GitHub, GitLab or Bitbucket through CodeConnections; the pipeline is started by a V2 git tag trigger) or \"codecommit\" (an EventBridge rule on tag creation starts the pipeline at the tagged commit)."
  type        = string
  default     = "connection"

  validation {
    condition     = contains(["connection", "codecommit"], var.source_type)
    error_message = "source_type must be \"connection\" or \"codecommit\"."
  }
}

variable "repository" {
  description = "The repository: \"owner/name\" (the full repository id) for a connection, the repository name for CodeCommit."
  type        = string

  validation {
    condition = (
      var.source_type == "connection"
      ? can(regex("^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$", var.repository))
      : can(regex("^[A-Za-z0-9_.-]{1,100}$", var.repository))
    )
    error_message = "repository must be \"owner/name\" (letters, digits, '.', '_', '-'; GitLab subgroups allowed) for a connection source, or a CodeCommit repository name (1-100 of letters, digits, '.', '_', '-')."
  }
}

variable "source_branch" {
  description = "The release branch: the source action is declared with it (CodePipeline requires one), and a release's tagged commit must be on it (reviewed code): every build gets it as RELEASE_BRANCH, and platform release refuses a tag whose commit is not in origin/<branch> before anything runs. Releases run at the commit of the pushed tag, not at this branch's head."
  type        = string
  default     = "main"

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$", var.source_branch)) && !strcontains(var.source_branch, "..")
    error_message = "source_branch must be a git branch name: letters, digits, '.', '_', '/', '-', starting with a letter or digit, no '..'."
  }
}

variable "connection_provider" {
  description = "Provider of the connection the module creates when connection_arn is null: GitHub, GitLab or Bitbucket."
  type        = string
  default     = "GitHub"

  validation {
    condition     = contains(["GitHub", "GitLab", "Bitbucket"], var.connection_provider)
    error_message = "connection_provider must be one of GitHub, GitLab, Bitbucket."
  }
}

variable "connection_arn" {
  description = "ARN of an existing CodeConnections (or CodeStar Connections) connection. Null with source_type = \"connection\" creates one, which stays PENDING until someone completes the handshake in the console."
  type        = string
  default     = null

  validation {
    condition     = var.connection_arn == null || can(regex("^arn:aws[a-z-]*:(codeconnections|codestar-connections):(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov|us-iso|us-isob|us-isof|eu-isoe|eusc-de)-(north|south|east|west|central|northeast|northwest|southeast|southwest)-[1-9][0-9]?:[0-9]{12}:connection/[0-9a-f-]{36}$", var.connection_arn))
    error_message = "connection_arn must be null or a connection ARN: arn:aws:codeconnections:<region>:<12-digit account>:connection/<uuid> (the older codestar-connections service name is accepted too)."
  }
}

variable "tag_pattern" {
  description = "Git tag glob that starts a release. Null means \"<environment>_*\", the release tag form <env>_<region>/<team>/<version>."
  type        = string
  default     = null

  validation {
    condition = var.tag_pattern == null || (
      startswith(coalesce(var.tag_pattern, "-"), "${var.environment}_")
      && can(regex("^[A-Za-z0-9_./*-]+$", coalesce(var.tag_pattern, "-")))
    )
    error_message = "tag_pattern must start with \"<environment>_\" (so one environment's pipeline never releases another's tags) and contain only letters, digits, '_', '.', '/', '-', '*'."
  }
}

variable "deployment_role_arn" {
  description = "Role in the workload account that only the apply build assumes, after the approval (Terraform backend and provider, CodeDeploy): it changes the workload and its state. Its trust policy must allow exactly the role in the deployer_role_arns output."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$", var.deployment_role_arn))
    error_message = "deployment_role_arn must be an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>."
  }
}

variable "readonly_role_arn" {
  description = "Read-only role in the workload account that the plan, test and drift builds assume: they run the tagged commit's code before any approval (plan) or only read (test, drift), so they must not be able to change the workload. It needs what a plan reads (e.g. the ReadOnlyAccess policy), the state bucket's objects (s3:GetObject, s3:ListBucket), the lock table (dynamodb:GetItem, PutItem, DeleteItem) or, with state_locking = \"lockfile\", s3:PutObject/s3:DeleteObject on the *.tflock keys only, and kms:Decrypt of the state key; no write of the workload's resources or state. Its trust policy must allow exactly the roles in the reader_role_arns output."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$", var.readonly_role_arn))
    error_message = "readonly_role_arn must be an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>."
  }

  validation {
    condition     = var.readonly_role_arn != var.deployment_role_arn
    error_message = "readonly_role_arn must not be deployment_role_arn: the plan, test and drift builds run the tagged commit's code before the approval, so they must not hold the role that changes the workload."
  }
}

variable "release_promotion" {
  description = "Which environment must have released a version before another may: { <env> = <prior env> }, e.g. { prod = \"beta\" } (the default: prod only gets what beta ran). A release of <env> stops before anything runs unless the prior environment's pipeline recorded a release of the same team and version (a regional tag: in any of its regions; a global tag: its global release). Every build gets it as RELEASE_PROMOTION (platform/release ParsePromotion is the rule); {} turns the check off, explicitly."
  type        = map(string)
  default     = { prod = "beta" }
  nullable    = false

  validation {
    condition     = alltrue([for env, prior in var.release_promotion : contains(var.release_environments, env) && contains(var.release_environments, prior) && env != prior && env != "local" && prior != "local"])
    error_message = "release_promotion must map environments of release_environments to another environment of release_environments, not local and not itself, e.g. { prod = \"beta\" }, or be {} (no promotion check)."
  }
}

variable "prior_release_uri" {
  description = "The release records of this environment's prior environment (release_promotion[environment]): that pipeline's release_snapshot_uri output, s3://<its artifact bucket>/releases/<prior env>. Required exactly when release_promotion names a prior environment for this one; the plan and apply builds get it as PRIOR_RELEASE_URI and may only list and read its versions/ records."
  type        = string
  default     = null

  validation {
    condition     = (var.prior_release_uri == null) == !contains(keys(var.release_promotion), var.environment)
    error_message = "prior_release_uri must be set exactly when release_promotion names a prior environment for this environment (e.g. prod = \"beta\": beta's release_snapshot_uri, s3://<beta's artifact bucket>/releases/beta), and null otherwise."
  }

  validation {
    condition     = var.prior_release_uri == null || can(regex("^s3://[a-z0-9][a-z0-9-]{1,61}[a-z0-9]/releases/[a-z][a-z0-9]{1,11}$", coalesce(var.prior_release_uri, "-")))
    error_message = "prior_release_uri must be s3://<bucket>/releases/<prior environment> (a pipeline's release_snapshot_uri output), e.g. s3://webhealth-beta-artifacts-111122223333-eu-west-1/releases/beta."
  }

  validation {
    condition     = var.prior_release_uri == null || endswith(coalesce(var.prior_release_uri, "-"), "/releases/${lookup(var.release_promotion, var.environment, "-")}")
    error_message = "prior_release_uri must be the records of the prior environment release_promotion names for this environment: s3://<bucket>/releases/<release_promotion[environment]>."
  }
}

variable "state_prefix" {
  description = "Prefix of the Terraform state bucket (<prefix>-<env>) and lock table (<prefix>-lock-<env>); passed to make as STATE_PREFIX."
  type        = string
  default     = "webhealth-tfstate"

  # The release flow's rule (platform/release checkPrefix); tests/state_prefix.tftest.hcl, generated from its
  # prefix table, holds this validation to it. 42 characters leave S3's 63 room for "-<environment>".
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,40}[a-z0-9]$", var.state_prefix)) && !strcontains(var.state_prefix, "--")
    error_message = "state_prefix must be 3-42 characters of lowercase letters, digits and single '-', starting and ending with a letter or digit (it becomes part of S3 bucket names), e.g. webhealth-tfstate."
  }

  validation {
    condition     = !anytrue([for reserved in ["xn--", "sthree-", "amzn-s3-demo-"] : startswith("${var.state_prefix}-", reserved)])
    error_message = "state_prefix must not make bucket names <state_prefix>-<environment> start with xn--, sthree- or amzn-s3-demo- (S3 reserves them), e.g. webhealth-tfstate."
  }
}

variable "state_region" {
  description = "Region of this environment's state bucket <state_prefix>-<environment> (where terraform/bootstrap created it); passed to make as STATE_REGION. Required: one bucket serves the releases of every region, so the bucket's region cannot be taken from a tag, and the module cannot know where the bucket was bootstrapped."
  type        = string

  validation {
    condition     = can(regex("^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov|us-iso|us-isob|us-isof|eu-isoe|eusc-de)-(north|south|east|west|central|northeast|northwest|southeast|southwest)-[1-9][0-9]?$", var.state_region))
    error_message = "state_region (the region of the state bucket <state_prefix>-<environment>) must be an AWS region name: a prefix (us, eu, ap, sa, ca, me, af, il, mx, cn, us-gov, us-iso, us-isob, us-isof, eu-isoe, eusc-de), a direction (north, south, east, west, central, northeast, northwest, southeast, southwest) and a number 1-99 without a leading zero, joined by '-', e.g. eu-west-1."
  }
}

variable "state_locking" {
  description = "How the release builds lock the workload state: \"dynamodb\" (the <prefix>-lock-<env> table) or \"lockfile\" (S3 native locking, use_lockfile)."
  type        = string
  default     = "dynamodb"

  validation {
    condition     = contains(["dynamodb", "lockfile"], var.state_locking)
    error_message = "state_locking must be \"dynamodb\" or \"lockfile\"."
  }
}

variable "require_approval" {
  description = "Put a manual approval between plan and apply. Null means on for prod and off elsewhere; prod cannot turn it off."
  type        = bool
  default     = null

  validation {
    condition     = !(var.environment == "prod" && var.require_approval == false)
    error_message = "require_approval cannot be false for prod: every prod apply needs a manual approval."
  }
}

variable "lambda_architecture" {
  description = "Architecture of the Lambda zips the pipeline builds and deploys: arm64 or x86_64."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be arm64 or x86_64."
  }
}

variable "build_environment" {
  description = "CodeBuild environment of every project. The default is Graviton (ARM_CONTAINER): the same architecture as the Lambdas and cheaper per minute; Go cross-compiles, so LINUX_CONTAINER works as well."
  type = object({
    type         = optional(string, "ARM_CONTAINER")
    image        = optional(string, "aws/codebuild/amazonlinux-aarch64-standard:3.0")
    compute_type = optional(string, "BUILD_GENERAL1_SMALL")
  })
  default = {}

  validation {
    condition     = contains(["ARM_CONTAINER", "LINUX_CONTAINER"], var.build_environment.type)
    error_message = "build_environment.type must be ARM_CONTAINER or LINUX_CONTAINER."
  }

  validation {
    condition     = can(regex("^BUILD_GENERAL1_(SMALL|MEDIUM|LARGE|XLARGE|2XLARGE)$", var.build_environment.compute_type))
    error_message = "build_environment.compute_type must be BUILD_GENERAL1_SMALL, _MEDIUM, _LARGE, _XLARGE or _2XLARGE."
  }
}

variable "drift_releases" {
  description = "The releases (region and team) of this environment the scheduled drift check plans. Empty: no drift check. The check uses the snapshot the last successful apply of each stored, so add an entry once it has been released."
  type = list(object({
    region = string
    team   = string
  }))
  default = []

  validation {
    condition     = alltrue([for r in var.drift_releases : can(regex("^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov|us-iso|us-isob|us-isof|eu-isoe|eusc-de)-(north|south|east|west|central|northeast|northwest|southeast|southwest)-[1-9][0-9]?$", r.region))])
    error_message = "drift_releases[*].region must be an AWS region name: a prefix (us, eu, ap, sa, ca, me, af, il, mx, cn, us-gov, us-iso, us-isob, us-isof, eu-isoe, eusc-de), a direction (north, south, east, west, central, northeast, northwest, southeast, southwest) and a number 1-99 without a leading zero, joined by '-', e.g. eu-west-1."
  }

  validation {
    condition     = alltrue([for r in var.drift_releases : can(regex("^[a-z][a-z0-9-]{0,10}[a-z0-9]$", r.team)) && !strcontains(r.team, "--")])
    error_message = "drift_releases[*].team must be 2-12 characters of lowercase letters, digits and single '-' (no \"--\"), starting with a letter and ending with a letter or digit (the workload's resource names must fit IAM's 64), e.g. web or web-platform."
  }

  validation {
    condition     = length(distinct([for r in var.drift_releases : "${r.region}/${r.team}"])) == length(var.drift_releases)
    error_message = "drift_releases must not list the same region/team twice."
  }
}

variable "drift_schedule_expression" {
  description = "When the drift check runs: an EventBridge Scheduler rate() or cron() expression."
  type        = string
  default     = "cron(0 6 * * ? *)"

  validation {
    condition     = can(regex("^rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\)$", var.drift_schedule_expression)) || can(regex("^cron\\(\\S+ \\S+ \\S+ \\S+ \\S+ \\S+\\)$", var.drift_schedule_expression))
    error_message = "drift_schedule_expression must be rate(<n> minutes|hours|days) or cron(<min> <hour> <day-of-month> <month> <day-of-week> <year>)."
  }
}

variable "drift_schedule_timezone" {
  description = "IANA time zone the drift cron expression is evaluated in."
  type        = string
  default     = "UTC"

  validation {
    condition     = can(regex("^(UTC|[A-Z][A-Za-z_]+(/[A-Za-z0-9_+-]+){1,2})$", var.drift_schedule_timezone))
    error_message = "drift_schedule_timezone must be UTC or an IANA zone name such as Europe/Paris."
  }
}

variable "notification_emails" {
  description = "E-mail addresses subscribed to the notification topic (pipeline failures, approvals, drift). Each must confirm its subscription."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.notification_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "notification_emails must be e-mail addresses (name@domain.tld)."
  }
}

variable "log_retention_days" {
  description = "Retention of the CodeBuild log groups, in days (a CloudWatch Logs retention value)."
  type        = number
  default     = 90

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "noncurrent_artifact_days" {
  description = "Days before a replaced (noncurrent) object in the artifact bucket is deleted."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_artifact_days >= 1 && var.noncurrent_artifact_days <= 3650 && floor(var.noncurrent_artifact_days) == var.noncurrent_artifact_days
    error_message = "noncurrent_artifact_days must be a whole number of days between 1 and 3650."
  }
}

variable "access_log_bucket" {
  description = "Bucket receiving the artifact bucket's S3 server access logs (prefix <artifact bucket>/); null: no access logs."
  type        = string
  default     = null

  validation {
    condition     = var.access_log_bucket == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", coalesce(var.access_log_bucket, "-")))
    error_message = "access_log_bucket must be null or an S3 bucket name (3-63 lower-case letters, digits, '.', '-')."
  }
}

variable "force_destroy" {
  description = "Let terraform destroy empty the artifact bucket (its objects include saved plans and release snapshots). Keep false outside experiments."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
}

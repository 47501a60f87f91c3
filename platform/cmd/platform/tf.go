package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/webhealth/webhealth/platform/proc"
	"github.com/webhealth/webhealth/platform/tfcheck"
)

// tfCommands are the Terraform checks, in the order `platform tf help` lists them.
var tfCommands = []struct {
	name, summary string
	run           func(*tfcheck.Checker, context.Context) error
}{
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

// tfCmd runs `platform tf <check> [flags]` in the repository root (the working directory).
func tfCmd(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		tfUsage(env.Stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, tc := range tfCommands {
		if tc.name != args[0] {
			continue
		}
		c, code := tfChecker(args, env)
		if c == nil {
			return code
		}
		if err := tc.run(c, ctx); err != nil {
			fmt.Fprintf(env.Stderr, "platform tf %s: %v\n", tc.name, err)
			return exitFail
		}
		return exitOK
	}
	fmt.Fprintf(env.Stderr, "platform tf: unknown check %q\n", args[0])
	tfUsage(env.Stderr)
	return exitUsage
}

// tfChecker reads the flags of `platform tf <check>`, falling back to TF, TF_PROVIDER_MIRROR and
// TF_LOCK_PLATFORMS; nil and an exit status when they are unusable.
func tfChecker(args []string, env Env) (*tfcheck.Checker, int) {
	fs := flag.NewFlagSet("platform tf "+args[0], flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	tf := fs.String("tf", orDefault(env.Getenv("TF"), tfcheck.DefaultTF), "terraform program (TF)")
	mirror := fs.String("mirror", orDefault(env.Getenv("TF_PROVIDER_MIRROR"), tfcheck.DefaultMirror), "provider filesystem mirror (TF_PROVIDER_MIRROR)")
	platforms := fs.String("platforms", env.Getenv("TF_LOCK_PLATFORMS"), "lock: os_arch platforms, space or comma separated (TF_LOCK_PLATFORMS; default linux_amd64 linux_arm64 darwin_arm64)")
	if err := fs.Parse(args[1:]); err != nil {
		if err == flag.ErrHelp {
			return nil, exitOK
		}
		return nil, exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "platform tf %s: unexpected arguments %q\n", args[0], fs.Args())
		return nil, exitUsage
	}
	locks, err := tfcheck.ParsePlatforms(*platforms)
	if err != nil {
		fmt.Fprintf(env.Stderr, "platform tf %s: %v\n", args[0], err)
		return nil, exitUsage
	}
	root, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(env.Stderr, "platform tf %s: %v\n", args[0], err)
		return nil, exitFail
	}
	return &tfcheck.Checker{Root: root, TF: *tf, Mirror: *mirror, LockPlatforms: locks, Run: proc.Run,
		Out: env.Stdout, Err: env.Stderr}, exitOK
}

func tfUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: platform tf <check> [-tf terraform] [-mirror dir] [-platforms list]  (run in the repository root)")
	for _, tc := range tfCommands {
		fmt.Fprintf(w, "  %-10s %s\n", tc.name, tc.summary)
	}
}

// orDefault is v, or def when v is empty.
func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

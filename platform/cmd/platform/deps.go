package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"time"

	"github.com/webhealth/webhealth/platform/deps"
	"github.com/webhealth/webhealth/platform/proc"
)

// depsCmd runs `platform deps`: what a fresh machine lacks, installed where it is missing.
func depsCmd(ctx context.Context, args []string, env Env) int {
	fs := flag.NewFlagSet("platform deps", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: platform deps  (run in the repository root)")
		fmt.Fprintln(env.Stderr, "  installs what is missing: Debian packages (git, python3, curl, jq), Terraform TERRAFORM_VERSION")
		fmt.Fprintln(env.Stderr, "  (1.11.4, SHA256SUMS checked, into .tools/bin), moto[server]==MOTO_VERSION (5.2.1), the Go modules")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "platform deps: unexpected arguments %q\n", fs.Args())
		return exitUsage
	}
	tfVersion := orDefault(env.Getenv("TERRAFORM_VERSION"), deps.DefaultTerraformVersion)
	motoVersion := orDefault(env.Getenv("MOTO_VERSION"), deps.DefaultMotoVersion)
	if err := errors.Join(deps.CheckVersion("TERRAFORM_VERSION", tfVersion), deps.CheckVersion("MOTO_VERSION", motoVersion)); err != nil {
		fmt.Fprintf(env.Stderr, "platform deps: %v\n", err)
		return exitUsage
	}
	root, err := productRoot()
	if err != nil {
		fmt.Fprintf(env.Stderr, "platform deps: %v\n", err)
		return exitUsage
	}
	in := &deps.Installer{
		Root: root, TF: env.Getenv("TF"), TerraformVersion: tfVersion, TerraformBase: deps.DefaultTerraformBase,
		MotoVersion: motoVersion, GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, AsRoot: os.Geteuid() == 0,
		Look: exec.LookPath, Run: proc.Run, HTTP: &http.Client{Timeout: 5 * time.Minute},
		Stdout: env.Stdout, Stderr: env.Stderr,
	}
	if err := in.Install(ctx); err != nil {
		fmt.Fprintf(env.Stderr, "platform deps: %v\n", err)
		return exitFail
	}
	return exitOK
}

package main

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"time"

	"github.com/webhealth/webhealth/platform/deps"
	"github.com/webhealth/webhealth/platform/proc"
)

const depsUsage = `usage: platform deps
  installs what is missing: Debian packages (git, python3, curl, jq), Terraform TERRAFORM_VERSION
  (1.11.4, SHA256SUMS checked, into .tools/bin), moto[server]==MOTO_VERSION (5.2.1), the Go modules

`

// depsCmd runs `platform deps`: what a fresh machine lacks, installed where it is missing.
func depsCmd(ctx context.Context, args []string, env Env) int {
	fs, s := newSettings("deps", depsUsage, env)
	s.add("terraform-version", "TERRAFORM_VERSION", "Terraform to install where none is (default "+deps.DefaultTerraformVersion+")")
	s.add("moto-version", "MOTO_VERSION", "moto[server] to install where moto_server is missing (default "+deps.DefaultMotoVersion+")")
	s.add("tf", "TF", "the terraform program that must be there (default terraform)")
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	get := s.getenv()
	tfVersion := orDefault(get("TERRAFORM_VERSION"), deps.DefaultTerraformVersion)
	motoVersion := orDefault(get("MOTO_VERSION"), deps.DefaultMotoVersion)
	if err := errors.Join(deps.CheckVersion("TERRAFORM_VERSION", tfVersion), deps.CheckVersion("MOTO_VERSION", motoVersion)); err != nil {
		return fail(env, "deps", err, exitUsage)
	}
	root, err := repoRoot()
	if err != nil {
		return fail(env, "deps", err, exitUsage)
	}
	in := &deps.Installer{
		Root: root, TF: get("TF"), TerraformVersion: tfVersion, TerraformBase: deps.DefaultTerraformBase,
		MotoVersion: motoVersion, GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, AsRoot: os.Geteuid() == 0,
		Look: exec.LookPath, Runner: proc.Exec{}, Env: os.Environ(), HTTP: &http.Client{Timeout: 5 * time.Minute},
		Stdout: env.Stdout, Stderr: env.Stderr,
	}
	if err := in.Install(ctx); err != nil {
		return fail(env, "deps", err, exitFail)
	}
	return exitOK
}

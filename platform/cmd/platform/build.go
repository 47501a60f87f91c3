package main

import (
	"context"
	"fmt"
	"os"

	"github.com/webhealth/webhealth/platform/build"
	"github.com/webhealth/webhealth/platform/proc"
	"github.com/webhealth/webhealth/platform/release"
)

const buildUsage = `usage: platform build [-arch arm64|amd64] [-version V]

Builds build/<arch>/<function>.zip for crawler, alarmlogger, urlapi and notifier: bootstrap at the root, built
with -trimpath -tags lambda.norpc -ldflags "-s -w -buildid= -X main.version=<version>", zipped
deterministically (fixed time and mode, no extra fields); a zip is replaced only when its bytes change.

`

// buildCmd is `platform build`.
func buildCmd(ctx context.Context, args []string, env Env) int {
	fs, settings := newSettings("build", buildUsage, env)
	settings.add("arch", "ARCH", "architecture of the zips: arm64 or amd64 (default arm64; this machine's with LOCALRUN_URL set)")
	settings.add("version", "VERSION", "version stamped into the binaries: a release version or dev (default dev)")
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	get := settings.getenv()
	arch := orDefault(get("ARCH"), release.DefaultArch(get("LOCALRUN_URL")))
	version := orDefault(get("VERSION"), build.DevVersion)
	if err := release.CheckArch(arch); err != nil {
		return fail(env, "build", fmt.Errorf("ARCH: %w", err), exitUsage)
	}
	if err := build.CheckVersion(version); err != nil {
		return fail(env, "build", fmt.Errorf("VERSION: %w", err), exitUsage)
	}
	root, err := repoRoot()
	if err != nil {
		return fail(env, "build", err, exitUsage)
	}
	if err := builder(root, env)(ctx, arch, version); err != nil {
		return fail(env, "build", err, exitFail)
	}
	return exitOK
}

// builder builds the zips of the repository at root (the release flow and the stack use it too).
func builder(root string, env Env) func(ctx context.Context, arch, version string) error {
	return func(ctx context.Context, arch, version string) error {
		return build.Build(ctx, build.Options{
			Root: root, Arch: arch, Version: version, Go: goCommand(env),
			Runner: proc.Exec{}, Env: os.Environ(), Stdout: env.Stdout, Stderr: env.Stderr,
		})
	}
}

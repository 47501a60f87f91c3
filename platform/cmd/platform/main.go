// Command platform is the one command line of webhealth's platform: the local stack, the release
// flow, the Terraform checks, the benchmarks and the emulator for the integration tests. The
// Makefile's targets call it; settings come from flags, else from the environment variables the
// Makefile exports (never through a shell). `platform help` lists the groups.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// group is one subcommand group: `platform <name> <command> [flags]`.
type group struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, env Env) int
}

func groups() []group {
	return []group{
		{"stack", "the local stack: up, down, status, crawl, logs", stackCmd},
		{"localrun", "the local runtime (started by stack up): runs the functions, API stages, schedules, alarms", localrunCmd},
		{"moto", "run a command against a fresh emulator: moto run -- <command>", motoCmd},
		{"build", "the Lambda zips of the functions for an architecture", buildCmd},
		{"release", "release a tag: env, plan, apply, deploy, smoke, drift, record", releaseCmd},
		{"tf", "Terraform checks: cli-config, fmt, validate, test, lint, sec, docs, lock", tfCmd},
		{"bench", "benchmarks: run (all of make bench), report (docs/benchmarks.md)", benchCmd},
		{"cost", "docs/cost.md: monthly AWS cost per target from docs/benchmarks.md's measured calls", costCmd},
		{"deps", "install what a fresh machine lacks (Debian packages, Terraform, moto)", depsCmd},
	}
}

// Env is the process environment and standard streams, passed explicitly so commands are testable.
type Env struct {
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], Env{Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

func run(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.Stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, g := range groups() {
		if g.name == args[0] {
			return g.run(ctx, args[1:], env)
		}
	}
	fmt.Fprintf(env.Stderr, "platform: unknown command %q\n", args[0])
	usage(env.Stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: platform <command> [subcommand] [flags]")
	for _, g := range groups() {
		fmt.Fprintf(w, "  %-9s %s\n", g.name, g.summary)
	}
}

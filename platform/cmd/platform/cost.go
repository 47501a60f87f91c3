package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/webhealth/webhealth/platform/benchreport"
	"github.com/webhealth/webhealth/platform/cost"
)

// costCmd writes docs/cost.md (make cost): the monthly AWS cost per target, from the AWS calls per
// crawl measured in docs/benchmarks.md and the dated prices of platform/cost.
func costCmd(_ context.Context, args []string, env Env) int {
	fs := flag.NewFlagSet("platform cost", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	in := fs.String("bench", "docs/benchmarks.md", "the benchmarks document the measured calls are read from (make bench)")
	out := fs.String("out", "docs/cost.md", "the document to write")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "platform cost: unexpected arguments %q\n", fs.Args())
		return exitUsage
	}
	root, err := repoRoot()
	if err != nil {
		return fail(env, "cost", err, exitUsage)
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(root, p)
	}
	doc, err := os.ReadFile(abs(*in)) // #nosec G304 -- the benchmarks document the operator names
	if err != nil {
		return fail(env, "cost", err, exitFail)
	}
	inputs, err := cost.Measured(doc, "github.com/webhealth/webhealth/", cost.Facts)
	if err != nil {
		return fail(env, "cost", fmt.Errorf("%s: %w", *in, err), exitFail)
	}
	var b strings.Builder
	if err := cost.Render(&b, cost.USEast1, inputs, filepath.ToSlash(*in)); err != nil {
		return fail(env, "cost", err, exitFail)
	}
	if err := benchreport.WriteFile(abs(*out), []byte(b.String()), 0o644); err != nil {
		return fail(env, "cost", err, exitFail)
	}
	fmt.Fprintf(env.Stdout, "platform cost: wrote %s from %s (prices of %s, %s)\n", *out, *in, cost.USEast1.Region, cost.USEast1.Date)
	return exitOK
}

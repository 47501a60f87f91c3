package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/webhealth/webhealth/platform/bench"
	"github.com/webhealth/webhealth/platform/proc"
)

var benchCommands = []string{"run", "peers", "report", "fuzz"}

const benchUsage = `usage: platform bench <command> [flags]
  run     every benchmark into reports/bench/*.txt, then the document (BENCH_OUT, default docs/benchmarks.md);
          BENCH_STACK=0 leaves out the API through the local stack; BENCH_COLDSTARTS, BENCH_E2E_N
  peers   only webhealth's prober beside the peers' (tools/peers) into reports/bench/peers.txt, then the
          document (BENCH_OUT) with their rows; the other results are carried over from it
  report  -in <go test -bench output>... -out docs/benchmarks.md: the document from benchmark output
  fuzz    each fuzz target of the product and the platform for -fuzztime (FUZZTIME, default 10s)

`

// benchCmd runs `platform bench run|peers|report|fuzz`.
func benchCmd(ctx context.Context, args []string, env Env) int {
	cmd, rest, code := subcommand("bench", benchUsage, benchCommands, args, env)
	switch cmd {
	case "run":
		return benchRun(ctx, rest, env)
	case "peers":
		return benchPeers(ctx, rest, env)
	case "report":
		return benchReport(rest, os.Stdin, env.Stderr, time.Now)
	case "fuzz":
		return benchFuzz(ctx, rest, env)
	}
	return code
}

func benchRun(ctx context.Context, args []string, env Env) int {
	fs, s := newSettings("bench run", benchUsage, env)
	s.add("out", "BENCH_OUT", "the document to write (default docs/benchmarks.md)")
	command := fs.String("command", "make bench", "how to reproduce, shown in the document")
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	stack, coldStarts, e2eN, doc, err := bench.Settings(s.getenv())
	if err != nil {
		return fail(env, "bench run", err, exitUsage)
	}
	health, err := stackHealthURL(env.Getenv("LOCALRUN_PORT"))
	if stack && err != nil {
		return fail(env, "bench run", err, exitUsage)
	}
	root, err := repoRoot()
	if err != nil {
		return fail(env, "bench run", err, exitUsage)
	}
	self, err := os.Executable()
	if err != nil {
		return fail(env, "bench run", err, exitFail)
	}
	err = bench.Run(ctx, bench.Options{
		Root: root, HostArch: runtime.GOARCH, ColdStarts: coldStarts, E2EN: e2eN, Stack: stack, Doc: doc,
		Command: *command, Go: goCommand(env), Platform: self, Runner: proc.Exec{}, Env: os.Environ(),
		StackUp: func(ctx context.Context) bool { return answers(ctx, health) }, Now: time.Now,
		Stdout: env.Stdout, Stderr: env.Stderr,
	})
	if err != nil {
		return fail(env, "bench run", err, exitFail)
	}
	return exitOK
}

func benchPeers(ctx context.Context, args []string, env Env) int {
	fs, s := newSettings("bench peers", benchUsage, env)
	s.add("out", "BENCH_OUT", "the document to write (default docs/benchmarks.md)")
	command := fs.String("command", "make bench-peers", "how to reproduce, shown in the document")
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	_, _, _, doc, err := bench.Settings(s.getenv())
	if err != nil {
		return fail(env, "bench peers", err, exitUsage)
	}
	root, err := repoRoot()
	if err != nil {
		return fail(env, "bench peers", err, exitUsage)
	}
	err = bench.Peers(ctx, bench.Options{
		Root: root, Doc: doc, Command: *command, Go: goCommand(env), Runner: proc.Exec{}, Env: os.Environ(),
		Now: time.Now, Stdout: env.Stdout, Stderr: env.Stderr,
	})
	if err != nil {
		return fail(env, "bench peers", err, exitFail)
	}
	return exitOK
}

// stackHealthURL is the local runtime's health endpoint on LOCALRUN_PORT (default 4567).
func stackHealthURL(port string) (string, error) {
	if port == "" {
		port = "4567"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
		return "", fmt.Errorf("LOCALRUN_PORT=%q: expected a port number from 1 to 65535", port)
	}
	return "http://127.0.0.1:" + port + "/_local/health", nil
}

// answers reports whether url answers 200 within two seconds.
func answers(ctx context.Context, url string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close() // the status is the answer
	return resp.StatusCode == http.StatusOK
}

func benchFuzz(ctx context.Context, args []string, env Env) int {
	fs, s := newSettings("bench fuzz", benchUsage, env)
	s.add("fuzztime", "FUZZTIME", "how long each target runs: a duration (10s) or a number of inputs (1000x) (default 10s)")
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	t, err := bench.ParseFuzzTime(s.getenv()("FUZZTIME"))
	if err != nil {
		return fail(env, "bench fuzz", err, exitUsage)
	}
	root, err := repoRoot()
	if err != nil {
		return fail(env, "bench fuzz", err, exitUsage)
	}
	f := bench.Fuzzer{Root: root, Modules: []string{".", "platform"}, Go: goCommand(env), Time: t,
		Runner: proc.Exec{}, Env: os.Environ(), Stdout: env.Stdout, Stderr: env.Stderr}
	if err := f.Fuzz(ctx); err != nil {
		return fail(env, "bench fuzz", err, exitFail)
	}
	return exitOK
}

// reportInputs collects -in values; the files a shell glob expands to after -in land there too.
type reportInputs []string

func (in *reportInputs) String() string     { return strings.Join(*in, " ") }
func (in *reportInputs) Set(v string) error { *in = append(*in, v); return nil }

// benchReport runs `platform bench report`:
//
//	platform bench report -in reports/bench/*.txt -out docs/benchmarks.md -command "make bench" [-elapsed 7m12s]
//
// It exits non-zero only when the input is unusable or the document cannot be written; a missed
// target is reported in the document, not by the exit status.
func benchReport(args []string, stdin io.Reader, stderr io.Writer, now func() time.Time) int {
	fs := flag.NewFlagSet("platform bench report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var in reportInputs
	fs.Var(&in, "in", "go test -bench output file (repeatable; further file arguments are inputs too; - is stdin)")
	out := fs.String("out", bench.DefaultOut, "document to write; what follows its notes marker is kept")
	command := fs.String("command", "make bench", "command that produced the input, shown as how to reproduce")
	elapsed := fs.Duration("elapsed", 0, "how long the command took, e.g. 7m12s (omitted when 0)")
	date := fs.String("now", "", "date of the run, RFC 3339 (default: the current time)")
	trim := fs.String("trim", "github.com/webhealth/webhealth/", "import path prefix dropped in the All results table")
	carry := fs.Bool("carry", false, "keep the -out document's results of every top-level benchmark the inputs have none of (a run of some benchmarks only)")
	// `-in a.txt b.txt -out x`: flag parsing stops at b.txt, so take such file arguments and go on.
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			return exitUsage
		}
		rest = fs.Args()
		i := 0
		for i < len(rest) && (rest[i] == "-" || !strings.HasPrefix(rest[i], "-")) {
			i++
		}
		in = append(in, rest[:i]...)
		if rest = rest[i:]; len(rest) == 0 {
			break
		}
	}
	at := now()
	if *date != "" {
		t, err := time.Parse(time.RFC3339, *date)
		if err != nil {
			fmt.Fprintf(stderr, "platform bench report: -now: %v\n", err)
			return exitUsage
		}
		at = t
	}
	n, summary, err := bench.Report{Inputs: in, Stdin: stdin, Out: *out, Command: *command, Elapsed: *elapsed, Date: at, Trim: *trim, Carry: *carry}.Write()
	switch {
	case errors.Is(err, bench.ErrNoInput):
		fmt.Fprintf(stderr, "platform bench report: %v\n", err)
		return exitUsage
	case err != nil:
		fmt.Fprintf(stderr, "platform bench report: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(stderr, "platform bench report: wrote %s: %d benchmark lines; targets: %s\n", *out, n, summary)
	return exitOK
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/webhealth/webhealth/platform/bench"
	"github.com/webhealth/webhealth/platform/proc"
)

// benchCmd runs `platform bench run|report|fuzz`.
func benchCmd(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		benchUsage(env.Stderr)
		return exitUsage
	}
	switch args[0] {
	case "run":
		return benchRun(ctx, args[1:], env)
	case "report":
		return benchReport(args[1:], os.Stdin, env.Stderr, time.Now)
	case "fuzz":
		return benchFuzz(ctx, args[1:], env)
	case "help", "-h", "--help":
		benchUsage(env.Stdout)
		return exitOK
	}
	fmt.Fprintf(env.Stderr, "platform bench: unknown command %q\n", args[0])
	benchUsage(env.Stderr)
	return exitUsage
}

func benchUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: platform bench <command> [flags]  (run in the repository root)")
	fmt.Fprintln(w, "  run     every benchmark into reports/bench/*.txt, then the document (BENCH_OUT, default docs/benchmarks.md);")
	fmt.Fprintln(w, "          BENCH_STACK=0 leaves out the API through the local stack; BENCH_COLDSTARTS, BENCH_E2E_N")
	fmt.Fprintln(w, "  report  -in <go test -bench output>... -out docs/benchmarks.md: the document from benchmark output")
	fmt.Fprintln(w, "  fuzz    each fuzz target of the product and the platform for -fuzztime (FUZZTIME, default 10s)")
}

// productRoot is the working directory, which must be the repository root (the Makefile runs there).
func productRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(filepath.Join(wd, "go.mod")) // #nosec G304 -- the working directory's go.mod
	if err != nil || !strings.Contains(string(b), "module github.com/webhealth/webhealth\n") {
		return "", fmt.Errorf("%s is not the webhealth repository root (its go.mod): run from there, as make does", wd)
	}
	return wd, nil
}

func benchRun(ctx context.Context, args []string, env Env) int {
	stack, coldStarts, e2eN, doc, err := bench.Settings(env.Getenv)
	if err != nil {
		fmt.Fprintf(env.Stderr, "platform bench run: %v\n", err)
		return exitUsage
	}
	fs := flag.NewFlagSet("platform bench run", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	out := fs.String("out", doc, "the document to write (BENCH_OUT)")
	command := fs.String("command", "make bench", "how to reproduce, shown in the document")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	health, err := stackHealthURL(env.Getenv("LOCALRUN_PORT"))
	if stack && err != nil {
		fmt.Fprintf(env.Stderr, "platform bench run: %v\n", err)
		return exitUsage
	}
	root, err := productRoot()
	if err != nil {
		fmt.Fprintf(env.Stderr, "platform bench run: %v\n", err)
		return exitUsage
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(env.Stderr, "platform bench run: %v\n", err)
		return exitFail
	}
	err = bench.Run(ctx, bench.Options{
		Root: root, HostArch: runtime.GOARCH, ColdStarts: coldStarts, E2EN: e2eN, Stack: stack, Doc: *out,
		Command: *command, Go: orDefault(env.Getenv("GO"), "go"), Platform: self, Run: proc.Run,
		StackUp: func(ctx context.Context) bool { return answers(ctx, health) }, Now: time.Now,
		Stdout: env.Stdout, Stderr: env.Stderr,
	})
	if err != nil {
		fmt.Fprintf(env.Stderr, "platform bench run: %v\n", err)
		return exitFail
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
	fs := flag.NewFlagSet("platform bench fuzz", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fuzzTime := fs.String("fuzztime", env.Getenv("FUZZTIME"), "how long each target runs: a duration (10s) or a number of inputs (1000x) (FUZZTIME)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	t, err := bench.ParseFuzzTime(*fuzzTime)
	if err != nil {
		fmt.Fprintf(env.Stderr, "platform bench fuzz: %v\n", err)
		return exitUsage
	}
	root, err := productRoot()
	if err != nil {
		fmt.Fprintf(env.Stderr, "platform bench fuzz: %v\n", err)
		return exitUsage
	}
	f := bench.Fuzzer{Root: root, Modules: []string{".", "platform"}, Go: orDefault(env.Getenv("GO"), "go"), Time: t,
		Run: proc.Run, Stdout: env.Stdout, Stderr: env.Stderr}
	if err := f.Fuzz(ctx); err != nil {
		fmt.Fprintf(env.Stderr, "platform bench fuzz: %v\n", err)
		return exitFail
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
	n, summary, err := bench.Report{Inputs: in, Stdin: stdin, Out: *out, Command: *command, Elapsed: *elapsed, Date: at, Trim: *trim}.Write()
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

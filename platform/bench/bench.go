// Package bench runs every benchmark of docs/benchmarks.md on this machine, one group at a time so
// they do not slow each other, keeps the raw `go test -bench` output in reports/bench/<group>.txt and
// writes the document from it (Report). Benchmarks report; they never fail on a slow machine: a run
// fails only when a benchmark itself fails or the document cannot be written. It also runs every
// fuzz target for a while (Fuzz).
package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/webhealth/webhealth/platform/proc"
)

// Defaults of the settings.
const (
	DefaultColdStarts = 20
	DefaultE2EN       = 50
	DefaultOut        = "docs/benchmarks.md"
	maxIterations     = 100000
)

// Options of a run.
type Options struct {
	Root       string // repository root
	HostArch   string // this machine's GOARCH: the cold starts run its binaries
	ColdStarts int    // cold starts measured per function (BENCH_COLDSTARTS)
	E2EN       int    // requests per API operation through the local stack (BENCH_E2E_N)
	Stack      bool   // measure the API through the local stack (BENCH_STACK=1)
	Doc        string // the document (BENCH_OUT), relative to Root unless absolute
	Command    string // how to reproduce, shown in the document
	Go         string // go program
	Platform   string // this platform binary: build, stack up and stack down
	// Runner runs the commands (proc.Exec; tests fake it), Env is their environment (nil: this process's).
	Runner proc.Runner
	Env    []string
	// StackUp says whether the local stack answers (its runtime's /_local/health).
	StackUp func(context.Context) bool
	Now     func() time.Time
	Stdout  io.Writer // progress and the benchmarks' output
	Stderr  io.Writer
}

// Settings reads BENCH_STACK, BENCH_COLDSTARTS, BENCH_E2E_N and BENCH_OUT; each wrong value is named
// with what is allowed.
func Settings(getenv func(string) string) (stack bool, coldStarts, e2eN int, out string, err error) {
	var errs []error
	switch v := getenv("BENCH_STACK"); v {
	case "", "1":
		stack = true
	case "0":
	default:
		errs = append(errs, fmt.Errorf("BENCH_STACK=%q: expected 1 (measure the API through the local stack) or 0 (leave it out)", v))
	}
	count := func(name string, def int) int {
		v := getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxIterations {
			errs = append(errs, fmt.Errorf("%s=%q: expected a whole number from 1 to %d", name, v, maxIterations))
		}
		return n
	}
	coldStarts = count("BENCH_COLDSTARTS", DefaultColdStarts)
	e2eN = count("BENCH_E2E_N", DefaultE2EN)
	out = getenv("BENCH_OUT")
	if out == "" {
		out = DefaultOut
	} else if strings.ContainsFunc(out, func(r rune) bool { return r < 0x20 || r == 0x7f }) || !strings.HasSuffix(out, ".md") {
		errs = append(errs, fmt.Errorf("BENCH_OUT=%q: expected the path of a .md document without control characters", out))
	}
	return stack, coldStarts, e2eN, out, errors.Join(errs...)
}

// group is one benchmark run whose output goes to reports/bench/<name>.txt.
type group struct {
	name string
	cmd  proc.Cmd
}

// goTest is go test with args in dir, with the variables of set over the run's environment.
func (o Options) goTest(dir string, set map[string]string, args ...string) proc.Cmd {
	return proc.Cmd{Dir: dir, Path: o.Go, Args: append([]string{"test"}, args...), Env: proc.Env(o.Env, set)}
}

// platform is this platform binary with args in the repository root, its output shown.
func (o Options) platform(args ...string) proc.Cmd {
	return proc.Cmd{Dir: o.Root, Path: o.Platform, Args: args, Env: o.Env, Stdout: o.Stdout, Stderr: o.Stderr}
}

// groups are the benchmark runs before the end-to-end one; inProcess are the product packages
// except the crawler, whose long benchmarks run once each in their own group.
func (o Options) groups(inProcess []string) []group {
	testDir := filepath.Join(o.Root, "test")
	build := filepath.Join(o.Root, "build")
	return []group{
		{"in-process", o.goTest(o.Root, nil, append([]string{"-p", "1", "-run", "^$", "-bench", ".", "-benchmem"}, inProcess...)...)},
		// Scheduling at N x C, CPU and memory per probe, AWS calls per run, the interval runs of issue 12
		// (BenchmarkCrawlInterval, Starvation, AlarmBacklog) and a run's CPU over the bare probes (BenchmarkRunOverhead),
		// against a loopback server in a child process (~8 minutes).
		{"crawler", o.goTest(o.Root, nil, "-run", "^$", "-bench", "^Benchmark(ProbeCPU|Crawl|Schedule|RunOverhead)", "-benchmem",
			"-benchtime=1x", "-timeout", "30m", "./internal/crawler/")},
		{"crawler-pipeline", o.goTest(o.Root, nil, "-run", "^$", "-bench", "^BenchmarkMetricPipeline$", "-benchmem", "./internal/crawler/")},
		// The arm64 zips' sizes; cold starts of this machine's binaries through the Runtime API.
		{"artifacts", o.goTest(testDir, map[string]string{
			"BENCH_ARTIFACT_DIR": filepath.Join(build, "arm64"), "BENCH_BOOTSTRAP_DIR": filepath.Join(build, o.HostArch),
		}, "-v", "-tags", "bench", "-run", "^$", "-bench", "^Benchmark(Artifact|ColdStart)$",
			"-benchtime="+strconv.Itoa(o.ColdStarts)+"x", "./bench/")},
		o.peersGroup(),
	}
}

// peersGroup is webhealth's prober side by side with the peers' (tools/peers, its own module, which
// pins them), each in its own process on the same loopback servers (~1 minute).
func (o Options) peersGroup() group {
	return group{"peers", o.goTest(filepath.Join(o.Root, "tools", "peers"), nil, "-v", "-run", "^$",
		"-bench", "^BenchmarkPeers$", "-benchtime=1x", "-timeout", "20m", ".")}
}

func (o Options) e2eGroup() group {
	return group{"e2e", o.goTest(filepath.Join(o.Root, "test"), nil, "-v", "-tags", "bench", "-run", "^$",
		"-bench", "^BenchmarkAPIEndToEnd$", "-benchtime="+strconv.Itoa(o.E2EN)+"x", "./bench/")}
}

// Run builds the zips, runs every group, then writes the document. A failed group is reported and
// the others still run; the run then fails.
func Run(ctx context.Context, o Options) error {
	start := o.Now()
	dir := filepath.Join(o.Root, "reports", "bench")
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("clear %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("reports dir: %w", err)
	}
	for _, arch := range slices.Compact([]string{"arm64", o.HostArch}) {
		fmt.Fprintf(o.Stdout, "bench: build -arch %s\n", arch)
		if err := o.Runner.Run(ctx, o.platform("build", "-arch", arch)); err != nil {
			return fmt.Errorf("build the %s zips: %w", arch, err)
		}
	}
	pkgs, err := o.inProcessPackages(ctx)
	if err != nil {
		return err
	}
	var failed []string
	for _, g := range o.groups(pkgs) {
		if err := o.runGroup(ctx, dir, g); err != nil {
			failed = append(failed, g.name)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if o.Stack {
		if err := o.endToEnd(ctx, dir); err != nil {
			fmt.Fprintf(o.Stderr, "bench: %v\n", err)
			failed = append(failed, "e2e")
		}
	} else {
		fmt.Fprintln(o.Stdout, "bench: BENCH_STACK=0: the API through the local stack is left out")
	}
	inputs, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return err
	}
	out := o.docPath()
	elapsed := o.Now().Sub(start).Round(time.Second)
	n, summary, err := Report{Inputs: inputs, Out: out, Command: o.Command, Elapsed: elapsed, Date: start,
		Trim: "github.com/webhealth/webhealth/"}.Write()
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	fmt.Fprintf(o.Stdout, "bench: %s written (%s): %d benchmark lines; targets: %s\n", out, elapsed, n, summary)
	if len(failed) > 0 {
		return fmt.Errorf("benchmarks failed: %s (output in %s)", strings.Join(failed, ", "), dir)
	}
	return nil
}

// Peers runs the peer comparison alone (make bench-peers) into reports/bench/peers.txt and rewrites
// the document with its rows; every other benchmark's results are carried over from the document it
// replaces. A failed comparison leaves the document as it was.
func Peers(ctx context.Context, o Options) error {
	start := o.Now()
	dir := filepath.Join(o.Root, "reports", "bench")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("reports dir: %w", err)
	}
	g := o.peersGroup()
	if err := o.runGroup(ctx, dir, g); err != nil {
		return fmt.Errorf("the peer comparison failed (output in %s): %w", filepath.Join(dir, g.name+".txt"), err)
	}
	out := o.docPath()
	elapsed := o.Now().Sub(start).Round(time.Second)
	n, summary, err := Report{Inputs: []string{filepath.Join(dir, g.name+".txt")}, Out: out, Command: o.Command,
		Elapsed: elapsed, Date: start, Trim: "github.com/webhealth/webhealth/", Carry: true}.Write()
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	fmt.Fprintf(o.Stdout, "bench: %s written (%s): %d benchmark lines; targets: %s\n", out, elapsed, n, summary)
	return nil
}

// docPath is the document's path: Doc, relative to Root unless absolute.
func (o Options) docPath() string {
	if filepath.IsAbs(o.Doc) {
		return o.Doc
	}
	return filepath.Join(o.Root, o.Doc)
}

// inProcessPackages lists ./internal/... without the crawler.
func (o Options) inProcessPackages(ctx context.Context) ([]string, error) {
	var out, errOut bytes.Buffer
	if err := o.Runner.Run(ctx, proc.Cmd{Dir: o.Root, Path: o.Go, Args: []string{"list", "./internal/..."}, Env: o.Env, Stdout: &out, Stderr: &errOut}); err != nil {
		return nil, fmt.Errorf("go list ./internal/...: %w: %s", err, errOut.String())
	}
	var pkgs []string
	for _, p := range strings.Fields(out.String()) {
		if !strings.HasSuffix(p, "/internal/crawler") {
			pkgs = append(pkgs, p)
		}
	}
	if len(pkgs) == 0 {
		return nil, errors.New("go list ./internal/... found no package")
	}
	return pkgs, nil
}

// runGroup runs g with its output shown and kept in dir/<name>.txt.
func (o Options) runGroup(ctx context.Context, dir string, g group) error {
	fmt.Fprintf(o.Stdout, "bench: %s: %s\n", g.name, g.cmd.String())
	path := filepath.Join(dir, g.name+".txt")
	f, err := os.Create(path) // #nosec G304 -- reports/bench/<group>.txt
	if err != nil {
		return err
	}
	w := io.MultiWriter(o.Stdout, f)
	g.cmd.Stdout, g.cmd.Stderr = w, w
	runErr := o.Runner.Run(ctx, g.cmd)
	if err := errors.Join(runErr, f.Close()); err != nil {
		fmt.Fprintf(o.Stderr, "bench: %s failed: %v\n", g.name, err)
		return err
	}
	return nil
}

// endToEnd measures the API through the local stack, starting it when it is not running and then
// stopping it again.
func (o Options) endToEnd(ctx context.Context, dir string) error {
	started := false
	if !o.StackUp(ctx) {
		fmt.Fprintln(o.Stdout, "bench: the local stack is not running: platform stack up (stopped again afterwards)")
		if err := o.Runner.Run(ctx, o.platform("stack", "up")); err != nil {
			return fmt.Errorf("the local stack did not start, the API end-to-end figures are not run: %w", err)
		}
		started = true
	}
	runErr := o.runGroup(ctx, dir, o.e2eGroup())
	if !started {
		return runErr
	}
	// Stopping must not be skipped because the run was interrupted.
	downErr := o.Runner.Run(context.WithoutCancel(ctx), o.platform("stack", "down"))
	if downErr != nil {
		downErr = fmt.Errorf("platform stack down: %w", downErr)
	}
	return errors.Join(runErr, downErr)
}

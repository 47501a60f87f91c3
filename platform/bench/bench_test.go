package bench

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/proc"
)

const benchLine = "goos: linux\npkg: github.com/webhealth/webhealth/internal/api\n" +
	"BenchmarkHandlerLatency/op=get-2   1   451.0 ns/op   9.710 p50-us   33.50 p99-us\nPASS\n"

// recorder fakes the commands of a run: it records them (program base name and arguments, with the
// directory relative to the root) and answers by fail, writing benchmark output for go test.
type recorder struct {
	root  string
	calls []string
	envs  map[string][]string
	fail  func(line string) bool
}

func (r *recorder) run(_ context.Context, c proc.Cmd) error {
	dir, _ := filepath.Rel(r.root, c.Dir)
	line := dir + ": " + filepath.Base(c.Path) + " " + strings.Join(c.Args, " ")
	r.calls = append(r.calls, line)
	if r.envs == nil {
		r.envs = map[string][]string{}
	}
	r.envs[line] = c.Env
	switch {
	case len(c.Args) > 1 && c.Args[0] == "list":
		_, _ = io.WriteString(c.Stdout, "github.com/webhealth/webhealth/internal/api\ngithub.com/webhealth/webhealth/internal/crawler\ngithub.com/webhealth/webhealth/internal/store\n")
	case len(c.Args) > 0 && c.Args[0] == "test":
		_, _ = io.WriteString(c.Stdout, benchLine)
	}
	if r.fail != nil && r.fail(line) {
		return &proc.ExitError{Cmd: line, Code: 1}
	}
	return nil
}

func (r *recorder) ran(substr string) bool {
	return slices.ContainsFunc(r.calls, func(c string) bool { return strings.Contains(c, substr) })
}

func newRun(t *testing.T, stackUp bool, fail func(string) bool) (Options, *recorder, *bytes.Buffer) {
	t.Helper()
	root := t.TempDir()
	r := &recorder{root: root, fail: fail}
	var out bytes.Buffer
	clock := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	return Options{
		Root: root, HostArch: "amd64", ColdStarts: 7, E2EN: 9, Stack: true, Doc: "docs/benchmarks.md", Command: "make bench",
		Go: "go", Platform: "/bin/platform", Runner: proc.RunFunc(r.run), Env: []string{"HOME=/h"}, StackUp: func(context.Context) bool { return stackUp },
		Now:    func() time.Time { clock = clock.Add(90 * time.Second); return clock },
		Stdout: &out, Stderr: &out,
	}, r, &out
}

func TestRunOrderAndFiles(t *testing.T) {
	t.Parallel()
	o, r, out := newRun(t, false, nil)
	require.NoError(t, os.MkdirAll(filepath.Join(o.Root, "reports", "bench"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(o.Root, "reports", "bench", "stale.txt"), []byte(benchLine), 0o644))
	require.NoError(t, Run(context.Background(), o), out.String())
	assert.Equal(t, []string{
		".: platform build -arch arm64",
		".: platform build -arch amd64",
		".: go list ./internal/...",
		".: go test -p 1 -run ^$ -bench . -benchmem github.com/webhealth/webhealth/internal/api github.com/webhealth/webhealth/internal/store",
		".: go test -run ^$ -bench ^Benchmark(ProbeCPU|Crawl|Schedule|RunOverhead) -benchmem -benchtime=1x -timeout 30m ./internal/crawler/",
		".: go test -run ^$ -bench ^BenchmarkMetricPipeline$ -benchmem ./internal/crawler/",
		"test: go test -v -tags bench -run ^$ -bench ^Benchmark(Artifact|ColdStart)$ -benchtime=7x ./bench/",
		"tools/peers: go test -v -run ^$ -bench ^BenchmarkPeers$ -benchtime=1x -timeout 20m .",
		".: platform stack up",
		"test: go test -v -tags bench -run ^$ -bench ^BenchmarkAPIEndToEnd$ -benchtime=9x ./bench/",
		".: platform stack down",
	}, r.calls)
	assert.Equal(t, []string{
		"HOME=/h",
		"BENCH_ARTIFACT_DIR=" + filepath.Join(o.Root, "build", "arm64"),
		"BENCH_BOOTSTRAP_DIR=" + filepath.Join(o.Root, "build", "amd64"),
	}, r.envs[r.calls[6]], "the artifact directories over the run's environment")
	for _, c := range r.calls {
		assert.Contains(t, r.envs[c], "HOME=/h", "%s: the run's environment", c)
	}

	files, err := filepath.Glob(filepath.Join(o.Root, "reports", "bench", "*.txt"))
	require.NoError(t, err)
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		assert.Equal(t, benchLine, string(b), "each group's output is kept as it printed it")
	}
	assert.Equal(t, []string{"artifacts.txt", "crawler-pipeline.txt", "crawler.txt", "e2e.txt", "in-process.txt", "peers.txt"}, names,
		"a previous run's files are cleared")
	doc, err := os.ReadFile(filepath.Join(o.Root, "docs", "benchmarks.md"))
	require.NoError(t, err)
	assert.Contains(t, string(doc), "```sh\nmake bench\n```")
	assert.Contains(t, string(doc), "| API get, in-process: p99 | ≤ 1000 µs | 33.5 µs | met |")
	assert.Contains(t, out.String(), "docs/benchmarks.md written (1m30s)")
}

func TestRunCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		stackUp  bool
		noStack  bool
		hostArch string
		fail     func(string) bool
		wantErr  string
		ran      []string
		notRan   []string
		noDoc    bool
	}{
		{
			name: "a build failure stops before any benchmark", fail: func(l string) bool { return strings.Contains(l, "build -arch arm64") },
			wantErr: "build the arm64 zips", notRan: []string{"go list", "go test"}, noDoc: true,
		},
		{
			name: "one build on an arm64 machine", hostArch: "arm64",
			ran: []string{"build -arch arm64"}, notRan: []string{"build -arch amd64"},
		},
		{
			name:    "a failed group: the others run, the document is written, the run fails",
			fail:    func(l string) bool { return strings.Contains(l, "BenchmarkMetricPipeline") },
			wantErr: "benchmarks failed: crawler-pipeline", ran: []string{"Benchmark(Artifact|ColdStart)", "BenchmarkAPIEndToEnd"},
		},
		{
			name: "a running stack is used and left running", stackUp: true,
			ran: []string{"BenchmarkAPIEndToEnd"}, notRan: []string{"stack up", "stack down"},
		},
		{
			name:    "a stack that does not start: no end-to-end run, nothing to stop",
			fail:    func(l string) bool { return strings.HasSuffix(l, "stack up") },
			wantErr: "benchmarks failed: e2e", notRan: []string{"BenchmarkAPIEndToEnd", "stack down"},
		},
		{
			name:    "the stack it started is stopped when the end-to-end run fails",
			fail:    func(l string) bool { return strings.Contains(l, "BenchmarkAPIEndToEnd") },
			wantErr: "benchmarks failed: e2e", ran: []string{"stack up", "stack down"},
		},
		{
			name: "BENCH_STACK=0 leaves the stack alone", noStack: true,
			notRan: []string{"stack up", "stack down", "BenchmarkAPIEndToEnd"}, ran: []string{"Benchmark(Artifact|ColdStart)"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o, r, out := newRun(t, tc.stackUp, tc.fail)
			if tc.hostArch != "" {
				o.HostArch = tc.hostArch
			}
			o.Stack = !tc.noStack
			err := Run(context.Background(), o)
			if tc.wantErr == "" {
				assert.NoError(t, err, out.String())
			} else {
				assert.ErrorContains(t, err, tc.wantErr)
			}
			for _, s := range tc.ran {
				assert.True(t, r.ran(s), "ran %q: %v", s, r.calls)
			}
			for _, s := range tc.notRan {
				assert.False(t, r.ran(s), "did not run %q: %v", s, r.calls)
			}
			doc := filepath.Join(o.Root, "docs", "benchmarks.md")
			if tc.noDoc {
				assert.NoFileExists(t, doc)
			} else {
				assert.FileExists(t, doc)
			}
		})
	}
}

const peersLine = "goos: linux\npkg: github.com/webhealth/webhealth/tools/peers\n" +
	"BenchmarkPeers/N=1000/proto=http/prober=webhealth-2   1   240000 ns/op   150.0 cpu-us/probe   240.0 wall-ms\nPASS\n"

// bench-peers runs the peers alone and keeps the other results of the document it rewrites; its
// own package's old results are replaced, not kept.
func TestPeers(t *testing.T) {
	t.Parallel()
	o, r, out := newRun(t, false, nil)
	o.Command = "make bench-peers"
	run := r.run
	o.Runner = proc.RunFunc(func(ctx context.Context, c proc.Cmd) error {
		stdout := c.Stdout
		c.Stdout = io.Discard // the recorder's line is another package's
		if err := run(ctx, c); err != nil {
			return err
		}
		_, err := io.WriteString(stdout, peersLine)
		return err
	})
	doc := filepath.Join(o.Root, "docs", "benchmarks.md")
	require.NoError(t, os.MkdirAll(filepath.Dir(doc), 0o755))
	old := filepath.Join(t.TempDir(), "old.txt")
	require.NoError(t, os.WriteFile(old, []byte(benchLine+strings.Replace(peersLine, "150.0 cpu-us", "999.0 cpu-us", 1)), 0o600))
	_, _, err := Report{Inputs: []string{old}, Out: doc, Command: "make bench", Trim: "github.com/webhealth/webhealth/"}.Write()
	require.NoError(t, err)

	require.NoError(t, Peers(context.Background(), o), out.String())
	assert.Equal(t, []string{"tools/peers: go test -v -run ^$ -bench ^BenchmarkPeers$ -benchtime=1x -timeout 20m ."}, r.calls)
	got, err := os.ReadFile(doc)
	require.NoError(t, err)
	assert.Contains(t, string(got), "```sh\nmake bench-peers\n```")
	assert.Contains(t, string(got), "the other 1 results, and the figures read from them, are carried over")
	assert.Contains(t, string(got), "| API get, in-process: p99 | ≤ 1000 µs | 33.5 µs | met |", "a carried figure")
	assert.Contains(t, string(got), "| tools/peers | BenchmarkPeers/N=1000/proto=http/prober=webhealth | 1 | 240000 ns/op, 150.0 cpu-us/probe, 240.0 wall-ms |")
	assert.NotContains(t, string(got), "999.0", "the peers' old result is replaced")
	b, err := os.ReadFile(filepath.Join(o.Root, "reports", "bench", "peers.txt"))
	require.NoError(t, err)
	assert.Contains(t, string(b), "BenchmarkPeers/N=1000")
}

// A failed comparison leaves the document as it was.
func TestPeersFailed(t *testing.T) {
	t.Parallel()
	o, _, out := newRun(t, false, func(string) bool { return true })
	doc := filepath.Join(o.Root, "docs", "benchmarks.md")
	require.NoError(t, os.MkdirAll(filepath.Dir(doc), 0o755))
	require.NoError(t, os.WriteFile(doc, []byte("before\n"), 0o644))
	err := Peers(context.Background(), o)
	assert.ErrorContains(t, err, "the peer comparison failed", out.String())
	got, err := os.ReadFile(doc)
	require.NoError(t, err)
	assert.Equal(t, "before\n", string(got))
}

func TestSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		env       map[string]string
		wantStack bool
		wantCold  int
		wantN     int
		wantOut   string
		wantErr   []string
	}{
		{name: "defaults", wantStack: true, wantCold: DefaultColdStarts, wantN: DefaultE2EN, wantOut: DefaultOut},
		{name: "set", env: map[string]string{"BENCH_STACK": "0", "BENCH_COLDSTARTS": "3", "BENCH_E2E_N": "100", "BENCH_OUT": "/tmp/b.md"},
			wantCold: 3, wantN: 100, wantOut: "/tmp/b.md"},
		{name: "hostile values are refused, each by name",
			env: map[string]string{"BENCH_STACK": "1;touch x", "BENCH_COLDSTARTS": "$(touch x)", "BENCH_E2E_N": "0", "BENCH_OUT": "doc.md\nx"},
			wantErr: []string{`BENCH_STACK="1;touch x": expected 1`, `BENCH_COLDSTARTS="$(touch x)": expected a whole number`,
				`BENCH_E2E_N="0"`, `BENCH_OUT="doc.md\nx"`}},
		{name: "an output that is not a document", env: map[string]string{"BENCH_OUT": "go.mod"}, wantErr: []string{"expected the path of a .md document"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stack, cold, n, out, err := Settings(func(k string) string { return tc.env[k] })
			if len(tc.wantErr) > 0 {
				for _, w := range tc.wantErr {
					assert.ErrorContains(t, err, w)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []any{tc.wantStack, tc.wantCold, tc.wantN, tc.wantOut}, []any{stack, cold, n, out})
		})
	}
}

func TestReportErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.txt")
	require.NoError(t, os.WriteFile(empty, []byte("PASS\n"), 0o644))
	out := filepath.Join(dir, "doc.md")
	tests := []struct {
		name    string
		r       Report
		wantErr string
	}{
		{name: "no input", r: Report{Out: out}, wantErr: ErrNoInput.Error()},
		{name: "no benchmark line", r: Report{Inputs: []string{empty}, Out: out}, wantErr: "no benchmark lines in " + empty},
		{name: "stdin without a reader", r: Report{Inputs: []string{"-"}, Out: out}, wantErr: "stdin: no input"},
		{name: "a missing file", r: Report{Inputs: []string{filepath.Join(dir, "nope.txt")}, Out: out}, wantErr: "nope.txt: no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := tc.r.Write()
			assert.ErrorContains(t, err, tc.wantErr)
			assert.NoFileExists(t, out)
		})
	}
}

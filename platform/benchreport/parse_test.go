package benchreport

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func m(text, unit string) Metric {
	v, err := parseFloat(text)
	if err != nil {
		panic(err)
	}
	return Metric{Unit: unit, Value: v, Text: text}
}

func TestParse(t *testing.T) {
	t.Parallel()
	const crawler = "github.com/webhealth/webhealth/internal/crawler"
	tests := []struct {
		name     string
		in       string
		results  []Result
		statuses []Status
		cpus     []string
		platform []string
	}{
		{
			name: "headers and a line with custom metrics and -benchmem",
			in: "goos: linux\ngoarch: arm64\npkg: " + crawler + "\ncpu: Neoverse-N1\n" +
				"BenchmarkSchedule/N=100/C=10-2   \t       1\t1012345678 ns/op\t      1000 ideal-ms\t         1.200 over-ideal-%\t      1012 wall-ms\t     512 B/op\t       7 allocs/op\n" +
				"PASS\nok  \t" + crawler + "\t12.3s\n",
			results: []Result{{Pkg: crawler, Name: "BenchmarkSchedule/N=100/C=10", Procs: 2, Iters: 1, Metrics: []Metric{
				m("1012345678", "ns/op"), m("1000", "ideal-ms"), m("1.200", "over-ideal-%"), m("1012", "wall-ms"), m("512", "B/op"), m("7", "allocs/op"),
			}}},
			cpus:     []string{"Neoverse-N1"},
			platform: []string{"linux/arm64"},
		},
		{
			name:    "GOMAXPROCS=1 has no suffix",
			in:      "pkg: p\nBenchmarkProbeCPU \t 5000\t 211043 ns/op\t 0.1432 cpu-ms/probe\n",
			results: []Result{{Pkg: "p", Name: "BenchmarkProbeCPU", Procs: 1, Iters: 5000, Metrics: []Metric{m("211043", "ns/op"), m("0.1432", "cpu-ms/probe")}}},
		},
		{
			name: "only the last -digits is GOMAXPROCS",
			in:   "BenchmarkRead/size-1024-16 \t 10\t 5 ns/op\nBenchmarkRead/size-1024 \t 10\t 5 ns/op\nBenchmarkX-0 1 5 ns/op\n",
			results: []Result{
				{Name: "BenchmarkRead/size-1024", Procs: 16, Iters: 10, Metrics: []Metric{m("5", "ns/op")}},
				{Name: "BenchmarkRead/size", Procs: 1024, Iters: 10, Metrics: []Metric{m("5", "ns/op")}},
				{Name: "BenchmarkX-0", Procs: 1, Iters: 1, Metrics: []Metric{m("5", "ns/op")}},
			},
		},
		{
			name: "numbers split from the name by what the benchmark printed",
			in: "pkg: p\nBenchmarkSchedule/N=10000/C=10-2 \t{\"level\":\"INFO\",\"msg\":\"crawl done\"}\n" +
				"{\"level\":\"WARN\",\"msg\":\"slow\"}\n       1\t 301.0 ns/op\t 1.340 over-ideal-%\n",
			results: []Result{{Pkg: "p", Name: "BenchmarkSchedule/N=10000/C=10", Procs: 2, Iters: 1, Metrics: []Metric{m("301.0", "ns/op"), m("1.340", "over-ideal-%")}}},
		},
		{
			name: "go test -v: bare names, skip reason before the status",
			in: "pkg: " + crawler + "\nBenchmarkAPIEndToEnd\n    bench_test.go:31: no local stack: .local/env not found\n--- SKIP: BenchmarkAPIEndToEnd\n" +
				"BenchmarkArtifact\nBenchmarkArtifact/fn=crawler\nBenchmarkArtifact/fn=crawler-2 \t 1\t 160.0 ns/op\t 3.210 zip-MB\n",
			results:  []Result{{Pkg: crawler, Name: "BenchmarkArtifact/fn=crawler", Procs: 2, Iters: 1, Metrics: []Metric{m("160.0", "ns/op"), m("3.210", "zip-MB")}}},
			statuses: []Status{{Pkg: crawler, Name: "BenchmarkAPIEndToEnd", State: "skipped", Reason: "no local stack: .local/env not found"}},
		},
		{
			name: "plain go test: failure reason after the status, nested sub-benchmark",
			in: "pkg: p\n--- FAIL: BenchmarkColdStart-2\n    --- FAIL: BenchmarkColdStart/fn=urlapi-2\n        bench_test.go:80: start urlapi: exec format error\n" +
				"--- SKIP: BenchmarkE2E\nPASS\n",
			statuses: []Status{
				{Pkg: "p", Name: "BenchmarkColdStart", State: "failed"},
				{Pkg: "p", Name: "BenchmarkColdStart/fn=urlapi", State: "failed", Reason: "start urlapi: exec format error"},
				{Pkg: "p", Name: "BenchmarkE2E", State: "skipped"},
			},
		},
		{
			name: "noise that looks almost like a benchmark line",
			in: "Benchmarks follow\nBenchmarkA 1 2\nBenchmarkB 0 5 ns/op\nBenchmarkC 1 x ns/op\nBenchmarkD 1.5 5 ns/op\nbenchmarkE 1 5 ns/op\n" +
				"--- BENCH: BenchmarkF-2\n    f_test.go:3: 12 ns/op\n  3 5 ns/op\nexit status 1\nFAIL\tp\t1.0s\n",
		},
		{
			name:    "the ok line closes the package",
			in:      "pkg: a\nok  \ta\t1.0s\nBenchmarkX 1 5 ns/op\n",
			results: []Result{{Name: "BenchmarkX", Procs: 1, Iters: 1, Metrics: []Metric{m("5", "ns/op")}}},
		},
		{
			name:    "CRLF and no final newline",
			in:      "pkg: p\r\nBenchmarkX-4\t1\t5 ns/op\r\nBenchmarkY-4\t2\t6 ns/op",
			results: []Result{{Pkg: "p", Name: "BenchmarkX", Procs: 4, Iters: 1, Metrics: []Metric{m("5", "ns/op")}}, {Pkg: "p", Name: "BenchmarkY", Procs: 4, Iters: 2, Metrics: []Metric{m("6", "ns/op")}}},
		},
		{
			name:    "a log line longer than bufio's default token",
			in:      "pkg: p\n" + strings.Repeat("x", 200_000) + "\nBenchmarkX-2 1 5 ns/op\n",
			results: []Result{{Pkg: "p", Name: "BenchmarkX", Procs: 2, Iters: 1, Metrics: []Metric{m("5", "ns/op")}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := Parse(strings.NewReader(tc.in))
			require.NoError(t, err)
			assert.Equal(t, tc.results, s.Results)
			assert.Equal(t, tc.statuses, s.Statuses)
			assert.Equal(t, tc.cpus, s.CPUs)
			assert.Equal(t, tc.platform, s.Platform)
		})
	}
}

func TestParseSampleFiles(t *testing.T) {
	t.Parallel()
	s := parseSample(t)
	assert.Len(t, s.Results, 14+4+3+2+10+1+4)
	assert.Equal(t, []string{"AMD EPYC"}, s.CPUs)
	assert.Equal(t, []string{"linux/amd64"}, s.Platform)
	assert.Equal(t, []int{2}, s.Procs())

	byName := map[string]Result{}
	for _, r := range s.Results {
		_, dup := byName[r.Name]
		require.False(t, dup, r.Name)
		byName[r.Name] = r
	}
	split := byName["BenchmarkSchedule/N=10000/C=10"]
	assert.Equal(t, "github.com/webhealth/webhealth/internal/crawler", split.Pkg)
	v, ok := split.Metric("wall-ms")
	assert.True(t, ok)
	assert.InDelta(t, 101340, v, 0)
	assert.Equal(t, "github.com/webhealth/webhealth/internal/alarmlog", byName["BenchmarkHandlerThroughput/batch=100"].Pkg)
	gatus := "not pinned: the Go module proxy answers 403 for github.com/TwiN/gatus/v5"
	assert.Equal(t, []Status{
		{Pkg: "github.com/webhealth/webhealth/test/bench", Name: "BenchmarkAPIEndToEnd", State: "skipped", Reason: "no local stack: .local/env not found (run make local-up)"},
		{Pkg: "github.com/webhealth/webhealth/tools/peers", Name: "BenchmarkPeers/N=1000/proto=http/prober=gatus", State: "skipped", Reason: gatus},
		{Pkg: "github.com/webhealth/webhealth/tools/peers", Name: "BenchmarkPeers/N=1000/proto=https/prober=gatus", State: "skipped", Reason: gatus},
	}, s.Statuses)
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk gone") }

func TestParseReadError(t *testing.T) {
	t.Parallel()
	_, err := Parse(failingReader{})
	require.ErrorContains(t, err, "disk gone")
}

// FuzzParse: any input parses without panic into well-formed results, and a result printed back the
// way go test prints it parses to the same result.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/sample/*.txt")
	require.NoError(f, err)
	for _, name := range files {
		b, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(string(b))
	}
	f.Add("BenchmarkX-2\t{log}\n  1 5 ns/op\n--- SKIP: BenchmarkY\n    y.go:1: why\n")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := Parse(strings.NewReader(in))
		require.NoError(t, err)
		for _, r := range s.Results {
			require.True(t, isBenchName(r.Name), r.Name)
			require.GreaterOrEqual(t, r.Procs, 1)
			require.GreaterOrEqual(t, r.Iters, int64(1))
			require.NotEmpty(t, r.Metrics)
			require.False(t, strings.ContainsFunc(r.Name, unicode.IsSpace), r.Name)
			for _, mt := range r.Metrics {
				require.NotEmpty(t, mt.Unit)
				v, err := parseFloat(mt.Text)
				require.NoError(t, err)
				require.True(t, v == mt.Value || math.IsNaN(v) && math.IsNaN(mt.Value), mt.Text)
			}
			var line strings.Builder
			fmt.Fprintf(&line, "%s-%d\t%d", r.Name, r.Procs, r.Iters)
			for _, mt := range r.Metrics {
				fmt.Fprintf(&line, "\t%s %s", mt.Text, mt.Unit)
			}
			again, err := Parse(strings.NewReader("pkg: " + r.Pkg + "\n" + line.String() + "\n"))
			require.NoError(t, err)
			require.Len(t, again.Results, 1, line.String())
			got := again.Results[0]
			if strings.TrimSpace(r.Pkg) != r.Pkg || strings.ContainsAny(r.Pkg, "\r\n") {
				got.Pkg = r.Pkg // a header value is trimmed; the round trip cannot carry the spaces
			}
			require.Equal(t, r.Name, got.Name)
			require.Equal(t, r.Procs, got.Procs)
			require.Equal(t, r.Iters, got.Iters)
			require.Equal(t, r.Pkg, got.Pkg)
			require.Len(t, got.Metrics, len(r.Metrics))
			for i := range r.Metrics {
				require.Equal(t, r.Metrics[i].Text, got.Metrics[i].Text)
				require.Equal(t, r.Metrics[i].Unit, got.Metrics[i].Unit)
			}
		}
		for _, st := range s.Statuses {
			require.True(t, isBenchName(st.Name), st.Name)
			require.Contains(t, []string{"skipped", "failed"}, st.State)
		}
	})
}

func parseSample(t *testing.T) Set {
	t.Helper()
	files, err := filepath.Glob("testdata/sample/*.txt")
	require.NoError(t, err)
	require.Len(t, files, 4)
	var s Set
	for _, name := range files {
		f, err := os.Open(name)
		require.NoError(t, err)
		one, err := Parse(f)
		require.NoError(t, f.Close())
		require.NoError(t, err, name)
		require.NotEmpty(t, one.Results, name)
		s.Merge(one)
	}
	return s
}

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/benchreport"
)

const benchCrawlerOut = `goos: linux
goarch: amd64
pkg: github.com/webhealth/webhealth/internal/crawler
cpu: AMD EPYC
BenchmarkSchedule/N=10000/C=50-2      	       1	       631.0 ns/op	     20000 ideal-ms	        13.40 over-ideal-%	     22680 wall-ms
BenchmarkProbeCPU-2                   	    5000	    211043 ns/op	         0.1432 cpu-ms/probe	    4821 B/op	      52 allocs/op
PASS
ok  	github.com/webhealth/webhealth/internal/crawler	31.2s
`

const benchAPIOut = `goos: linux
goarch: amd64
pkg: github.com/webhealth/webhealth/internal/api
cpu: AMD EPYC
BenchmarkHandlerLatency/op=get-2            	       1	       451.0 ns/op	         9.710 p50-us	        33.50 p99-us
PASS
ok  	github.com/webhealth/webhealth/internal/api	0.821s
`

var benchFixedNow = func() time.Time { return time.Date(2026, 5, 1, 10, 30, 0, 0, time.UTC) }

func benchWrite(t *testing.T, path, content string) string {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

func TestBenchReport(t *testing.T) {
	t.Parallel()
	notes := "\n## What was changed to meet the targets\n\n- crawler: reused the transport, 0.31 → 0.14 ms/probe\n"

	tests := []struct {
		name      string
		files     map[string]string // input files in the temporary directory
		existing  *string           // docs/benchmarks.md before the run
		args      func(dir, out string) []string
		stdin     string
		wantCode  int
		wantErr   string // in stderr
		wantDoc   []string
		wantNotes string // what must follow the marker; "" = nothing to check
	}{
		{
			name:  "files of a shell glob after -in, flags after them; a missed target still exits 0",
			files: map[string]string{"api.txt": benchAPIOut, "crawler.txt": benchCrawlerOut},
			args: func(dir, out string) []string {
				return []string{"-in", filepath.Join(dir, "api.txt"), filepath.Join(dir, "crawler.txt"), "-out", out, "-command", "make bench", "-elapsed", "6m3.4s"}
			},
			wantCode: 0, wantErr: fmt.Sprintf("2 met, 1 MISSED, 3 reported, %d not run", len(benchreport.Figures())-6),
			wantDoc: []string{
				"```sh\nmake bench\n```", "The run took 6m3s.", "- **Date:** 2026-05-01 10:30 UTC",
				"| Crawl N=10000, C=50: wall time over ideal | ≤ 10 % | 13.4 % (wall 22680 ms, ideal 20000 ms) | MISSED |",
				"| API get, in-process: p99 | ≤ 1000 µs | 33.5 µs | met |",
				"| Artifact crawler (arm64): zip | ≤ 3.5 MB | — | not run |",
				"| internal/api | BenchmarkHandlerLatency/op=get | 1 |", "| internal/crawler | BenchmarkProbeCPU | 5000 |",
			},
			wantNotes: benchreport.DefaultNotes,
		},
		{
			name:     "notes after the marker are kept verbatim",
			files:    map[string]string{"crawler.txt": benchCrawlerOut},
			existing: benchPtr("# Benchmarks\n\nold table\n\n" + benchreport.NotesMarker + "\n" + notes),
			args: func(dir, out string) []string {
				return []string{"-in", filepath.Join(dir, "crawler.txt"), "-out", out, "-now", "2026-06-01T08:00:00Z"}
			},
			wantCode:  0,
			wantDoc:   []string{"- **Date:** 2026-06-01 08:00 UTC"},
			wantNotes: notes,
		},
		{
			name:     "a document without the marker gets the placeholder",
			files:    map[string]string{"crawler.txt": benchCrawlerOut},
			existing: benchPtr("# Benchmarks\n\nhand-written, no marker\n"),
			args: func(dir, out string) []string {
				return []string{"-out", out, filepath.Join(dir, "crawler.txt")}
			},
			wantCode:  0,
			wantNotes: benchreport.DefaultNotes,
		},
		{
			name:    "stdin",
			stdin:   benchCrawlerOut,
			args:    func(_, out string) []string { return []string{"-in", "-", "-out", out} },
			wantDoc: []string{"| Probe CPU time (16 in flight, as a run probes) | ≤ 0.2 ms | 0.143 ms | met |"},
		},
		{
			name:  "-carry keeps the results of the benchmarks the inputs have none of",
			files: map[string]string{"crawler.txt": benchCrawlerOut},
			existing: benchPtr("# Benchmarks\n\n## All results\n\nEvery line.\n\n| Package | Benchmark | Iterations | Metrics |\n|---|---|---|---|\n" +
				"| internal/api | BenchmarkHandlerLatency/op=get | 1 | 451.0 ns/op, 9.710 p50-us, 33.50 p99-us |\n" +
				"| internal/crawler | BenchmarkSchedule/N=100/C=10 | 1 | 1 ns/op, 1000 ideal-ms, 1.200 over-ideal-%, 1012 wall-ms |\n" +
				"| internal/crawler | BenchmarkCrawlAWSCalls/N=10000 | 1 | 1 ns/op, 10000 DynamoDB-write-calls, 10000 DynamoDB-write-floor |\n"),
			args: func(dir, out string) []string {
				return []string{"-carry", "-in", filepath.Join(dir, "crawler.txt"), "-out", out}
			},
			wantDoc: []string{
				"| API get, in-process: p99 | ≤ 1000 µs | 33.5 µs | met |", "| internal/api | BenchmarkHandlerLatency/op=get | 1 |",
				"the other 2 results", "| DynamoDB write calls per crawl (N=10000) | = floor | 10000 (floor 10000) | met |",
				"| Crawl N=100, C=10: wall time over ideal | ≤ 10 % | — | not run |", // BenchmarkSchedule ran again, without it
			},
		},
		{
			name:     "no benchmark line at all",
			files:    map[string]string{"empty.txt": "goos: linux\nPASS\nok  \tx\t0.1s\n"},
			existing: benchPtr("previous document\n"),
			args: func(dir, out string) []string {
				return []string{"-in", filepath.Join(dir, "empty.txt"), "-out", out}
			},
			wantCode: 1, wantErr: "no benchmark lines in",
		},
		{
			name:  "an unreadable input",
			files: map[string]string{"crawler.txt": benchCrawlerOut},
			args: func(dir, out string) []string {
				return []string{"-in", filepath.Join(dir, "crawler.txt"), filepath.Join(dir, "missing.txt"), "-out", out}
			},
			wantCode: 1, wantErr: "missing.txt: no such file",
		},
		{
			name:     "no input",
			args:     func(_, out string) []string { return []string{"-out", out} },
			wantCode: 2, wantErr: "no input",
		},
		{
			name:  "a bad -now",
			files: map[string]string{"crawler.txt": benchCrawlerOut},
			args: func(dir, out string) []string {
				return []string{"-in", filepath.Join(dir, "crawler.txt"), "-out", out, "-now", "yesterday"}
			},
			wantCode: 2, wantErr: "-now",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, content := range tc.files {
				benchWrite(t, filepath.Join(dir, name), content)
			}
			out := filepath.Join(dir, "docs", "benchmarks.md")
			if tc.existing != nil {
				require.NoError(t, os.MkdirAll(filepath.Dir(out), 0o755))
				benchWrite(t, out, *tc.existing)
			}
			var stderr bytes.Buffer
			code := benchReport(tc.args(dir, out), strings.NewReader(tc.stdin), &stderr, benchFixedNow)
			assert.Equal(t, tc.wantCode, code, stderr.String())
			assert.Contains(t, stderr.String(), tc.wantErr)

			doc, err := os.ReadFile(out)
			if tc.wantCode != 0 {
				if tc.existing == nil {
					assert.NoFileExists(t, out)
				} else {
					require.NoError(t, err)
					assert.Equal(t, *tc.existing, string(doc), "a failed run leaves the document alone")
				}
				return
			}
			require.NoError(t, err)
			for _, want := range tc.wantDoc {
				assert.Contains(t, string(doc), want)
			}
			if tc.wantNotes != "" {
				kept, ok := benchreport.KeptNotes(doc)
				require.True(t, ok)
				assert.Equal(t, tc.wantNotes, kept)
			}
			entries, err := os.ReadDir(filepath.Dir(out))
			require.NoError(t, err)
			assert.Len(t, entries, 1, "no temporary file left next to the document")
		})
	}
}

// TestBenchReportRerunIsStable: running twice on the same input gives the same document (the notes do not grow).
func TestBenchReportRerunIsStable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := benchWrite(t, filepath.Join(dir, "crawler.txt"), benchCrawlerOut)
	out := filepath.Join(dir, "benchmarks.md")
	var stderr bytes.Buffer
	require.Equal(t, 0, benchReport([]string{"-in", in, "-out", out}, nil, &stderr, benchFixedNow), stderr.String())
	first, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, 0, benchReport([]string{"-in", in, "-out", out}, nil, &stderr, benchFixedNow), stderr.String())
	second, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, string(first), string(second))
}

func benchPtr(s string) *string { return &s }

package benchreport

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/benchmarks.golden.md")

func sampleDoc(t *testing.T) Doc {
	t.Helper()
	s := parseSample(t)
	return Doc{
		Command: "make bench",
		Elapsed: 7*time.Minute + 12*time.Second + 400*time.Millisecond,
		Machine: Machine{CPU: "from /proc", Cores: 2, MemBytes: 8 << 30, OS: "linux", Arch: "arm64", Kernel: "6.1.0", GoVersion: "go1.26.8",
			Date: time.Date(2026, 5, 1, 12, 30, 0, 0, time.FixedZone("CEST", 2*3600))},
		Set:     s,
		Rows:    Evaluate(s, Figures()),
		TrimPkg: "github.com/webhealth/webhealth/",
		Notes:   DefaultNotes,
	}
}

// TestRenderGolden renders the sample output; go test -run TestRenderGolden -update rewrites the golden file.
func TestRenderGolden(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	require.NoError(t, Render(&b, sampleDoc(t)))
	golden := filepath.Join("testdata", "benchmarks.golden.md")
	if *update {
		require.NoError(t, os.WriteFile(golden, b.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), b.String())
}

func TestRenderSections(t *testing.T) {
	t.Parallel()
	doc := sampleDoc(t)
	var b bytes.Buffer
	require.NoError(t, Render(&b, doc))
	out := b.String()
	for _, want := range []string{
		"```sh\nmake bench\n```", "The run took 7m12s.",
		"- **CPU:** AMD EPYC\n", // the cpu: line of go test wins over /proc
		"- **Cores:** 2 (runtime.NumCPU)\n", "- **GOMAXPROCS:** 2\n", "- **Memory:** 8.0 GiB\n",
		"- **OS/arch:** linux/amd64 (kernel 6.1.0)\n", "- **Go:** go1.26.8\n", "- **Date:** 2026-05-01 10:30 UTC\n",
		"40 met, 2 MISSED, 34 reported, 12 not run.",
		"| Cold start urlapi: package init | ≤ 5 ms | 5.3 ms | MISSED |\n",
		"| internal/crawler | BenchmarkSchedule/N=10000/C=10 | 1 | 301.0 ns/op, 100000 ideal-ms, 1.340 over-ideal-%, 101340 wall-ms, 0 B/op, 0 allocs/op |\n",
	} {
		assert.Contains(t, out, want)
	}
	all := out[strings.Index(out, "## All results"):]
	assert.Equal(t, len(doc.Set.Results), strings.Count(all, "\n| internal/")+strings.Count(all, "\n| test/")+strings.Count(all, "\n| tools/"))
	assert.True(t, strings.HasSuffix(out, "\n"+NotesMarker+"\n"+DefaultNotes))
	assert.NotContains(t, out, "carried over")

	doc.Elapsed = 0
	doc.Carried = 27
	b.Reset()
	require.NoError(t, Render(&b, doc))
	assert.NotContains(t, b.String(), "The run took")
	assert.Contains(t, b.String(), "This command ran some benchmarks only: the other 27 results, and the figures read from them, are carried over")
}

func TestNotesSurviveRendering(t *testing.T) {
	t.Parallel()
	for name, notes := range map[string]string{
		"default":             DefaultNotes,
		"edited":              "\n## What was changed\n\n- pooled buffers: 0.31 → 0.14 ms/probe\n\n| a | b |\n|---|---|\n",
		"empty":               "",
		"no final newline":    "\nsee PR 42",
		"with another marker": "\n" + NotesMarker + "\nkept too\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			doc := sampleDoc(t)
			doc.Notes = notes
			var b bytes.Buffer
			require.NoError(t, Render(&b, doc))
			kept, ok := KeptNotes(b.Bytes())
			require.True(t, ok)
			assert.Equal(t, notes, kept)
		})
	}
}

func TestKeptNotes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		existing string
		want     string
		ok       bool
	}{
		{name: "no file content", existing: "", ok: false},
		{name: "no marker", existing: "# Benchmarks\n\nold table\n", ok: false},
		{name: "marker inside a line is not the marker", existing: "text " + NotesMarker + "\nnotes\n", ok: false},
		{name: "everything after the marker line", existing: "# B\n" + NotesMarker + "\n\n## Changed\n\n  indented\n\n", want: "\n## Changed\n\n  indented\n\n", ok: true},
		{name: "marker as the last line without newline", existing: "# B\n" + NotesMarker, want: "", ok: true},
		{name: "CRLF file", existing: "# B\r\n" + NotesMarker + "\r\nnotes\r\n", want: "notes\r\n", ok: true},
		{name: "first marker wins", existing: NotesMarker + "\na\n" + NotesMarker + "\nb\n", want: "a\n" + NotesMarker + "\nb\n", ok: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := KeptNotes([]byte(tc.existing))
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestNum(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]string{
		0: "0", 40: "40", 101340: "101340", 1e15: "1000000000000000", 204.1: "204", 13.4: "13.4", 10.04: "10", 1.2: "1.2", 1.25: "1.25",
		1.1383: "1.14", 8.5: "8.5", 0.1432: "0.143", 0.2: "0.2", 0.000123: "0.000123", -2.5: "-2.5", math.NaN(): "NaN", math.Inf(1): "+Inf",
	} {
		assert.Equal(t, want, num(in), "%v", in)
	}
}

func TestCell(t *testing.T) {
	t.Parallel()
	assert.Equal(t, `a \| b`, cell(" a | b "))
	assert.Equal(t, `skipped: \`+"`"+`x\`+"`"+` &lt;nil&gt; \*y\* \_z\_ \[l\] \\`, cell("skipped: `x` <nil> *y* _z_ [l] \\"))
}

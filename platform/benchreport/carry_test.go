package benchreport

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A document's All results table reads back as the results it was rendered from, but for Procs,
// which it drops.
func TestCarriedResultsRoundTrip(t *testing.T) {
	t.Parallel()
	d := sampleDoc(t)
	d.Set.Results = append(d.Set.Results, Result{
		Pkg: "github.com/webhealth/webhealth/tools/peers", Name: "BenchmarkPeers/N=1000/proto=https/prober=blackbox_exporter",
		Procs: 2, Iters: 1, Metrics: []Metric{{Unit: "cpu-us/probe", Value: 1190, Text: "1190"}, {Unit: "a|b*<c>", Value: 0.5, Text: "0.5"}},
	})
	var b strings.Builder
	require.NoError(t, Render(&b, d))

	got, err := CarriedResults([]byte(b.String()), d.TrimPkg)
	require.NoError(t, err)
	want := make([]Result, len(d.Set.Results))
	for i, r := range d.Set.Results {
		r.Procs = 0
		want[i] = r
	}
	assert.Equal(t, want, got)
}

func TestCarriedResults(t *testing.T) {
	t.Parallel()
	const table = "## All results\n\nEvery benchmark line.\n\n| Package | Benchmark | Iterations | Metrics |\n|---|---|---|---|\n"
	tests := []struct {
		name    string
		doc     string
		want    []Result
		wantErr string
	}{
		{name: "no table", doc: "# Benchmarks\n\nnothing yet\n"},
		{name: "the table ends at the first other line", doc: table + "| internal/api | BenchmarkX | 3 | 1.5 ns/op |\n\n<!-- notes -->\n| x | BenchmarkY | 1 | 1 a |\n",
			want: []Result{{Pkg: "p/internal/api", Name: "BenchmarkX", Iters: 3, Metrics: []Metric{{Unit: "ns/op", Value: 1.5, Text: "1.5"}}}}},
		{name: "a row without a package", doc: table + "|  | BenchmarkX | 1 | 2 B/op |\n",
			want: []Result{{Name: "BenchmarkX", Iters: 1, Metrics: []Metric{{Unit: "B/op", Value: 2, Text: "2"}}}}},
		{name: "a row with a cell too few", doc: table + "| internal/api | BenchmarkX | 1.5 ns/op |\n", wantErr: "line 7: 3 cells, want 4"},
		{name: "not a benchmark", doc: table + "| internal/api | TestX | 1 | 1 a |\n", wantErr: `not a benchmark name: "TestX"`},
		{name: "bad iterations", doc: table + "| internal/api | BenchmarkX | many | 1 a |\n", wantErr: `iterations "many"`},
		{name: "a metric without its unit", doc: table + "| internal/api | BenchmarkX | 1 | 1.5 |\n", wantErr: `metric "1.5": want <value> <unit>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := CarriedResults([]byte(tc.doc), "p/")
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

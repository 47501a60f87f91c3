package benchreport

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const crawlerPkg = "github.com/webhealth/webhealth/internal/crawler"

// res builds a result from "unit", value pairs.
func res(pkg, name string, kv ...any) Result {
	r := Result{Pkg: pkg, Name: name, Procs: 2, Iters: 1}
	for i := 0; i < len(kv); i += 2 {
		r.Metrics = append(r.Metrics, Metric{Unit: kv[i].(string), Value: kv[i+1].(float64)})
	}
	return r
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	const bench = "BenchmarkSchedule/N=100/C=10"
	ref := Ref{"internal/crawler", bench, "over-ideal-%"}
	limit := Figure{Name: "f", Of: ref, Unit: "%", Rule: atMost(10)}
	ratio := Figure{Name: "f", Of: Ref{"internal/crawler", "BenchmarkM/body=1MiB", "peak-heap-MB"}, Per: &Ref{"internal/crawler", "BenchmarkM/body=1KiB", "peak-heap-MB"}, Unit: "×", Rule: atMost(1.25)}
	floor := Figure{Name: "f", Of: Ref{"internal/crawler", "BenchmarkC", "calls"}, Rule: equal("floor", Ref{"internal/crawler", "BenchmarkC", "floor"})}
	ahead := Figure{Name: "f", Of: Ref{"tools/peers", "BenchmarkP/prober=a", "cpu-us/probe"}, Per: &Ref{"tools/peers", "BenchmarkP/prober=b", "cpu-us/probe"}, Unit: "×", Rule: below(1)}
	peers := func(a, b float64) Set {
		return Set{Results: []Result{res("tools/peers", "BenchmarkP/prober=a", "cpu-us/probe", a), res("tools/peers", "BenchmarkP/prober=b", "cpu-us/probe", b)}}
	}
	report := Figure{Name: "f", Of: ref, Unit: "%", Detail: []Shown{{"wall", Ref{"internal/crawler", bench, "wall-ms"}, "ms"}, {"ideal", Ref{"internal/crawler", bench, "ideal-ms"}, "ms"}}}
	sched := func(kv ...any) Result { return res(crawlerPkg, bench, kv...) }

	tests := []struct {
		name     string
		fig      Figure
		set      Set
		target   string
		measured string
		outcome  Outcome
	}{
		{name: "at the limit is met", fig: limit, set: Set{Results: []Result{sched("over-ideal-%", 10.0)}}, target: "≤ 10 %", measured: "10 %", outcome: Met},
		{name: "just over the limit is missed", fig: limit, set: Set{Results: []Result{sched("over-ideal-%", 10.01)}}, target: "≤ 10 %", measured: "10.01 %", outcome: Missed},
		{name: "well under", fig: limit, set: Set{Results: []Result{sched("over-ideal-%", 1.2)}}, measured: "1.2 %", outcome: Met},
		{name: "median of several runs", fig: limit, set: Set{Results: []Result{sched("over-ideal-%", 50.0), sched("over-ideal-%", 9.0), sched("over-ideal-%", 9.5)}}, measured: "9.5 %", outcome: Met},
		{name: "median of an even count", fig: limit, set: Set{Results: []Result{sched("over-ideal-%", 9.0), sched("over-ideal-%", 12.0)}}, measured: "10.5 %", outcome: Missed},
		{name: "absent benchmark is not run", fig: limit, set: Set{Results: []Result{res(crawlerPkg, bench+"0", "over-ideal-%", 1.0)}}, measured: "—", outcome: NotRun},
		{name: "same name in another package is not it", fig: limit, set: Set{Results: []Result{res("github.com/x/internal/crawlerx", bench, "over-ideal-%", 1.0)}}, measured: "—", outcome: NotRun},
		{name: "results without a package do not match", fig: limit, set: Set{Results: []Result{res("", bench, "over-ideal-%", 1.0)}}, measured: "—", outcome: NotRun},
		{name: "package given as a bare path matches", fig: limit, set: Set{Results: []Result{res("internal/crawler", bench, "over-ideal-%", 1.0)}}, measured: "1 %", outcome: Met},
		{name: "metric missing from the benchmark", fig: limit, set: Set{Results: []Result{sched("wall-ms", 1012.0)}}, measured: bench + " reported no over-ideal-%", outcome: NotRun},
		{name: "skipped parent with its reason", fig: limit, set: Set{Statuses: []Status{{Pkg: crawlerPkg, Name: "BenchmarkSchedule", State: "skipped", Reason: "no stack"}}}, measured: "skipped: no stack", outcome: NotRun},
		{name: "failed benchmark", fig: limit, set: Set{Statuses: []Status{{Pkg: crawlerPkg, Name: bench, State: "failed"}}}, measured: "failed", outcome: NotRun},
		{name: "a status of a sibling does not count", fig: limit, set: Set{Statuses: []Status{{Pkg: crawlerPkg, Name: "BenchmarkSchedule/N=100/C=1", State: "failed"}}}, measured: "—", outcome: NotRun},
		{name: "a result wins over a skip", fig: limit, set: Set{Results: []Result{sched("over-ideal-%", 3.0)}, Statuses: []Status{{Pkg: crawlerPkg, Name: bench, State: "skipped"}}}, measured: "3 %", outcome: Met},
		{name: "reported with details", fig: report, set: Set{Results: []Result{sched("wall-ms", 1012.0, "ideal-ms", 1000.0, "over-ideal-%", 1.2)}}, target: "—", measured: "1.2 % (wall 1012 ms, ideal 1000 ms)", outcome: Reported},
		{name: "a missing detail is left out", fig: report, set: Set{Results: []Result{sched("wall-ms", 1012.0, "over-ideal-%", 1.2)}}, measured: "1.2 % (wall 1012 ms)", outcome: Reported},
		{name: "ratio at its limit", fig: ratio, set: Set{Results: []Result{res(crawlerPkg, "BenchmarkM/body=1MiB", "peak-heap-MB", 50.0), res(crawlerPkg, "BenchmarkM/body=1KiB", "peak-heap-MB", 40.0)}}, target: "≤ 1.25×", measured: "1.25×", outcome: Met},
		{name: "ratio over its limit", fig: ratio, set: Set{Results: []Result{res(crawlerPkg, "BenchmarkM/body=1MiB", "peak-heap-MB", 50.1), res(crawlerPkg, "BenchmarkM/body=1KiB", "peak-heap-MB", 40.0)}}, measured: "1.2525×", outcome: Missed},
		{name: "ratio without its denominator", fig: ratio, set: Set{Results: []Result{res(crawlerPkg, "BenchmarkM/body=1MiB", "peak-heap-MB", 50.0)}}, measured: "—", outcome: NotRun},
		{name: "ratio over zero", fig: ratio, set: Set{Results: []Result{res(crawlerPkg, "BenchmarkM/body=1MiB", "peak-heap-MB", 50.0), res(crawlerPkg, "BenchmarkM/body=1KiB", "peak-heap-MB", 0.0)}}, measured: "n/a: peak-heap-MB of BenchmarkM/body=1KiB is 0", outcome: NotRun},
		{name: "ratio below its limit", fig: ahead, set: peers(99, 100), target: "< 1×", measured: "0.99×", outcome: Met},
		{name: "ratio at a below limit is missed", fig: ahead, set: peers(100, 100), target: "< 1×", measured: "1×", outcome: Missed},
		{name: "ratio just over a below limit shows its digits", fig: ahead, set: peers(100.1, 100), measured: "1.001×", outcome: Missed},
		{name: "at the floor", fig: floor, set: Set{Results: []Result{res(crawlerPkg, "BenchmarkC", "calls", 10.0, "floor", 10.0)}}, target: "= floor", measured: "10 (floor 10)", outcome: Met},
		{name: "above the floor", fig: floor, set: Set{Results: []Result{res(crawlerPkg, "BenchmarkC", "calls", 11.0, "floor", 10.0)}}, measured: "11 (floor 10)", outcome: Missed},
		{name: "floor not reported", fig: floor, set: Set{Results: []Result{res(crawlerPkg, "BenchmarkC", "calls", 10.0)}}, measured: "BenchmarkC reported no floor", outcome: NotRun},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rows := Evaluate(tc.set, []Figure{tc.fig})
			require.Len(t, rows, 1)
			if tc.target != "" {
				assert.Equal(t, tc.target, rows[0].Target)
			}
			assert.Equal(t, tc.measured, rows[0].Measured)
			assert.Equal(t, tc.outcome, rows[0].Outcome)
		})
	}
}

// TestEvaluateSample reads the sample output (the agreed benchmark names and units): every figure
// is found except the end-to-end ones, skipped for want of a local stack, and the sample's two slow
// figures are missed.
func TestEvaluateSample(t *testing.T) {
	t.Parallel()
	rows := Evaluate(parseSample(t), Figures())
	got := map[string]Row{}
	for _, r := range rows {
		_, dup := got[r.Figure]
		require.False(t, dup, "figure names must be unique: %s", r.Figure)
		got[r.Figure] = r
	}
	var missed, notRun []string
	for _, r := range rows {
		switch r.Outcome {
		case Missed:
			missed = append(missed, r.Figure)
		case NotRun:
			notRun = append(notRun, r.Figure)
			if strings.Contains(r.Figure, "gatus") {
				assert.True(t, strings.HasPrefix(r.Measured, "skipped: not pinned: the Go module proxy answers 403"), r.Measured)
				continue
			}
			assert.Equal(t, "skipped: no local stack: .local/env not found (run make local-up)", r.Measured, r.Figure)
			assert.Contains(t, r.Figure, "end to end")
		}
	}
	assert.Equal(t, []string{"Crawl N=10000, C=50: wall time over ideal", "Cold start urlapi: package init"}, missed)
	assert.Len(t, notRun, 6+6, "the end-to-end figures and Gatus's")

	for name, want := range map[string]Row{
		"Crawl N=100, C=10: wall time over ideal":                                        {Target: "≤ 10 %", Measured: "1.2 % (wall 1012 ms, ideal 1000 ms)", Outcome: Met},
		"Crawl N=100, C=200: wall time over ideal":                                       {Target: "—", Measured: "31 % (wall 131 ms, ideal 100 ms)", Outcome: Reported},
		"Crawl N=100: speed-up of C=50 over the sequential baseline":                     {Target: "—", Measured: "49.5× (sequential 10093 ms, C=50 204 ms)", Outcome: Reported},
		"Probe CPU time (16 in flight, as a run probes)":                                 {Target: "≤ 0.2 ms", Measured: "0.143 ms", Outcome: Met},
		"Probe allocations":                                                              {Target: "—", Measured: "52 allocs", Outcome: Reported},
		"Peak heap, 1 MiB over 1 KiB bodies":                                             {Target: "≤ 1.25×", Measured: "1.14×", Outcome: Met},
		"PutMetricData calls per crawl (N=10000)":                                        {Target: "= floor", Measured: "40 (floor 40, datums 40000)", Outcome: Met},
		"Artifact crawler (arm64): zip":                                                  {Target: "≤ 3.5 MB", Measured: "3.21 MB", Outcome: Met},
		"Cold start urlapi: package init":                                                {Target: "≤ 5 ms", Measured: "5.3 ms", Outcome: Missed},
		"API list, in-process: p99":                                                      {Target: "≤ 1000 µs", Measured: "122 µs", Outcome: Met},
		"Alarm logger, batch=100":                                                        {Target: "—", Measured: "211977 records/s", Outcome: Reported},
		"Interval N=1000, 16 hanging first in scan order: hanging targets reported down": {Target: "= hanging", Measured: "16 (hanging 16)", Outcome: Met},
		"Alarm backlog of 2000 alarms (N=1000): Availability datums published":           {Target: "= targets", Measured: "1000 (targets 1000, alarms created 120, pending 1880, wall 12.5 s)", Outcome: Met},
	} {
		want.Figure = name
		assert.Equal(t, want, got[name], name)
	}
}

// TestFiguresCoverTheIssue: every figure the issue asks for has a row, with a target where the issue sets one.
func TestFiguresCoverTheIssue(t *testing.T) {
	t.Parallel()
	var targets, reportedOnly int
	bench := map[string]bool{}
	for _, f := range Figures() {
		bench[f.Of.Bench] = true
		if f.Rule.kind == ruleReport {
			reportedOnly++
		} else {
			targets++
		}
		assert.True(t, isBenchName(f.Of.Bench), f.Of.Bench)
		assert.NotEmpty(t, f.Of.Unit, f.Name)
		assert.True(t, strings.HasPrefix(f.Of.Pkg, "internal/") || f.Of.Pkg == "test/bench" || f.Of.Pkg == pkgPeers, f.Of.Pkg)
	}
	// 6 schedule rows (C=10, 50 at three N), probe CPU, heap ratio, 2 floors, 8 artifact sizes,
	// 3 cold start p50 and 3 init, 3 API p99; against each of the 2 peers on HTTP and HTTPS, CPU
	// per probe and wall time; for each of the 3 interval runs judged, skipped and hanging down, and
	// the alarm backlog's published datums and judged targets.
	assert.Equal(t, 6+1+1+2+8+3+3+3+2*2*2+3*3+2, targets)
	for _, name := range []string{
		"BenchmarkSchedule/N=100/C=1", "BenchmarkSchedule/N=10000/C=200", "BenchmarkProbeCPU",
		"BenchmarkCrawlMemory/N=10000/body=1KiB", "BenchmarkCrawlMemory/N=10000/body=1MiB", "BenchmarkCrawlAWSCalls/N=10000",
		"BenchmarkArtifact/fn=urlapi", "BenchmarkColdStart/fn=alarmlogger", "BenchmarkHandlerLatency/op=get",
		"BenchmarkAPIEndToEnd/op=list", "BenchmarkHandlerThroughput/batch=10", "BenchmarkPeers/N=1000/proto=https/prober=webhealth",
		"BenchmarkCrawlInterval/N=20000/run=first", "BenchmarkCrawlInterval/N=20000/run=steady",
		"BenchmarkCrawlStarvation/N=1000/hanging=16", "BenchmarkCrawlAlarmBacklog/N=1000/alarms=2000",
	} {
		assert.True(t, bench[name], name)
	}
}

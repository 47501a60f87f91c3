package benchreport

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A Ref names one reported number: a benchmark of a package and a unit of b.ReportMetric (or ns/op,
// B/op, allocs/op). Pkg matches an import path by its trailing elements ("internal/crawler").
type Ref struct {
	Pkg, Bench, Unit string
}

// A Figure is one row of the Targets table: a number read from the results (Of, or Of/Per), shown in
// Unit, with the Rule it must meet and other numbers that explain it (Detail).
type Figure struct {
	Name   string
	Of     Ref
	Per    *Ref // when set the figure is the ratio Of/Per
	Unit   string
	Rule   Rule
	Detail []Shown
}

// A Shown is a number printed next to a figure's value, e.g. "ideal 1000 ms".
type Shown struct {
	Label string
	Ref   Ref
	Unit  string
}

// A Rule is a figure's target. The zero Rule only reports.
type Rule struct {
	kind  ruleKind
	limit float64
	ref   Shown
}

type ruleKind int

const (
	ruleReport ruleKind = iota
	ruleAtMost
	ruleBelow
	ruleEqual
)

func reported() Rule            { return Rule{} }
func atMost(limit float64) Rule { return Rule{kind: ruleAtMost, limit: limit} }
func below(limit float64) Rule  { return Rule{kind: ruleBelow, limit: limit} }

// equal requires the figure to equal another number of the same benchmark (its floor).
func equal(label string, r Ref) Rule { return Rule{kind: ruleEqual, ref: Shown{Label: label, Ref: r}} }

const (
	pkgCrawler  = "internal/crawler"
	pkgAPI      = "internal/api"
	pkgAlarmlog = "internal/alarmlog"
	pkgNotify   = "internal/notify"
	pkgBench    = "test/bench"
)

// Figures is the Targets table of issue 6 in the order of the issue, read by the benchmark names and
// b.ReportMetric units the benchmarks agreed on (BenchmarkSchedule/N=<n>/C=<c>: wall-ms, ideal-ms,
// over-ideal-%; BenchmarkColdStart/fn=<fn>: start-ms-p50, ...), then the peer comparison and the
// interval runs of issue 12 (peerFigures, intervalFigures). Adding a figure is adding a line.
func Figures() []Figure {
	const (
		probe  = "BenchmarkProbeCPU"
		calls  = "BenchmarkCrawlAWSCalls/N=10000"
		memKiB = "BenchmarkCrawlMemory/N=10000/body=1KiB"
		memMiB = "BenchmarkCrawlMemory/N=10000/body=1MiB"
	)
	return append([]Figure{
		// 1. Crawler scheduling: wall time against the ideal ceil(N/C)·D.
		schedule(100, 1, reported()),
		schedule(100, 10, atMost(10)),
		schedule(100, 50, atMost(10)),
		schedule(100, 200, reported()),
		schedule(1000, 10, atMost(10)),
		schedule(1000, 50, atMost(10)),
		schedule(1000, 200, reported()),
		schedule(10000, 10, atMost(10)),
		schedule(10000, 50, atMost(10)),
		schedule(10000, 200, reported()),
		{Name: "Crawl N=100: speed-up of C=50 over the sequential baseline", Of: sched(100, 1, "wall-ms"), Per: ptr(sched(100, 50, "wall-ms")), Unit: "×", Detail: []Shown{{"sequential", sched(100, 1, "wall-ms"), "ms"}, {"C=50", sched(100, 50, "wall-ms"), "ms"}}},
		// 2. Cost per probe (plain HTTP, phase timing on).
		{Name: "Probe CPU time (16 in flight, as a run probes)", Of: Ref{pkgCrawler, probe, "cpu-ms/probe"}, Unit: "ms", Rule: atMost(0.2)},
		{Name: "Probe CPU time, one probe at a time", Of: Ref{pkgCrawler, probe, "seq-cpu-ms/probe"}, Unit: "ms"},
		{Name: "Probe allocations", Of: Ref{pkgCrawler, probe, "allocs/op"}, Unit: "allocs"},
		{Name: "Probe bytes allocated", Of: Ref{pkgCrawler, probe, "B/op"}, Unit: "B"},
		overhead(1000), overhead(10000),
		// 3. Peak memory at 10,000 targets must not grow with the body size.
		{Name: "Crawl N=10000, 1 KiB bodies: peak heap", Of: Ref{pkgCrawler, memKiB, "peak-heap-MB"}, Unit: "MB", Detail: []Shown{{"peak RSS", Ref{pkgCrawler, memKiB, "peak-rss-MB"}, "MB"}}},
		{Name: "Crawl N=10000, 1 MiB bodies: peak heap", Of: Ref{pkgCrawler, memMiB, "peak-heap-MB"}, Unit: "MB", Detail: []Shown{{"peak RSS", Ref{pkgCrawler, memMiB, "peak-rss-MB"}, "MB"}}},
		{Name: "Peak heap, 1 MiB over 1 KiB bodies", Of: Ref{pkgCrawler, memMiB, "peak-heap-MB"}, Per: &Ref{pkgCrawler, memKiB, "peak-heap-MB"}, Unit: "×", Rule: atMost(1.25)},
		// 4. AWS calls per steady-state crawl of 10,000 targets, at the batching floor.
		{Name: "PutMetricData calls per crawl (N=10000)", Of: Ref{pkgCrawler, calls, "PutMetricData-calls"}, Rule: equal("floor", Ref{pkgCrawler, calls, "PutMetricData-floor"}), Detail: []Shown{{"datums", Ref{pkgCrawler, calls, "datums"}, ""}}},
		{Name: "DynamoDB write calls per crawl (N=10000)", Of: Ref{pkgCrawler, calls, "DynamoDB-write-calls"}, Rule: equal("floor", Ref{pkgCrawler, calls, "DynamoDB-write-floor"})},
		{Name: "Alarm API calls per steady-state crawl (N=10000)", Of: Ref{pkgCrawler, calls, "alarm-API-calls"}},
		// 5. Artifact size (arm64).
		artifact("crawler", "bootstrap-MB", 8.5), artifact("crawler", "zip-MB", 3.5),
		artifact("alarmlogger", "bootstrap-MB", 8.5), artifact("alarmlogger", "zip-MB", 3.5),
		artifact("urlapi", "bootstrap-MB", 8.5), artifact("urlapi", "zip-MB", 3.5),
		artifact("notifier", "bootstrap-MB", 8.5), artifact("notifier", "zip-MB", 3.5),
		// 6. Cold start proxy: process start to first answered invocation; package init.
		coldStart("crawler", "start-ms-p50", atMost(10)), coldStart("crawler", "start-ms-p90", reported()), coldStart("crawler", "ready-ms", reported()), coldStart("crawler", "init-ms", atMost(5)),
		coldStart("alarmlogger", "start-ms-p50", atMost(10)), coldStart("alarmlogger", "start-ms-p90", reported()), coldStart("alarmlogger", "ready-ms", reported()), coldStart("alarmlogger", "init-ms", atMost(5)),
		coldStart("urlapi", "start-ms-p50", atMost(10)), coldStart("urlapi", "start-ms-p90", reported()), coldStart("urlapi", "ready-ms", reported()), coldStart("urlapi", "init-ms", atMost(5)),
		// 7. API handler overhead, in-process with an in-memory store.
		apiInProcess("create", "p50-us", reported()), apiInProcess("create", "p99-us", atMost(1000)),
		apiInProcess("get", "p50-us", reported()), apiInProcess("get", "p99-us", atMost(1000)),
		apiInProcess("list", "p50-us", reported()), apiInProcess("list", "p99-us", atMost(1000)),
		// 8. API end to end through the local stack (moto-bound, reported).
		apiEndToEnd("create", "p50-ms"), apiEndToEnd("create", "p99-ms"),
		apiEndToEnd("get", "p50-ms"), apiEndToEnd("get", "p99-ms"),
		apiEndToEnd("list", "p50-ms"), apiEndToEnd("list", "p99-ms"),
		// 9. Alarm logger throughput with an in-memory store.
		{Name: "Alarm logger, batch=10", Of: Ref{pkgAlarmlog, "BenchmarkHandlerThroughput/batch=10", "records/s"}, Unit: "records/s"},
		{Name: "Alarm logger, batch=100", Of: Ref{pkgAlarmlog, "BenchmarkHandlerThroughput/batch=100", "records/s"}, Unit: "records/s"},
		// 10. Notifier, in-process: one alarm notification to four channels (json, slack, teams, pagerduty).
		{Name: "Notifier, one notification to 4 channels, in-process", Of: Ref{pkgNotify, "BenchmarkHandler", "ns/op"}, Unit: "ns",
			Detail: []Shown{{"posts/s", Ref{pkgNotify, "BenchmarkHandler", "posts/s"}, ""}, {"allocs", Ref{pkgNotify, "BenchmarkHandler", "allocs/op"}, ""}}},
	}, append(peerFigures(), intervalFigures()...)...)
}

func ptr[T any](v T) *T { return &v }

func sched(n, c int, unit string) Ref {
	return Ref{pkgCrawler, fmt.Sprintf("BenchmarkSchedule/N=%d/C=%d", n, c), unit}
}

func schedule(n, c int, r Rule) Figure {
	name := fmt.Sprintf("Crawl N=%d, C=%d: wall time over ideal", n, c)
	if c == 1 {
		name = fmt.Sprintf("Crawl N=%d, sequential baseline: wall time over ideal", n)
	}
	return Figure{Name: name, Of: sched(n, c, "over-ideal-%"), Unit: "%", Rule: r,
		Detail: []Shown{{"wall", sched(n, c, "wall-ms"), "ms"}, {"ideal", sched(n, c, "ideal-ms"), "ms"}}}
}

func artifact(fn, unit string, limit float64) Figure {
	what := map[string]string{"zip-MB": "zip", "bootstrap-MB": "bootstrap, unzipped"}[unit]
	return Figure{Name: fmt.Sprintf("Artifact %s (arm64): %s", fn, what), Of: Ref{pkgBench, "BenchmarkArtifact/fn=" + fn, unit}, Unit: "MB", Rule: atMost(limit)}
}

func coldStart(fn, unit string, r Rule) Figure {
	what := map[string]string{"start-ms-p50": "start to first answer, p50", "start-ms-p90": "start to first answer, p90", "ready-ms": "start to first /next (Init Duration)", "init-ms": "package init"}[unit]
	return Figure{Name: fmt.Sprintf("Cold start %s: %s", fn, what), Of: Ref{pkgBench, "BenchmarkColdStart/fn=" + fn, unit}, Unit: "ms", Rule: r}
}

func apiInProcess(op, unit string, r Rule) Figure {
	return Figure{Name: fmt.Sprintf("API %s, in-process: %s", op, strings.TrimSuffix(unit, "-us")), Of: Ref{pkgAPI, "BenchmarkHandlerLatency/op=" + op, unit}, Unit: "µs", Rule: r}
}

func apiEndToEnd(op, unit string) Figure {
	return Figure{Name: fmt.Sprintf("API %s, end to end (local stack): %s", op, strings.TrimSuffix(unit, "-ms")), Of: Ref{pkgBench, "BenchmarkAPIEndToEnd/op=" + op, unit}, Unit: "ms"}
}

// An Outcome is the Result column of the Targets table.
type Outcome string

// The outcomes: a figure with a target meets or misses it; one without only reports; one whose
// benchmark is absent from the input (skipped, failed, not run on this machine) is not run.
const (
	Met      Outcome = "met"
	Missed   Outcome = "MISSED"
	Reported Outcome = "reported"
	NotRun   Outcome = "not run"
)

// A Row is one evaluated figure.
type Row struct {
	Figure, Target, Measured string
	Outcome                  Outcome
}

// Evaluate reads every figure from the results. A figure read from several lines of the same
// benchmark (-count, several files) takes the median.
func Evaluate(s Set, figures []Figure) []Row {
	rows := make([]Row, 0, len(figures))
	for _, f := range figures {
		rows = append(rows, evaluate(s, f))
	}
	return rows
}

func evaluate(s Set, f Figure) Row {
	row := Row{Figure: f.Name, Target: f.Rule.text(f.Unit), Outcome: NotRun}
	v, why := s.lookup(f.Of)
	if why != "" {
		row.Measured = why
		return row
	}
	if f.Per != nil {
		d, why := s.lookup(*f.Per)
		if why != "" {
			row.Measured = why
			return row
		}
		if d == 0 {
			row.Measured = fmt.Sprintf("n/a: %s of %s is 0", f.Per.Unit, f.Per.Bench)
			return row
		}
		v /= d
	}
	details := f.Detail
	switch f.Rule.kind {
	case ruleReport:
		row.Outcome = Reported
	case ruleAtMost:
		row.Outcome = outcome(v <= f.Rule.limit)
	case ruleBelow:
		row.Outcome = outcome(v < f.Rule.limit)
	case ruleEqual:
		ref, why := s.lookup(f.Rule.ref.Ref)
		if why != "" {
			row.Measured = why
			return row
		}
		row.Outcome = outcome(v == ref)
		details = append([]Shown{f.Rule.ref}, details...)
	}
	row.Measured = withUnit(v, f.Unit)
	if (f.Rule.kind == ruleAtMost || f.Rule.kind == ruleBelow) && row.Outcome == Missed && num(v) == num(f.Rule.limit) {
		// Rounded, a value just over its limit would read as the limit itself.
		row.Measured = strings.Replace(row.Measured, num(v), strconv.FormatFloat(v, 'f', -1, 64), 1)
	}
	var parts []string
	for _, d := range details {
		if dv, why := s.lookup(d.Ref); why == "" {
			parts = append(parts, d.Label+" "+withUnit(dv, d.Unit))
		}
	}
	if len(parts) > 0 {
		row.Measured += " (" + strings.Join(parts, ", ") + ")"
	}
	return row
}

func outcome(ok bool) Outcome {
	if ok {
		return Met
	}
	return Missed
}

func (r Rule) text(unit string) string {
	switch r.kind {
	case ruleAtMost:
		return "≤ " + withUnit(r.limit, unit)
	case ruleBelow:
		return "< " + withUnit(r.limit, unit)
	case ruleEqual:
		return "= " + r.ref.Label
	}
	return "—"
}

// lookup returns the median of ref over the results, or why there is none.
func (s Set) lookup(ref Ref) (float64, string) {
	var vals []float64
	ran := false
	for _, r := range s.Results {
		if r.Name != ref.Bench || !pkgMatch(r.Pkg, ref.Pkg) {
			continue
		}
		ran = true
		if v, ok := r.Metric(ref.Unit); ok {
			vals = append(vals, v)
		}
	}
	switch {
	case len(vals) > 0:
		return median(vals), ""
	case ran:
		return 0, fmt.Sprintf("%s reported no %s", ref.Bench, ref.Unit)
	}
	if st, ok := s.status(ref); ok {
		if st.Reason == "" {
			return 0, st.State
		}
		return 0, st.State + ": " + st.Reason
	}
	return 0, "—"
}

// status finds a SKIP or FAIL of the benchmark or of a parent of it (BenchmarkX skips all of BenchmarkX/op=...).
func (s Set) status(ref Ref) (Status, bool) {
	for i := len(s.Statuses) - 1; i >= 0; i-- {
		st := s.Statuses[i]
		if pkgMatch(st.Pkg, ref.Pkg) && (st.Name == ref.Bench || strings.HasPrefix(ref.Bench, st.Name+"/")) {
			return st, true
		}
	}
	return Status{}, false
}

// pkgMatch reports whether import path pkg ends with the path elements want.
func pkgMatch(pkg, want string) bool {
	return pkg == want || strings.HasSuffix(pkg, "/"+want)
}

func median(vals []float64) float64 {
	v := slices.Clone(vals)
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// overhead is a whole run's CPU per target on top of the bare probes of the same targets
// (BenchmarkRunOverhead; the bench fakes' own work included).
func overhead(n int) Figure {
	ref := func(unit string) Ref { return Ref{pkgCrawler, fmt.Sprintf("BenchmarkRunOverhead/N=%d", n), unit} }
	return Figure{Name: fmt.Sprintf("Run CPU over the bare probes, N=%d: per target", n), Of: ref("overhead-us/probe"), Unit: "µs",
		Detail: []Shown{{"bare probe", ref("bare-cpu-us/probe"), "µs"}, {"whole run", ref("run-cpu-us/probe"), "µs"}}}
}

package benchreport

// The interval figures of issue 12 (internal/crawler bench_interval_test.go): a run with the 60 s
// invocation of a one-minute schedule must judge every target, skip none and report every hanging
// target down, whatever the mix of slow, hanging and refusing sites (BenchmarkCrawlInterval), with the
// old starvation case (BenchmarkCrawlStarvation) and under an alarm backlog, where every check's
// Availability must still be published (BenchmarkCrawlAlarmBacklog).
const (
	intervalFirst  = "BenchmarkCrawlInterval/N=20000/run=first"
	intervalSteady = "BenchmarkCrawlInterval/N=20000/run=steady"
	intervalOne    = "BenchmarkCrawlInterval/N=20000/run=one-invocation"
	starvation     = "BenchmarkCrawlStarvation/N=1000/hanging=16"
	alarmBacklog   = "BenchmarkCrawlAlarmBacklog/N=1000/alarms=2000"
)

func intervalFigures() []Figure {
	var fs []Figure
	for _, c := range []struct{ bench, name string }{
		{intervalFirst, "Interval N=20000 (realistic mix), first run"},
		{intervalSteady, "Interval N=20000 (realistic mix), steady run"},
		{starvation, "Interval N=1000, 16 hanging first in scan order"},
	} {
		fs = append(fs, intervalRun(c.bench, c.name)...)
	}
	// One invocation without the fan-out: its capacity, not a target (the fan-out judges the rest).
	one := func(unit string) Ref { return Ref{pkgCrawler, intervalOne, unit} }
	fs = append(fs, Figure{Name: "Interval N=20000 (realistic mix), steady, one invocation without fan-out: targets judged", Of: one("judged"),
		Detail: []Shown{{"skipped", one("skipped"), ""}, {"wall", one("wall-s"), "s"}, {"CONCURRENCY", one("slots"), ""}}})
	ref := func(unit string) Ref { return Ref{pkgCrawler, alarmBacklog, unit} }
	return append(fs,
		Figure{Name: "Alarm backlog of 2000 alarms (N=1000): Availability datums published", Of: ref("availability-published"),
			Rule:   equal("targets", ref("targets")),
			Detail: []Shown{{"alarms created", ref("alarms-created"), ""}, {"pending", ref("alarms-pending"), ""}, {"wall", ref("wall-s"), "s"}}},
		Figure{Name: "Alarm backlog of 2000 alarms (N=1000): targets judged", Of: ref("judged"), Rule: equal("targets", ref("targets")),
			Detail: []Shown{{"skipped", ref("skipped"), ""}}},
	)
}

// intervalRun is the figures of one interval benchmark: judged (all), skipped (none), hanging targets
// reported down (all), wall time against the interval and probe slots used against CONCURRENCY.
func intervalRun(bench, name string) []Figure {
	ref := func(unit string) Ref { return Ref{pkgCrawler, bench, unit} }
	return []Figure{
		{Name: name + ": targets judged", Of: ref("judged"), Rule: equal("targets", ref("targets")),
			Detail: []Shown{{"last_check written", ref("last-checks-written"), ""}, {"down", ref("down"), ""}}},
		{Name: name + ": targets skipped", Of: ref("skipped"), Rule: atMost(0)},
		{Name: name + ": hanging targets reported down", Of: ref("hanging-down"), Rule: equal("hanging", ref("hanging"))},
		{Name: name + ": wall time of the run", Of: ref("wall-s"), Unit: "s", Detail: []Shown{{"interval", ref("interval-s"), "s"}}},
		{Name: name + ": probe slots used (peak in flight)", Of: ref("peak-probes"), Detail: []Shown{{"CONCURRENCY", ref("slots"), ""}}},
	}
}

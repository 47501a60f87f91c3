package cost

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/webhealth/webhealth/platform/benchreport"
)

// Inputs are what one crawl costs, as measured in docs/benchmarks.md, and the deployment facts the
// model needs beside them.
type Inputs struct {
	// Measured (docs/benchmarks.md, All results).
	RunDatums          float64 // run-level datums per run (Region dimension only): datums of BenchmarkCrawlAWSCalls over its per-target ones
	DatumsPerCall      float64 // datums per PutMetricData call (the calls are at their floor: 1,000 a call)
	WritesPerTarget    float64 // last_check UpdateItem calls per target and run
	PagesPerAlarm      float64 // DescribeAlarms pages per alarm listed
	RunSecondsPerCheck float64 // wall seconds of a run per judged target (realistic mix, BenchmarkCrawlInterval one-invocation)
	RunFixedSeconds    float64 // a run's own overhead with in-region AWS latencies (BenchmarkScheduleAWSLatency N=1000 over its ideal)
	ChecksPerInvoke    float64 // targets one invocation judges in a one-minute interval (the same run)
	Slots              float64 // CONCURRENCY of that run

	// Facts of the deployment (internal/contract, modules/web-health defaults), not measured.
	ItemBytes      float64 // a target item with its last_check (<= 1 KB: one WRU a write)
	LambdaMemoryMB float64 // crawler.memory_mb default
	OpsAlarms      int     // ops alarms of a workload environment
	LeaseWrites    float64 // run lease PutItem + DeleteItem per run
	SQSPerShard    float64 // fan-out: SendMessage, ReceiveMessage, DeleteMessage per worker shard
	SQSIdlePolls   float64 // ReceiveMessage calls a month of the event source mapping's pollers on the empty shard queue
	GetMetricData  float64 // metrics the crawler requests per run (it calls no GetMetricData)
	// PerTargetMetric is the metrics a target publishes at every check, PerTargetDailyMetric those it
	// publishes in one hour of the day (CertDaysRemaining, https): billed one hour in 24.
	PerTargetMetric      map[Kind]int
	PerTargetDailyMetric map[Kind]int
	PerTargetAlarms      map[Kind]int
}

// Kind is a target's scheme and the PHASE_METRICS setting.
type Kind struct {
	HTTPS        bool
	PhaseMetrics bool
}

func (k Kind) String() string {
	s := "http"
	if k.HTTPS {
		s = "https"
	}
	if k.PhaseMetrics {
		return s + ", phase metrics on"
	}
	return s + ", PHASE_METRICS=false"
}

// Facts are the deployment facts: metrics per target at every check (Availability, Latency, DNSLatency,
// ConnectLatency, TTFB, with https TLSLatency; PHASE_METRICS=false keeps Availability and Latency), with
// https CertDaysRemaining in one hour of the day (internal/crawler certDue), alarms per target (availability, latency, with https certificate), the crawler's
// 256 MB, 24 ops alarms (with the fan-out's), the run lease's two writes, three SQS requests per fan-out
// shard and the idle polling of the shard queue.
var Facts = Inputs{
	ItemBytes: 444, LambdaMemoryMB: 256, OpsAlarms: 24, LeaseWrites: 2, SQSPerShard: 3,
	// Lambda's SQS pollers (5 at least) long-poll for 20 s: 3 calls a minute each, whatever the traffic.
	SQSIdlePolls:         5 * 3 * 60 * HoursPerMonth,
	PerTargetMetric:      map[Kind]int{{true, true}: 6, {true, false}: 2, {false, true}: 5, {false, false}: 2},
	PerTargetDailyMetric: map[Kind]int{{true, true}: 1, {true, false}: 1},
	PerTargetAlarms:      map[Kind]int{{true, true}: 3, {true, false}: 3, {false, true}: 2, {false, false}: 2},
}

// The benchmarks the measured inputs come from.
const (
	benchCalls    = "BenchmarkCrawlAWSCalls/N="
	benchInterval = "BenchmarkCrawlInterval/N=20000/run=one-invocation"
	benchFixed    = "BenchmarkScheduleAWSLatency/N=1000/C=50"
	pkgCrawler    = "internal/crawler"
)

var callsN = regexp.MustCompile(`^BenchmarkCrawlAWSCalls/N=(\d+)$`)

// Measured reads the inputs from a benchmarks document (make bench) over facts. The AWS-calls
// benchmark's targets are http with phase metrics on.
func Measured(doc []byte, trim string, facts Inputs) (Inputs, error) {
	results, err := benchreport.CarriedResults(doc, trim)
	if err != nil {
		return Inputs{}, err
	}
	in := facts
	metric := func(bench, unit string) (float64, error) {
		for _, r := range results {
			if r.Name == bench && (r.Pkg == pkgCrawler || strings.HasSuffix(r.Pkg, "/"+pkgCrawler)) {
				if v, ok := r.Metric(unit); ok {
					return v, nil
				}
				return 0, fmt.Errorf("%s reported no %s", bench, unit)
			}
		}
		return 0, fmt.Errorf("no result of %s in the document (run make bench)", bench)
	}
	var calls string
	var n float64
	for _, r := range results {
		if m := callsN.FindStringSubmatch(r.Name); m != nil {
			calls = r.Name
			n, _ = strconv.ParseFloat(m[1], 64)
		}
	}
	if calls == "" {
		return Inputs{}, errors.New("no result of " + benchCalls + "<n> in the document (run make bench)")
	}
	var errs []error
	get := func(bench, unit string) float64 {
		v, err := metric(bench, unit)
		errs = append(errs, err)
		return v
	}
	datums, putCalls := get(calls, "datums"), get(calls, "PutMetricData-calls")
	writes, alarmCalls := get(calls, "DynamoDB-write-calls"), get(calls, "alarm-API-calls")
	wall, judged, slots := get(benchInterval, "wall-s"), get(benchInterval, "judged"), get(benchInterval, "slots")
	fixedWall, fixedIdeal := get(benchFixed, "wall-ms"), get(benchFixed, "ideal-ms")
	if err := errors.Join(errs...); err != nil {
		return Inputs{}, err
	}
	httpOn := Kind{HTTPS: false, PhaseMetrics: true}
	in.RunDatums = datums - n*float64(facts.PerTargetMetric[httpOn])
	in.DatumsPerCall = datums / putCalls
	in.WritesPerTarget = writes / n
	in.PagesPerAlarm = alarmCalls / (n * float64(facts.PerTargetAlarms[httpOn]))
	in.RunSecondsPerCheck = wall / judged
	in.RunFixedSeconds = max(fixedWall-fixedIdeal, 0) / 1000
	in.ChecksPerInvoke, in.Slots = judged, slots
	if in.RunDatums < 0 || judged <= 0 || putCalls <= 0 {
		return Inputs{}, fmt.Errorf("the measured calls do not fit the model: %+v", in)
	}
	return in, nil
}

package crawler

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/webhealth/webhealth/internal/probe"
	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
)

// The interval benchmarks (issue 12, docs/benchmarks.md): does one run, given what a one-minute
// schedule gives it (a 60 s invocation), judge every target under slow, hanging and refusing sites
// and under an alarm backlog? The AWS fakes answer after in-region round trips, as in
// BenchmarkScheduleAWSLatency. Each reports, as custom metrics: targets, judged, skipped, down,
// hanging, hanging-down, wall-s (the run's work) against interval-s, and peak-probes (probe slots
// used) against slots (CONCURRENCY).

const (
	// benchInterval is the invocation deadline of a run on a one-minute schedule.
	benchInterval = 60 * time.Second
	// hangMS is how long a hanging target's server waits before answering: past any target timeout.
	hangMS = 10 * 60 * 1000
	// benchDBLatency and benchCWLatency are in-region round trips (BenchmarkScheduleAWSLatency).
	benchDBLatency = 5 * time.Millisecond
	benchCWLatency = 20 * time.Millisecond
)

// targetKind is how a bench target answers.
type targetKind int

const (
	answers targetKind = iota
	hangs
	refuses
)

// mixTarget is one target of a benchmark: how it answers and, when it does, after how long.
type mixTarget struct {
	kind  targetKind
	delay time.Duration
}

// mixURLs turns the targets into URLs on the bench server (round-robin over its addresses); a
// refusing target is a loopback port nothing listens on.
func mixURLs(b *testing.B, targets []mixTarget) []string {
	b.Helper()
	addrs, err := benchServerAddrs()
	if err != nil {
		b.Fatal(err)
	}
	closed := closedPort(b)
	urls := make([]string, len(targets))
	for i, t := range targets {
		delay := t.delay.Milliseconds()
		switch t.kind {
		case refuses:
			urls[i] = "http://" + closed + "/?n=" + strconv.Itoa(i)
			continue
		case hangs:
			delay = hangMS
		}
		q := url.Values{"delay_ms": {strconv.FormatInt(delay, 10)}, "size": {"2"}}.Encode()
		urls[i] = "http://" + addrs[i%len(addrs)] + "/?" + q
	}
	return urls
}

// closedPort is a loopback host:port that refuses connections: a port taken and let go.
func closedPort(b *testing.B) string {
	b.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		b.Fatal(err)
	}
	return addr
}

// slotProber counts the probes in flight and keeps their peak: the probe slots a run used. A
// worker's prober counts in its coordinator's (shared), so the peak is the fan-out's.
type slotProber struct {
	inner            Prober
	shared           *slotProber
	inFlight, peakIn atomic.Int64
}

func (p *slotProber) Probe(ctx context.Context, t target.Target) target.Observation {
	if p.shared != nil {
		return p.shared.probeWith(ctx, p.inner, t)
	}
	return p.probeWith(ctx, p.inner, t)
}

func (p *slotProber) probeWith(ctx context.Context, inner Prober, t target.Target) target.Observation {
	n := p.inFlight.Add(1)
	for peak := p.peakIn.Load(); n > peak && !p.peakIn.CompareAndSwap(peak, n); peak = p.peakIn.Load() {
	}
	defer p.inFlight.Add(-1)
	return inner.Probe(ctx, t)
}

// intervalBench is one benchmark's crawler, its fakes and its targets; with fan-out, the shard
// queue that runs its workers.
type intervalBench struct {
	c       *Crawler
	cfg     Config
	db      *benchDB
	cw      *benchCW
	slots   *slotProber
	targets []mixTarget
	queue   *benchShardQueue
}

// benchShardQueue is the shard queue and its event source mapping in one: each shard sent is
// delivered at once to a worker of its own (another Lambda instance: its own crawler on the same
// fakes and slot counter) in its own invocation of benchInterval, all in parallel.
type benchShardQueue struct {
	newWorker func() *Crawler
	wg        sync.WaitGroup
	mu        sync.Mutex
	sum       Summary
	workers   int
	err       error
}

func (q *benchShardQueue) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		ev, err := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: aws.ToString(e.Id), Body: aws.ToString(e.MessageBody), EventSource: "aws:sqs"}}})
		if err != nil {
			return nil, err
		}
		w := q.newWorker()
		q.wg.Add(1)
		go func() {
			defer q.wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), benchInterval)
			defer cancel()
			sum, err := w.Handle(ctx, ev)
			q.mu.Lock()
			defer q.mu.Unlock()
			q.workers++
			q.sum = addSummaries(q.sum, sum)
			if err != nil && q.err == nil {
				q.err = err
			}
		}()
		out.Successful = append(out.Successful, sqstypes.SendMessageBatchResultEntry{Id: e.Id})
	}
	return out, nil
}

// wait waits for the workers of a run and returns their summed summary, how many ran and the
// first error; it resets them for the next run.
func (q *benchShardQueue) wait() (Summary, int, error) {
	q.wg.Wait()
	q.mu.Lock()
	defer q.mu.Unlock()
	sum, n, err := q.sum, q.workers, q.err
	q.sum, q.workers, q.err = Summary{}, 0, nil
	return sum, n, err
}

// withFanOut makes the run fan out, as deployed: shards of the default MAX_SHARDS through the
// bench queue to workers reading their targets with the store's BatchGetEnabled.
func (ib *intervalBench) withFanOut(b *testing.B) *intervalBench {
	b.Helper()
	const queueURL = "https://sqs.eu-west-1.amazonaws.com/123456789012/bench-shards"
	ib.queue = &benchShardQueue{}
	ib.queue.newWorker = func() *Crawler {
		w := newTestCrawler(b, ib.cfg, ib.db, ib.cw)
		w.prober = &slotProber{inner: w.prober, shared: ib.slots}
		WithFanOut(ib.queue, queueURL, DefaultMaxShards, store.NewTargetBatches(ib.db, ib.cfg.URLsTable))(w)
		return w
	}
	WithFanOut(ib.queue, queueURL, DefaultMaxShards, store.NewTargetBatches(ib.db, ib.cfg.URLsTable))(ib.c)
	return ib
}

// newIntervalBench builds a crawler as prod runs it (the default deadline margin, retry delay and
// body limit) at concurrency conc over targets, each with the timeout timeoutOf gives it; the AWS
// fakes answer after in-region round trips and record each target's Availability.
func newIntervalBench(b *testing.B, conc int, targets []mixTarget, timeoutOf func(i int) time.Duration) *intervalBench {
	b.Helper()
	cfg := testConfig()
	cfg.Concurrency = conc
	cfg.AllowPrivateTargets = true
	cfg.DeadlineMargin = DefaultDeadlineMargin
	cfg.RetryDelay = probe.DefaultRetryDelay
	cfg.MaxBodyBytes = probe.DefaultMaxBodyBytes
	db, cw := newBenchDB(mixURLs(b, targets)), newBenchCW()
	db.mod = func(i int, t *target.Target) { t.TimeoutMS = int(timeoutOf(i).Milliseconds()) }
	db.latency, cw.latency = benchDBLatency, benchCWLatency
	c := newTestCrawler(b, cfg, db, cw)
	slots := &slotProber{inner: c.prober}
	c.prober = slots
	return &intervalBench{c: c, cfg: cfg, db: db, cw: cw, slots: slots, targets: targets}
}

// runInterval does one run with the invocation deadline of a one-minute schedule and returns its
// summary, its wall time and the calls it made; the run must not fail.
func (ib *intervalBench) runInterval(b *testing.B) (Summary, time.Duration) {
	b.Helper()
	ib.cw.mu.Lock()
	ib.cw.availability = map[string]float64{}
	ib.cw.mu.Unlock()
	ib.slots.peakIn.Store(0)
	ctx, cancel := context.WithTimeout(context.Background(), benchInterval)
	defer cancel()
	start := time.Now()
	sum, err := ib.c.Run(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if ib.queue != nil {
		ws, workers, err := ib.queue.wait()
		if err != nil {
			b.Fatal(err)
		}
		if workers != sum.Shards {
			b.Fatalf("%d workers ran for %d shards", workers, sum.Shards)
		}
		sum = addSummaries(sum, ws) // the run's counters are the workers' (Shards stays the coordinator's)
	}
	return sum, time.Since(start)
}

// report reports a run's figures; a target counts as reported down when its last Availability
// datum of the run is 0, and every hanging target must be.
func (ib *intervalBench) report(b *testing.B, sum Summary, wall time.Duration) {
	b.Helper()
	hanging, hangingDown := 0, 0
	ib.cw.mu.Lock()
	for i, t := range ib.targets {
		if t.kind != hangs {
			continue
		}
		hanging++
		if v, ok := ib.cw.availability[testID(i)]; ok && v == 0 {
			hangingDown++
		}
	}
	ib.cw.mu.Unlock()
	b.ReportMetric(float64(len(ib.targets)), "targets")
	b.ReportMetric(float64(sum.Checked), "judged")
	b.ReportMetric(float64(sum.Skipped), "skipped")
	b.ReportMetric(float64(sum.Down), "down")
	b.ReportMetric(float64(hanging), "hanging")
	b.ReportMetric(float64(hangingDown), "hanging-down")
	b.ReportMetric(float64(ib.db.writtenOnce()), "last-checks-written")
	b.ReportMetric(wall.Seconds(), "wall-s")
	b.ReportMetric(benchInterval.Seconds(), "interval-s")
	b.ReportMetric(float64(ib.slots.peakIn.Load()), "peak-probes")
	b.ReportMetric(float64(ib.c.cfg.Concurrency), "slots")
	if ib.queue != nil {
		b.ReportMetric(float64(sum.Shards), "shards")
		b.ReportMetric(float64(sum.RunFailures), "run-failures")
	}
	// A wrong figure is in the document, but a run that judged nothing measured nothing.
	if sum.Checked == 0 {
		b.Fatalf("the run judged no target: %+v", sum)
	}
}

// realisticMix is n targets in a fixed pseudo-random order: 80 % answering in 50-300 ms, 15 % in
// 1-2 s, 4 % hanging past their timeout, 1 % refusing connections.
func realisticMix(n int) []mixTarget {
	rng := rand.New(rand.NewPCG(12, 20000)) // #nosec G404 -- a fixed benchmark mix, not a secret
	targets := make([]mixTarget, n)
	for i := range targets {
		switch p := rng.IntN(100); {
		case p < 80:
			targets[i] = mixTarget{answers, time.Duration(50+rng.IntN(251)) * time.Millisecond}
		case p < 95:
			targets[i] = mixTarget{answers, time.Duration(1000+rng.IntN(1001)) * time.Millisecond}
		case p < 99:
			targets[i] = mixTarget{kind: hangs}
		default:
			targets[i] = mixTarget{kind: refuses}
		}
	}
	return targets
}

// BenchmarkCrawlInterval is a realistic list judged in one interval: 20,000 targets of
// realisticMix, each with a 5 s timeout, at the largest CONCURRENCY (MaxConcurrency), fanning out
// as deployed (more than one invocation can judge: the workers run in parallel here, each with its
// own invocation deadline; slots is one invocation's, peak-probes the fan-out's). run=first is the
// first run after a deploy (nothing checked yet: every target is costed at its timeout); run=steady
// is the run after it, planned from the first one's results. Every target must be judged (none
// skipped) and every hanging one reported down, within the interval. run=one-invocation is the
// steady run without fan-out: what one invocation can judge in the interval (its skipped are the
// fan-out's share; docs/cost.md sizes the invocations from it).
func BenchmarkCrawlInterval(b *testing.B) {
	const n, timeout = 20000, 5 * time.Second
	for _, run := range []string{"first", "steady", "one-invocation"} {
		b.Run(fmt.Sprintf("N=%d/run=%s", n, run), func(b *testing.B) {
			ib := newIntervalBench(b, MaxConcurrency, realisticMix(n), func(int) time.Duration { return timeout }).withFanOut(b)
			ib.cw.seed(ib.c, ib.db) // the alarms exist: this is the probes' interval, not a backlog
			if run != "first" {
				ib.db.keepLastChecks()
				ib.runInterval(b)
				_, _ = ib.db.take()
				ib.cw.take()
			}
			if run == "one-invocation" {
				ib.c.fan, ib.queue = nil, nil // what one invocation judges of the steady list (docs/cost.md)
			}
			var sum Summary
			var wall time.Duration
			for b.Loop() {
				sum, wall = ib.runInterval(b)
			}
			ib.report(b, sum, wall)
		})
	}
}

// BenchmarkCrawlStarvation is the starvation case of issue 12: 1,000 targets whose first 16 in scan
// order hang (timeout 30 s, the longest a target may set) and whose others answer in 100 ms (timeout
// 5 s), at the default CONCURRENCY of 16, a first run: once every slot held a hanging target and the
// rest waited. Every other target must be judged, and the hanging ones reported down.
func BenchmarkCrawlStarvation(b *testing.B) {
	const n, hanging = 1000, DefaultConcurrency
	b.Run(fmt.Sprintf("N=%d/hanging=%d", n, hanging), func(b *testing.B) {
		targets := make([]mixTarget, n)
		for i := range targets {
			targets[i] = mixTarget{answers, 100 * time.Millisecond}
			if i < hanging {
				targets[i] = mixTarget{kind: hangs}
			}
		}
		ib := newIntervalBench(b, DefaultConcurrency, targets, func(i int) time.Duration {
			if i < hanging {
				return target.MaxTimeoutMS * time.Millisecond
			}
			return 5 * time.Second
		})
		ib.cw.seed(ib.c, ib.db)
		var sum Summary
		var wall time.Duration
		for b.Loop() {
			sum, wall = ib.runInterval(b)
		}
		ib.report(b, sum, wall)
	})
}

// BenchmarkCrawlAlarmBacklog is a run with 2,000 alarms to create (1,000 new http targets, two
// alarms each) while PutMetricAlarm answers after 100 ms, a slow or throttled API: reconciliation has
// a bounded share of the run and leaves the rest pending, and every check's metrics are still
// published (availability-published: the Availability datums the run published, one per target).
func BenchmarkCrawlAlarmBacklog(b *testing.B) {
	const n = 1000
	b.Run(fmt.Sprintf("N=%d/alarms=%d", n, 2*n), func(b *testing.B) {
		targets := make([]mixTarget, n)
		for i := range targets {
			targets[i] = mixTarget{answers, 100 * time.Millisecond}
		}
		var sum Summary
		var wall time.Duration
		var calls benchCalls
		var ib *intervalBench
		for b.Loop() {
			b.StopTimer()
			// Every iteration starts from the same backlog: no alarm exists yet.
			ib = newIntervalBench(b, DefaultConcurrency, targets, func(int) time.Duration { return 5 * time.Second })
			ib.cw.putAlarmLatency = 100 * time.Millisecond
			b.StartTimer()
			sum, wall = ib.runInterval(b)
			calls = ib.cw.take()
		}
		ib.report(b, sum, wall)
		b.ReportMetric(float64(calls.Availability), "availability-published")
		b.ReportMetric(float64(sum.AlarmsCreated), "alarms-created")
		b.ReportMetric(float64(sum.AlarmsPending), "alarms-pending")
		b.ReportMetric(float64(calls.PutMetricAlarm), "PutMetricAlarm-calls")
	})
}

// Package crawler runs one crawl: it reads the enabled targets out of the URL table, plans the run
// (two lanes of probe slots, docs/design.md "Crawl plan"), probes them, publishes the results as
// CloudWatch metrics, writes each target's check back (its region's item in the checks table and, in
// the home region, the target's last_check, docs/design.md "Multi-region"), and reconciles the per-target CloudWatch alarms with the target list (docs/design.md, "Metrics and alarms").
package crawler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/webhealth/webhealth/internal/contract"
	"github.com/webhealth/webhealth/internal/probe"
	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
	"github.com/webhealth/webhealth/internal/verdict"
)

// CloudWatch is the part of the CloudWatch API the crawler uses.
type CloudWatch interface {
	PutMetricData(ctx context.Context, in *cloudwatch.PutMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error)
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
	PutMetricAlarm(ctx context.Context, in *cloudwatch.PutMetricAlarmInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricAlarmOutput, error)
	DeleteAlarms(ctx context.Context, in *cloudwatch.DeleteAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DeleteAlarmsOutput, error)
}

// Prober observes one target (probe.Prober implements it); target.Judge gives the verdict.
type Prober interface {
	Probe(ctx context.Context, t target.Target) target.Observation
}

// RunLease keeps two runs from overlapping (*store.Leases implements it).
type RunLease interface {
	Acquire(ctx context.Context, id string, expiresAt time.Time) (store.Lease, error)
	Release(ctx context.Context, le store.Lease) (bool, error)
}

// CheckWriter stores a region's check of a target in the checks table (*store.Checks implements it).
type CheckWriter interface {
	PutCheck(ctx context.Context, region, targetID string, lc target.LastCheck) error
}

// Summary is what a run did; the handler returns it (and logs it).
type Summary struct {
	Checked           int `json:"checked"`
	Down              int `json:"down"`
	Skipped           int `json:"skipped"`
	InvalidItems      int `json:"invalid_items"`
	LastCheckFailures int `json:"last_check_failures"`
	// CheckFailures are the checks-table writes (this region's check of a target) that failed.
	CheckFailures int `json:"check_failures,omitempty"`
	// VerdictFailures are the checked targets whose verdict could not be judged (the other regions'
	// checks could not be read; the home region of a multi-region environment only).
	VerdictFailures     int `json:"verdict_failures,omitempty"`
	MetricBatchesFailed int `json:"metric_batches_failed"`
	AlarmsCreated       int `json:"alarms_created"`
	AlarmsUpdated       int `json:"alarms_updated"`
	AlarmsDeleted       int `json:"alarms_deleted"`
	AlarmsFailed        int `json:"alarms_failed"`
	AlarmsPending       int `json:"alarms_pending"`
	// ReadFailures is 1 when the scan failed after some targets were read (those were judged).
	ReadFailures int `json:"read_failures,omitempty"`
	// LeaseFailures is 1 when the run lease could not be asked for (the run crawled without it).
	LeaseFailures int `json:"lease_failures,omitempty"`
	// RunFailures is the run's partial failures (contract.MetricRunFailures): failed last_check
	// and check writes, failed alarm calls, undecodable items, a scan that stopped part way, a failed lease
	// request and the metric batches that failed before the last.
	RunFailures int `json:"run_failures"`
	// Shards is the shards a coordinator sent (0: the run judged its targets itself); ShardsFailed
	// those it could not send (counted in RunFailures).
	Shards       int `json:"shards,omitempty"`
	ShardsFailed int `json:"shards_failed,omitempty"`
	// Overlapped: another run held the run lease, so this one did not crawl.
	Overlapped bool    `json:"overlapped,omitempty"`
	DurationMS float64 `json:"duration_ms"`
}

// Crawler runs crawls; safe for concurrent use (each Run has its own state).
type Crawler struct {
	cfg     Config
	region  string
	targets Targets
	cw      CloudWatch
	prober  Prober
	lease   RunLease    // nil: runs are not leased (tests)
	fan     *fanOut     // nil: a run judges every target itself
	checks  CheckWriter // nil: no checks table (a single-region stack)
	// verdicts reads the other regions' checks for the verdict (WithVerdict, verdict.go); nil: none.
	verdicts RegionChecks
	// home: the crawler runs in the home region, the only one that writes last_check on the target item.
	home bool

	// Tunables, shortened by tests.
	scanPageSize    int32         // items read per scan page; 0: DynamoDB's 1 MB pages
	throttleRetries int           // extra attempts after the SDK's own retries gave up on throttling
	throttleBackoff time.Duration // first pause between those attempts, doubled each time
}

// Option configures a Crawler beyond its required parts.
type Option func(*Crawler)

// WithLease makes every run take the run lease first; a run that finds it held does not crawl.
func WithLease(l RunLease) Option { return func(c *Crawler) { c.lease = l } }

// WithChecks makes every judged target's check go to the checks table as this region's
// (docs/design.md "Multi-region"); required outside the home region.
func WithChecks(w CheckWriter) Option { return func(c *Crawler) { c.checks = w } }

// New returns a Crawler. region is the Region dimension of every metric (the function's AWS region),
// the region of its checks and of its run lease. It writes last_check only when region is the home region
// (cfg.Regions.Home; unset: every region is its own home); elsewhere it needs WithChecks, and writes
// nothing to the URL table but its own run lease.
func New(cfg Config, region string, targets Targets, cw CloudWatch, prober Prober, opts ...Option) (*Crawler, error) {
	switch {
	case region == "":
		return nil, errors.New("crawler: region is required")
	case targets == nil || cw == nil || prober == nil:
		return nil, errors.New("crawler: Targets, CloudWatch and Prober are required")
	case cfg.Concurrency < 1:
		return nil, fmt.Errorf("crawler: concurrency %d < 1", cfg.Concurrency)
	case cfg.CertExpiryDays < 1:
		return nil, fmt.Errorf("crawler: certificate expiry threshold %d days < 1", cfg.CertExpiryDays)
	}
	c := &Crawler{
		cfg: cfg, region: region, targets: targets, cw: cw, prober: prober,
		home:            cfg.Regions.Home == "" || cfg.Regions.Home == region,
		throttleRetries: 3,
		throttleBackoff: 500 * time.Millisecond,
	}
	for _, o := range opts {
		o(c)
	}
	if !c.home && c.checks == nil {
		return nil, fmt.Errorf("crawler: region %s is not the home region %s and has no checks table to write to", region, cfg.Regions.Home)
	}
	if contract.JudgesVerdict(cfg.Regions) && c.verdicts == nil {
		return nil, errNoVerdictReader
	}
	return c, nil
}

// Handle is the Lambda handler. An SQS event is a fan-out worker's shard (docs/design.md, "Fan-out");
// anything else (the EventBridge scheduled event, a manual invoke with {}) starts a run. It returns
// the summary; the error is set only when the targets could not be read at all (partial failures are
// the RunFailures metric).
func (c *Crawler) Handle(ctx context.Context, payload json.RawMessage) (Summary, error) {
	if ev, ok := shardEvent(payload); ok {
		return c.work(ctx, ev)
	}
	var ev events.EventBridgeEvent
	if err := json.Unmarshal(payload, &ev); err == nil && ev.ID != "" {
		slog.InfoContext(ctx, "crawl triggered", "event_id", ev.ID, "detail_type", ev.DetailType, "source", ev.Source, "scheduled_at", ev.Time)
	} else {
		slog.InfoContext(ctx, "crawl triggered", "payload_bytes", len(payload))
	}
	return c.Run(ctx)
}

// runState is one run's counters.
type runState struct {
	mu  sync.Mutex
	sum Summary
}

func (s *runState) update(f func(*Summary)) {
	s.mu.Lock()
	f(&s.sum)
	s.mu.Unlock()
}

// Timing of a run (docs/design.md, "Crawl plan").
const (
	// leaseMargin is how long the run lease outlives the invocation deadline.
	leaseMargin = 2 * time.Second
	// noDeadlineLease is the lease of a run without a deadline: Lambda's longest invocation.
	noDeadlineLease = 15 * time.Minute
	// reconcileShare is the most of the probe window alarm reconciliation may take.
	reconcileShare = 4 // a quarter
)

// Run does one crawl: it takes the run lease, reads every enabled target, plans the run, probes
// each target whose timeout fits in what is left of the probe window (the others are skipped),
// publishes the metrics and last_check writes, reconciles alarms within a bounded share of the run,
// and publishes the run metrics with time reserved for them. The error is set only when the
// targets could not be read (or the lease could not be asked for).
func (c *Crawler) Run(ctx context.Context) (Summary, error) {
	start := time.Now()
	d := c.deadlines(ctx, start)
	defer d.cancel()

	st := &runState{}
	if c.lease != nil {
		le, err := c.lease.Acquire(d.run, store.CrawlerLeaseID(c.region), d.leaseUntil)
		switch {
		case errors.Is(err, store.ErrLeaseHeld):
			slog.WarnContext(ctx, "another run holds the run lease: not crawling", "error", err)
			sum := Summary{Overlapped: true, DurationMS: msSince(start)}
			if err := c.putMetricData(d.flush, c.overlapDatums(time.Now())); err != nil {
				slog.ErrorContext(ctx, "publish RunsOverlapped failed", "error", err)
			}
			return sum, nil
		case err != nil:
			// Silence would be worse than a rare overlap: crawl without the lease, and count the failure.
			st.update(func(s *Summary) { s.LeaseFailures++ })
			slog.ErrorContext(ctx, "run lease could not be taken: crawling without it", "error", err)
		default:
			defer func() {
				if released, err := c.lease.Release(d.flush, le); err != nil {
					slog.ErrorContext(ctx, "run lease not released; it frees itself at its expiry", "error", err, "expires_at", le.ExpiresAt)
				} else if !released {
					slog.WarnContext(ctx, "run lease was no longer ours at the end of the run", "expires_at", le.ExpiresAt)
				}
			}()
		}
	}

	// The existing alarms are listed while the targets are read (a DescribeAlarms page per 50
	// targets, which would otherwise lengthen the run).
	listed := make(chan listedAlarms, 1)
	listCtx, cancelList := context.WithCancel(d.run)
	defer cancelList()
	go func() {
		existing, err := c.ownedAlarms(listCtx)
		listed <- listedAlarms{existing, err}
	}()
	targets, seen, scanErr := c.readTargets(d.run, st)
	// Targets read before a failed page are judged: only a list not read at all is the run's error.
	unread := scanErr != nil && len(seen) == 0
	if scanErr != nil && !unread {
		st.update(func(s *Summary) { s.ReadFailures++ })
		slog.ErrorContext(ctx, "targets could not all be read: the run judges those read and deletes no alarm", "read", len(targets), "error", scanErr)
	}
	// Fan-out only from a complete list: a shard deletes the stale alarms of its prefixes.
	if c.fan != nil && scanErr == nil {
		if n := shardCount(targets, c.cfg.Concurrency, c.fan.maxShards, d.probeLeft()); n > 1 {
			shards, err := planShards(targets, n)
			if err == nil {
				cancelList()
				return c.coordinate(ctx, d, st, len(targets), shards, start)
			}
			// Judging what fits is better than judging nothing.
			slog.ErrorContext(ctx, "targets cannot be split into shards: the run judges what it can itself", "error", err)
		}
	}
	return c.judge(ctx, d, st, judgeInput{targets: targets, seen: seen, scanErr: scanErr, unread: unread, listed: listed, cancelList: cancelList, start: start})
}

// judgeInput is what a run or a shard worker judges: the targets read, the ids seen (for the
// alarms), the read's error, and the listing of the existing alarms under way.
type judgeInput struct {
	targets    []planned
	seen       map[string]*alarmTarget
	scanErr    error
	unread     bool
	listed     <-chan listedAlarms
	cancelList func()
	start      time.Time
	// worker: the run is a shard worker's (no RunDuration or Shards of its own).
	worker bool
}

// judge plans, probes, publishes, writes last_check and reconciles alarms for the targets of in,
// exactly as a single run does; a shard worker does the same for its shard.
func (c *Crawler) judge(ctx context.Context, d runDeadlines, st *runState, in judgeInput) (Summary, error) {
	targets, seen, scanErr, unread, listed, cancelList, start := in.targets, in.seen, in.scanErr, in.unread, in.listed, in.cancelList, in.start
	metrics := newMetricBatcher(c.cfg.MetricNamespace, func(ctx context.Context, batch []types.MetricDatum) error {
		return c.putMetricData(ctx, batch)
	})
	left := d.probeLeft()
	p := newPlan(targets, c.cfg.Concurrency, left)
	slog.InfoContext(ctx, "crawl planned", "targets", len(targets), "fast", len(p.fast.targets), "slow", len(p.slow.targets),
		"fast_slots", p.fastSlots, "slow_slots", p.slowSlots, "expected_fast_ms", p.fast.cost.Milliseconds(),
		"expected_slow_ms", p.slow.cost.Milliseconds(), "probe_window_left_ms", left.Milliseconds())

	// Alarm reconciliation runs beside the probes, within its share of the probe window.
	var reconciling sync.WaitGroup
	reconciling.Go(func() {
		rctx, cancel := d.reconcileContext(time.Now())
		defer cancel()
		select {
		case l := <-listed:
			c.reconcileAlarms(rctx, l.existing, l.err, seen, scanErr == nil, st)
		case <-rctx.Done():
			// The listing outlasted the share: everything is left for the next run.
			cancelList()
			pending := wantedAlarms(seen, c.cfg.Regions)
			st.update(func(s *Summary) { s.AlarmsPending = pending })
			slog.WarnContext(ctx, "listing the alarms outlasted the reconciliation share: nothing reconciled this run", "pending", pending)
		}
	})

	// The probing workers hand each result's last_check to writers and take their next target at
	// once, so a probe slot never waits out a DynamoDB round trip. As many writers as workers; when
	// writes fall behind, the full channel holds the workers back.
	writes := make(chan lastCheckWrite, c.cfg.Concurrency)
	verdicts := c.newVerdictStep(metrics, st) // nil unless the home region of several
	var writers sync.WaitGroup
	for range c.cfg.Concurrency {
		writers.Go(func() { c.writeLastChecks(d.run, writes, st, verdicts) })
	}
	var workers sync.WaitGroup
	for i := range c.cfg.Concurrency {
		home, other := p.lanes(i >= p.fastSlots)
		workers.Go(func() {
			for _, l := range []*lane{home, other} {
				for pt, ok := l.next(); ok; pt, ok = l.next() {
					c.check(d, pt, st, metrics, writes)
				}
			}
		})
	}
	workers.Wait()
	close(writes)
	writers.Wait()
	verdicts.flush(d.run)
	reconciling.Wait()

	st.mu.Lock()
	sum := st.sum
	st.mu.Unlock()
	sum.MetricBatchesFailed = metrics.failed()
	sum.RunFailures = sum.LastCheckFailures + sum.CheckFailures + sum.VerdictFailures + sum.AlarmsFailed + sum.InvalidItems + sum.ReadFailures + sum.LeaseFailures + sum.MetricBatchesFailed
	sum.DurationMS = msSince(start)
	// The final batch has its own slice of the invocation deadline: never an expired context.
	runDatums := c.runDatums(sum, time.Now())
	if in.worker {
		runDatums = workerDatums(runDatums)
	}
	metrics.add(d.flush, runDatums...)
	metrics.flush(d.flush)
	sum.MetricBatchesFailed = metrics.failed()
	sum.DurationMS = msSince(start)

	attrs := []any{
		"checked", sum.Checked, "down", sum.Down, "skipped", sum.Skipped, "invalid_items", sum.InvalidItems,
		"last_check_failures", sum.LastCheckFailures, "check_failures", sum.CheckFailures, "verdict_failures", sum.VerdictFailures, "metric_batches_failed", sum.MetricBatchesFailed,
		"alarms_created", sum.AlarmsCreated, "alarms_updated", sum.AlarmsUpdated, "alarms_deleted", sum.AlarmsDeleted,
		"alarms_failed", sum.AlarmsFailed, "alarms_pending", sum.AlarmsPending, "read_failures", sum.ReadFailures,
		"lease_failures", sum.LeaseFailures, "run_failures", sum.RunFailures,
		"duration_ms", sum.DurationMS,
	}
	switch {
	case unread:
		slog.ErrorContext(ctx, "crawl finished: targets could not be read", append(attrs, "error", scanErr)...)
		return sum, fmt.Errorf("crawl: read targets: %w", scanErr)
	case sum.RunFailures > 0 || sum.MetricBatchesFailed > 0:
		slog.ErrorContext(ctx, "crawl finished with partial failures", attrs...)
	default:
		slog.InfoContext(ctx, "crawl finished", attrs...)
	}
	return sum, nil
}

// wantedAlarms is how many alarms the targets seen want.
func wantedAlarms(seen map[string]*alarmTarget, env verdict.Settings) int {
	n := 0
	for _, t := range seen {
		if t != nil {
			n += len(contract.AlarmKindsOf(t.URL, env))
		}
	}
	return n
}

func msSince(t time.Time) float64 { return float64(time.Since(t)) / float64(time.Millisecond) }

// listedAlarms is the outcome of listing the existing alarms.
type listedAlarms struct {
	existing owned
	err      error
}

// runDeadlines are a run's contexts: run ends DEADLINE_MARGIN before the invocation deadline, probe
// (the probe window) a publish reserve before that, and flush (the final metric batch and the lease
// release) half the margin before the invocation deadline, whatever became of run.
type runDeadlines struct {
	run, probe, flush context.Context
	start             time.Time
	leaseUntil        time.Time
	cancel            func()
}

// deadlines derives the run's contexts from the invocation's. Without a deadline (a test or a
// manual run) only the targets' own timeouts bound the probes.
func (c *Crawler) deadlines(ctx context.Context, start time.Time) runDeadlines {
	dl, ok := ctx.Deadline()
	if !ok {
		return runDeadlines{run: ctx, probe: ctx, flush: context.WithoutCancel(ctx), start: start,
			leaseUntil: start.Add(noDeadlineLease), cancel: func() {}}
	}
	runDeadline := dl.Add(-c.cfg.DeadlineMargin)
	run, cancelRun := context.WithDeadline(ctx, runDeadline)
	probeCtx, cancelProbe := context.WithDeadline(run, runDeadline.Add(-publishReserve(runDeadline.Sub(start))))
	flush, cancelFlush := context.WithDeadline(context.WithoutCancel(ctx), dl.Add(-c.cfg.DeadlineMargin/2))
	return runDeadlines{run: run, probe: probeCtx, flush: flush, start: start, leaseUntil: dl.Add(leaseMargin),
		cancel: func() { cancelFlush(); cancelProbe(); cancelRun() }}
}

// probeWindow is the time from the run's start to the end of the probe window (0: no deadline).
func (d runDeadlines) probeWindow() time.Duration {
	dl, ok := d.probe.Deadline()
	if !ok {
		return 0
	}
	return max(dl.Sub(d.start), 0)
}

// probeLeft is what is left of the probe window now (0: no deadline; at least 1 ns with one).
func (d runDeadlines) probeLeft() time.Duration {
	dl, ok := d.probe.Deadline()
	if !ok {
		return 0
	}
	return max(time.Until(dl), 1)
}

// reconcileContext bounds alarm reconciliation started at now: at most a quarter of the probe
// window, and never into the publish reserve.
func (d runDeadlines) reconcileContext(now time.Time) (context.Context, context.CancelFunc) {
	dl, ok := d.probe.Deadline()
	if !ok {
		return context.WithCancel(d.run)
	}
	if share := now.Add(d.probeWindow() / reconcileShare); share.Before(dl) {
		dl = share
	}
	return context.WithDeadline(d.run, dl)
}

// publishReserve is the time kept after the probes for the final metric batch and the last writes.
func publishReserve(budget time.Duration) time.Duration {
	return min(max(budget/10, 250*time.Millisecond), 10*time.Second)
}

// check probes one target and records the outcome; it runs on a pool worker. A target whose
// timeout no longer fits in the probe window is not started: it is skipped.
func (c *Crawler) check(d runDeadlines, pt *planned, st *runState, metrics *metricBatcher, writes chan<- lastCheckWrite) {
	t := pt.t
	if dl, ok := d.probe.Deadline(); d.probe.Err() != nil || (ok && time.Until(dl) < probe.Timeout(t)) {
		st.update(func(s *Summary) { s.Skipped++ })
		slog.WarnContext(d.run, "target skipped: its timeout does not fit in what is left of the probe window", "target_id", t.ID,
			"timeout_ms", probe.Timeout(t).Milliseconds())
		return
	}
	obs := c.prober.Probe(d.probe, t)
	res := target.Judge(t, obs)
	if obs.Interrupted() {
		st.update(func(s *Summary) { s.Skipped++ })
		slog.WarnContext(d.run, "target skipped: probe cut short by the run deadline", "target_id", t.ID, "url", t.URL, "detail", res.Error)
		return
	}
	st.update(func(s *Summary) {
		s.Checked++
		if !res.Available {
			s.Down++
		}
	})
	if res.Available {
		slog.DebugContext(d.run, "target up", "target_id", t.ID, "status", res.StatusCode, "latency_ms", res.LatencyMS, "attempts", res.Attempts)
	} else {
		slog.WarnContext(d.run, "target down", "target_id", t.ID, "url", t.URL, "status", res.StatusCode, "attempts", res.Attempts,
			"failure", string(obs.Failure), "error", res.Error)
	}
	metrics.add(d.run, c.targetDatums(t, res, c.certDue(t, pt.prevCertDays, res))...)
	writes <- lastCheckWrite{id: t.ID, lc: res}
}

// lastCheckWrite is a check result on its way to its target's item.
type lastCheckWrite struct {
	id string
	lc target.LastCheck
}

// writeLastChecks writes the results it receives until the channel is closed; it runs on a writer.
// Each result is this region's check in the checks table (when there is one) and, in the home region
// only, the target's last_check; with a verdict step (the home region of several), it is judged too.
func (c *Crawler) writeLastChecks(ctx context.Context, writes <-chan lastCheckWrite, st *runState, verdicts *verdictStep) {
	for w := range writes {
		verdicts.add(ctx, w)
		if c.checks != nil {
			if err := c.checks.PutCheck(ctx, c.region, w.id, w.lc); err != nil {
				st.update(func(s *Summary) { s.CheckFailures++ })
				slog.ErrorContext(ctx, "write check failed", "target_id", w.id, "region", c.region, "error", err)
			}
		}
		if !c.home {
			continue
		}
		if err := c.writeLastCheck(ctx, w.id, w.lc); err != nil {
			st.update(func(s *Summary) { s.LastCheckFailures++ })
			slog.ErrorContext(ctx, "write last_check failed", "target_id", w.id, "error", err)
		}
	}
}

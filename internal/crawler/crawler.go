// Package crawler runs one crawl: it streams the enabled targets out of the URL table into a bounded
// pool of probes, publishes the results as CloudWatch metrics, writes each target's last_check back,
// and reconciles the per-target CloudWatch alarms with the target list (docs/design.md, "Metrics and alarms").
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

	"github.com/webhealth/webhealth/internal/target"
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

// Summary is what a run did; the handler returns it (and logs it).
type Summary struct {
	Checked             int     `json:"checked"`
	Down                int     `json:"down"`
	Skipped             int     `json:"skipped"`
	InvalidItems        int     `json:"invalid_items"`
	LastCheckFailures   int     `json:"last_check_failures"`
	MetricBatchesFailed int     `json:"metric_batches_failed"`
	AlarmsCreated       int     `json:"alarms_created"`
	AlarmsUpdated       int     `json:"alarms_updated"`
	AlarmsDeleted       int     `json:"alarms_deleted"`
	AlarmsFailed        int     `json:"alarms_failed"`
	AlarmsPending       int     `json:"alarms_pending"`
	DurationMS          float64 `json:"duration_ms"`
}

// Crawler runs crawls; safe for concurrent use (each Run has its own state).
type Crawler struct {
	cfg     Config
	region  string
	targets Targets
	cw      CloudWatch
	prober  Prober

	// Tunables, shortened by tests.
	scanPageSize    int32         // items read per scan page; 0: DynamoDB's 1 MB pages
	throttleRetries int           // extra attempts after the SDK's own retries gave up on throttling
	throttleBackoff time.Duration // first pause between those attempts, doubled each time
}

// New returns a Crawler. region is the Region dimension of every metric (the function's AWS region).
func New(cfg Config, region string, targets Targets, cw CloudWatch, prober Prober) (*Crawler, error) {
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
	return &Crawler{
		cfg: cfg, region: region, targets: targets, cw: cw, prober: prober,
		throttleRetries: 3,
		throttleBackoff: 500 * time.Millisecond,
	}, nil
}

// Handle is the Lambda handler. It accepts the EventBridge scheduled event, or any other JSON (a
// manual invoke with {}), and returns the run's summary; the error is set when targets could not be
// read or anything failed to publish, after everything else was done.
func (c *Crawler) Handle(ctx context.Context, payload json.RawMessage) (Summary, error) {
	var ev events.EventBridgeEvent
	if err := json.Unmarshal(payload, &ev); err == nil && ev.ID != "" {
		slog.InfoContext(ctx, "crawl triggered", "event_id", ev.ID, "detail_type", ev.DetailType, "source", ev.Source, "scheduled_at", ev.Time)
	} else {
		slog.InfoContext(ctx, "crawl triggered", "payload_bytes", len(payload))
	}
	return c.Run(ctx)
}

// runState is one run's counters and collected errors.
type runState struct {
	mu   sync.Mutex
	sum  Summary
	errs []error
}

func (s *runState) update(f func(*Summary)) {
	s.mu.Lock()
	f(&s.sum)
	s.mu.Unlock()
}

func (s *runState) fail(err error) {
	s.mu.Lock()
	s.errs = append(s.errs, err)
	s.mu.Unlock()
}

// Run does one crawl. Probes end before the run deadline (ctx's deadline minus DEADLINE_MARGIN,
// less a reserve for publishing); a probe cut short by it is counted as skipped, not as down.
func (c *Crawler) Run(ctx context.Context) (Summary, error) {
	start := time.Now()
	runCtx, probeCtx, cancel := c.deadlines(ctx, start)
	defer cancel()

	st := &runState{}
	metrics := newMetricBatcher(c.cfg.MetricNamespace, func(ctx context.Context, batch []types.MetricDatum) error {
		return c.putMetricData(ctx, batch)
	})

	// The probing workers hand each result's last_check to writers and take their next target at
	// once, so a probe slot never waits out a DynamoDB round trip. As many writers as workers; when
	// writes fall behind, the full channel holds the workers back.
	writes := make(chan lastCheckWrite, c.cfg.Concurrency)
	var writers sync.WaitGroup
	for range c.cfg.Concurrency {
		writers.Go(func() { c.writeLastChecks(runCtx, writes, st) })
	}
	queue := make(chan target.Target, c.cfg.Concurrency)
	var workers sync.WaitGroup
	for range c.cfg.Concurrency {
		workers.Go(func() {
			for t := range queue {
				c.check(runCtx, probeCtx, t, st, metrics, writes)
			}
		})
	}

	// The scan feeds the pool page by page, while the existing alarms are listed (a DescribeAlarms
	// page per 50 targets, which would otherwise lengthen the run's tail); once the scan has seen
	// every target, the alarms are reconciled while the last probes run.
	listed := make(chan listedAlarms, 1)
	go func() {
		existing, err := c.ownedAlarms(runCtx)
		listed <- listedAlarms{existing, err}
	}()
	var scanDone sync.WaitGroup
	scanDone.Go(func() {
		seen, err := c.scanTargets(runCtx, queue, st)
		close(queue)
		if err != nil {
			st.fail(fmt.Errorf("read targets: %w", err))
		}
		l := <-listed
		c.reconcileAlarms(runCtx, l.existing, l.err, seen, err == nil, st)
	})
	workers.Wait()
	close(writes)
	writers.Wait()
	scanDone.Wait()

	st.mu.Lock()
	sum := st.sum
	st.mu.Unlock()
	sum.DurationMS = float64(time.Since(start)) / float64(time.Millisecond)
	metrics.add(runCtx, c.runDatums(sum, time.Now())...)
	metrics.flush(runCtx)
	sum.MetricBatchesFailed = metrics.failed()
	if err := metrics.err(); err != nil {
		st.fail(err)
	}
	if sum.LastCheckFailures > 0 {
		st.fail(fmt.Errorf("write last_check: %d writes failed", sum.LastCheckFailures))
	}
	if sum.InvalidItems > 0 {
		st.fail(fmt.Errorf("read targets: %d target items could not be decoded", sum.InvalidItems))
	}
	sum.DurationMS = float64(time.Since(start)) / float64(time.Millisecond)

	err := errors.Join(st.errs...)
	attrs := []any{
		"checked", sum.Checked, "down", sum.Down, "skipped", sum.Skipped, "invalid_items", sum.InvalidItems,
		"last_check_failures", sum.LastCheckFailures, "metric_batches_failed", sum.MetricBatchesFailed,
		"alarms_created", sum.AlarmsCreated, "alarms_updated", sum.AlarmsUpdated, "alarms_deleted", sum.AlarmsDeleted,
		"alarms_failed", sum.AlarmsFailed, "alarms_pending", sum.AlarmsPending, "duration_ms", sum.DurationMS,
	}
	if err != nil {
		slog.ErrorContext(ctx, "crawl finished with errors", append(attrs, "error", err)...)
		return sum, fmt.Errorf("crawl: %w", err)
	}
	slog.InfoContext(ctx, "crawl finished", attrs...)
	return sum, nil
}

// listedAlarms is the outcome of listing the existing alarms.
type listedAlarms struct {
	existing owned
	err      error
}

// deadlines derives the run context (invocation deadline minus the margin) and the probe context
// (run deadline minus a reserve for publishing). Without a deadline (a test or a manual run) only
// the targets' own timeouts bound the probes.
func (c *Crawler) deadlines(ctx context.Context, start time.Time) (runCtx, probeCtx context.Context, cancel func()) {
	dl, ok := ctx.Deadline()
	if !ok {
		return ctx, ctx, func() {}
	}
	runDeadline := dl.Add(-c.cfg.DeadlineMargin)
	runCtx, cancelRun := context.WithDeadline(ctx, runDeadline)
	probeCtx, cancelProbe := context.WithDeadline(runCtx, runDeadline.Add(-publishReserve(runDeadline.Sub(start))))
	return runCtx, probeCtx, func() { cancelProbe(); cancelRun() }
}

// publishReserve is the time kept after the probes for the final metric batch and the last writes.
func publishReserve(budget time.Duration) time.Duration {
	return min(max(budget/10, 250*time.Millisecond), 10*time.Second)
}

// check probes one target and records the outcome; it runs on a pool worker.
func (c *Crawler) check(runCtx, probeCtx context.Context, t target.Target, st *runState, metrics *metricBatcher, writes chan<- lastCheckWrite) {
	if probeCtx.Err() != nil {
		st.update(func(s *Summary) { s.Skipped++ })
		slog.DebugContext(runCtx, "target skipped: run deadline reached before its probe", "target_id", t.ID)
		return
	}
	obs := c.prober.Probe(probeCtx, t)
	res := target.Judge(t, obs)
	if obs.Interrupted() {
		st.update(func(s *Summary) { s.Skipped++ })
		slog.WarnContext(runCtx, "target skipped: probe cut short by the run deadline", "target_id", t.ID, "url", t.URL, "detail", res.Error)
		return
	}
	st.update(func(s *Summary) {
		s.Checked++
		if !res.Available {
			s.Down++
		}
	})
	if res.Available {
		slog.DebugContext(runCtx, "target up", "target_id", t.ID, "status", res.StatusCode, "latency_ms", res.LatencyMS, "attempts", res.Attempts)
	} else {
		slog.WarnContext(runCtx, "target down", "target_id", t.ID, "url", t.URL, "status", res.StatusCode, "attempts", res.Attempts,
			"failure", string(obs.Failure), "error", res.Error)
	}
	metrics.add(runCtx, c.targetDatums(t, res)...)
	writes <- lastCheckWrite{id: t.ID, lc: res}
}

// lastCheckWrite is a check result on its way to its target's item.
type lastCheckWrite struct {
	id string
	lc target.LastCheck
}

// writeLastChecks writes the results it receives until the channel is closed; it runs on a writer.
func (c *Crawler) writeLastChecks(ctx context.Context, writes <-chan lastCheckWrite, st *runState) {
	for w := range writes {
		if err := c.writeLastCheck(ctx, w.id, w.lc); err != nil {
			st.update(func(s *Summary) { s.LastCheckFailures++ })
			slog.ErrorContext(ctx, "write last_check failed", "target_id", w.id, "error", err)
		}
	}
}

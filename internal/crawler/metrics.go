package crawler

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/webhealth/webhealth/internal/contract"
	"github.com/webhealth/webhealth/internal/target"
)

// PutMetricData limits: 1000 datums and 1 MB of request per call.
const (
	maxDatumsPerCall = 1000
	maxRequestBytes  = 1 << 20
	// requestHeadroom covers the envelope (action, version, namespace) and the estimate's slack.
	requestHeadroom = 64 << 10
)

// targetDatums are a target's metrics for one check. Availability is always sent; the timings only
// when a response arrived (a connection failure has no meaningful latency, and must not feed the
// latency alarm); TLS timing and certificate days only for a TLS connection. With PHASE_METRICS off
// the phase timings (DNS, connect, TLS, TTFB) are left out: Availability, Latency and the
// certificate days the certificate alarm needs remain.
func (c *Crawler) targetDatums(t target.Target, r target.LastCheck, withCert bool) []types.MetricDatum {
	datum := datumMaker(r.CheckedAt,
		types.Dimension{Name: aws.String(contract.DimensionTargetID), Value: aws.String(t.ID)},
		types.Dimension{Name: aws.String(contract.DimensionRegion), Value: aws.String(c.region)},
	)
	avail := 0.0
	if r.Available {
		avail = 1
	}
	out := []types.MetricDatum{datum(contract.MetricAvailability, avail, types.StandardUnitNone)}
	if r.StatusCode != 0 {
		out = append(out, datum(contract.MetricLatency, r.LatencyMS, types.StandardUnitMilliseconds))
	}
	if r.StatusCode != 0 && c.cfg.PhaseMetrics {
		out = append(out,
			datum(contract.MetricDNSLatency, r.DNSMS, types.StandardUnitMilliseconds),
			datum(contract.MetricConnectLatency, r.ConnectMS, types.StandardUnitMilliseconds),
			datum(contract.MetricTTFB, r.TTFBMS, types.StandardUnitMilliseconds),
		)
		if r.TLSMS > 0 {
			out = append(out, datum(contract.MetricTLSLatency, r.TLSMS, types.StandardUnitMilliseconds))
		}
	}
	if r.CertDaysRemaining != nil && withCert {
		out = append(out, datum(contract.MetricCertDaysRemaining, float64(*r.CertDaysRemaining), types.StandardUnitNone))
	}
	return out
}

// certDue says whether a check whose result is r publishes CertDaysRemaining; prev is the last
// check's days. The days change once a day and a metric is billed for each hour it has data, so a
// certificate is published in one hour of the day (its target's, from the id: certHour), and at every
// check while it is at or below its alarm's threshold, or was at the last check (the alarm then
// fires and recovers at the check that crosses it), and at its first check (its alarm's first datum
// at once). Its alarm treats the missing hours as "ignore" (desiredAlarm).
func (c *Crawler) certDue(t target.Target, prev *int, r target.LastCheck) bool {
	if r.CertDaysRemaining == nil {
		return false
	}
	own := 0
	if t.CertExpiryThresholdDays != nil {
		own = *t.CertExpiryThresholdDays
	}
	threshold := c.certThreshold(own)
	return prev == nil || *prev <= threshold || *r.CertDaysRemaining <= threshold || r.CheckedAt.UTC().Hour() == certHour(t.ID)
}

// certHour is the hour of the day (UTC) in which the target's certificate days are published: from
// its id's leading hex digits, so the targets spread over the day.
func certHour(id string) int {
	if len(id) < 2 {
		return 0
	}
	n, err := strconv.ParseUint(id[:2], 16, 8)
	if err != nil {
		return 0
	}
	return int(n) % 24
}

// runDatums are the run-level metrics, dimension Region only.
func (c *Crawler) runDatums(s Summary, at time.Time) []types.MetricDatum {
	datum := datumMaker(at, types.Dimension{Name: aws.String(contract.DimensionRegion), Value: aws.String(c.region)})
	return []types.MetricDatum{
		datum(contract.MetricTargetsChecked, float64(s.Checked), types.StandardUnitCount),
		datum(contract.MetricTargetsDown, float64(s.Down), types.StandardUnitCount),
		datum(contract.MetricTargetsSkipped, float64(s.Skipped), types.StandardUnitCount),
		datum(contract.MetricRunDuration, s.DurationMS, types.StandardUnitMilliseconds),
		datum(contract.MetricRunFailures, float64(s.RunFailures), types.StandardUnitCount),
		datum(contract.MetricAlarmsPending, float64(s.AlarmsPending), types.StandardUnitCount),
		datum(contract.MetricRunsOverlapped, 0, types.StandardUnitCount),
		datum(contract.MetricShards, 1, types.StandardUnitCount),
	}
}

// overlapDatums are the only metrics of a run that found the run lease held: RunsOverlapped = 1
// (its TargetsChecked would be a false zero).
func (c *Crawler) overlapDatums(at time.Time) []types.MetricDatum {
	datum := datumMaker(at, types.Dimension{Name: aws.String(contract.DimensionRegion), Value: aws.String(c.region)})
	return []types.MetricDatum{datum(contract.MetricRunsOverlapped, 1, types.StandardUnitCount)}
}

// datumMaker returns a constructor of datums that share a timestamp and dimensions.
func datumMaker(at time.Time, dims ...types.Dimension) func(name string, v float64, unit types.StandardUnit) types.MetricDatum {
	ts := aws.Time(at)
	return func(name string, v float64, unit types.StandardUnit) types.MetricDatum {
		return types.MetricDatum{MetricName: aws.String(name), Dimensions: dims, Value: aws.Float64(v), Unit: unit, Timestamp: ts}
	}
}

// putMetricData sends one batch, retrying throttling beyond the SDK's own retries.
func (c *Crawler) putMetricData(ctx context.Context, batch []types.MetricDatum) error {
	return c.retryThrottled(ctx, "PutMetricData", func(ctx context.Context) error {
		_, err := c.cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
			Namespace:  aws.String(c.cfg.MetricNamespace),
			MetricData: batch,
		})
		return err
	})
}

// isThrottle reports whether err is a throttling error, by the SDK's own list of throttle codes.
func isThrottle(err error) bool {
	return retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary
}

// retryThrottled runs op, and again after a jittered, doubling pause while it fails with throttling,
// at most throttleRetries more times and never past ctx's deadline.
func (c *Crawler) retryThrottled(ctx context.Context, what string, op func(context.Context) error) error {
	backoff := c.throttleBackoff
	for retries := 0; ; retries++ {
		err := op(ctx)
		if err == nil || !isThrottle(err) || retries >= c.throttleRetries {
			return err
		}
		pause := backoff/2 + rand.N(backoff/2+1) // #nosec G404 -- backoff jitter, not a secret
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < pause {
			return err
		}
		slog.WarnContext(ctx, "throttled, retrying", "operation", what, "retry", retries+1, "pause", pause.String())
		timer := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			timer.Stop()
			return err
		case <-timer.C:
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

// maxBatchesInFlight bounds the full batches being sent at once; beyond, add waits.
const maxBatchesInFlight = 4

// metricBatcher collects datums and sends them in PutMetricData-sized batches as they fill, so a
// large run neither holds every datum nor sends one call per target. A full batch is sent in the
// background: the probe worker that filled it goes on probing instead of waiting out the call. A
// failed batch is logged and counted; the others are still sent.
type metricBatcher struct {
	namespace string
	send      func(context.Context, []types.MetricDatum) error
	sending   sync.WaitGroup
	slots     chan struct{} // one per batch in flight

	mu      sync.Mutex
	pending []types.MetricDatum
	bytes   int
	sent    int
	nFailed int
	first   error
}

func newMetricBatcher(namespace string, send func(context.Context, []types.MetricDatum) error) *metricBatcher {
	return &metricBatcher{namespace: namespace, send: send, slots: make(chan struct{}, maxBatchesInFlight)}
}

// add queues datums, starting to send every batch that fills up. ctx must outlive flush.
func (b *metricBatcher) add(ctx context.Context, datums ...types.MetricDatum) {
	var full [][]types.MetricDatum
	b.mu.Lock()
	for _, d := range datums {
		size := datumSize(d)
		if len(b.pending) > 0 && (len(b.pending) == maxDatumsPerCall || b.bytes+size > maxRequestBytes-requestHeadroom) {
			full = append(full, b.pending)
			b.pending, b.bytes = nil, 0
		}
		b.pending = append(b.pending, d)
		b.bytes += size
	}
	if len(b.pending) == maxDatumsPerCall {
		full = append(full, b.pending)
		b.pending, b.bytes = nil, 0
	}
	b.mu.Unlock()
	for _, batch := range full {
		b.slots <- struct{}{}
		b.sending.Go(func() {
			defer func() { <-b.slots }()
			b.sendBatch(ctx, batch)
		})
	}
}

// flush waits for the batches being sent, then sends what is left.
func (b *metricBatcher) flush(ctx context.Context) {
	b.sending.Wait()
	b.mu.Lock()
	batch := b.pending
	b.pending, b.bytes = nil, 0
	b.mu.Unlock()
	if len(batch) > 0 {
		b.sendBatch(ctx, batch)
	}
}

func (b *metricBatcher) sendBatch(ctx context.Context, batch []types.MetricDatum) {
	err := b.send(ctx, batch)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sent++
	if err != nil {
		b.nFailed++
		if b.first == nil {
			b.first = err
		}
		slog.ErrorContext(ctx, "metric batch failed", "namespace", b.namespace, "datums", len(batch), "error", err)
	}
}

func (b *metricBatcher) failed() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.nFailed
}

// err summarises the failed batches, or nil.
func (b *metricBatcher) err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.nFailed == 0 {
		return nil
	}
	return fmt.Errorf("publish metrics: %d of %d batches failed: %w", b.nFailed, b.sent, b.first)
}

// datumSize over-estimates a datum's share of a PutMetricData request in the query protocol, the
// most verbose encoding: every member is spelled out as "MetricData.member.N.Field=value&", and
// values may be percent-encoded (up to three bytes per byte).
func datumSize(d types.MetricDatum) int {
	// perField is a spelled-out member name such as "MetricData.member.1000.Dimensions.member.10.Value=" with its "&".
	const perField = 48
	const value, unit, timestamp = 32, 24, 32
	n := perField*4 + 3*len(aws.ToString(d.MetricName)) + value + unit + timestamp
	for _, dim := range d.Dimensions {
		n += 2*perField + 3*(len(aws.ToString(dim.Name))+len(aws.ToString(dim.Value)))
	}
	return n
}

package crawler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/webhealth/webhealth/internal/contract"
	"github.com/webhealth/webhealth/internal/store"
)

// The coordinator and worker paths of a fan-out (docs/design.md, "Fan-out").

// ShardQueue is the part of the SQS API the coordinator uses (*sqs.Client implements it).
type ShardQueue interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// ShardTargets reads a shard's targets by id (*store.TargetBatches implements it).
type ShardTargets interface {
	BatchGetEnabled(ctx context.Context, ids []string) (store.ScanPage, error)
}

// maxSendBatch is SendMessageBatch's limit of messages per call.
const maxSendBatch = 10

// fanOut is what a crawler needs to coordinate and work shards.
type fanOut struct {
	queue     ShardQueue
	queueURL  string
	maxShards int
	targets   ShardTargets
}

// WithFanOut makes a run that cannot judge every target within its window hand shards of at most
// maxShards to workers through the queue at queueURL, and makes Handle work the shard messages the
// queue delivers, reading their targets with targets.
func WithFanOut(queue ShardQueue, queueURL string, maxShards int, targets ShardTargets) Option {
	return func(c *Crawler) {
		c.fan = &fanOut{queue: queue, queueURL: queueURL, maxShards: min(max(maxShards, 1), MaxShards), targets: targets}
	}
}

// coordinate sends the shards of a run's targets; it publishes RunDuration, Shards and the run's
// failures (messages not sent among them), the workers publish the rest.
func (c *Crawler) coordinate(ctx context.Context, d runDeadlines, st *runState, targets int, shards []shard, start time.Time) (Summary, error) {
	notAfter, _ := d.run.Deadline() // fan-out happens only with a deadline
	sent, failed := 0, 0
	runID := strconv.FormatInt(start.UnixNano(), 36)
	var entries []sqstypes.SendMessageBatchRequestEntry
	for i, s := range shards {
		body, err := EncodeShardMessage(ShardMessage{Version: ShardMessageVersion, RunID: runID, Shard: i, Shards: len(shards),
			From: fmt.Sprintf("%02x", s.from), To: fmt.Sprintf("%02x", s.to), IDs: s.ids, IssuedAt: start, NotAfter: notAfter})
		if err != nil {
			failed++
			slog.ErrorContext(ctx, "shard message not encoded", "shard", i, "error", err)
			continue
		}
		entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(string(body))})
	}
	for start := 0; start < len(entries); start += maxSendBatch {
		batch := entries[start:min(start+maxSendBatch, len(entries))]
		out, err := c.fan.queue.SendMessageBatch(d.run, &sqs.SendMessageBatchInput{QueueUrl: aws.String(c.fan.queueURL), Entries: batch})
		if err != nil {
			failed += len(batch)
			slog.ErrorContext(ctx, "shard messages not sent", "count", len(batch), "error", err)
			continue
		}
		for _, f := range out.Failed {
			slog.ErrorContext(ctx, "shard message not sent", "entry", aws.ToString(f.Id), "code", aws.ToString(f.Code), "message", aws.ToString(f.Message))
		}
		failed += len(out.Failed)
		sent += len(out.Successful)
	}
	st.mu.Lock()
	sum := st.sum
	st.mu.Unlock()
	sum.Shards = sent
	sum.ShardsFailed = failed
	sum.RunFailures = sum.InvalidItems + sum.LeaseFailures + failed
	sum.DurationMS = msSince(start)
	datum := datumMaker(time.Now(), types.Dimension{Name: aws.String(contract.DimensionRegion), Value: aws.String(c.region)})
	batch := []types.MetricDatum{
		datum(contract.MetricRunDuration, sum.DurationMS, types.StandardUnitMilliseconds),
		datum(contract.MetricShards, float64(sent), types.StandardUnitCount),
		datum(contract.MetricRunFailures, float64(sum.RunFailures), types.StandardUnitCount),
		datum(contract.MetricRunsOverlapped, 0, types.StandardUnitCount),
	}
	if err := c.putMetricData(d.flush, batch); err != nil {
		sum.MetricBatchesFailed = 1
		slog.ErrorContext(ctx, "publish the coordinator's metrics failed", "error", err)
	}
	attrs := []any{"targets", targets, "shards", sent, "shards_failed", failed, "invalid_items", sum.InvalidItems,
		"run_failures", sum.RunFailures, "duration_ms", sum.DurationMS}
	if sum.RunFailures > 0 {
		slog.ErrorContext(ctx, "crawl fanned out with failures", attrs...)
	} else {
		slog.InfoContext(ctx, "crawl fanned out", attrs...)
	}
	return sum, nil
}

// workerDatums are a worker's run metrics: a run's, without RunDuration and Shards (the
// coordinator's) and RunsOverlapped (a worker takes no lease).
func workerDatums(run []types.MetricDatum) []types.MetricDatum {
	out := run[:0:0]
	for _, d := range run {
		switch aws.ToString(d.MetricName) {
		case contract.MetricRunDuration, contract.MetricShards, contract.MetricRunsOverlapped:
		default:
			out = append(out, d)
		}
	}
	return out
}

// shardEvent reads an SQS event out of payload: ok when it is one (records from aws:sqs).
func shardEvent(payload []byte) (events.SQSEvent, bool) {
	var ev events.SQSEvent
	if err := json.Unmarshal(payload, &ev); err != nil || len(ev.Records) == 0 {
		return events.SQSEvent{}, false
	}
	for _, r := range ev.Records {
		if r.EventSource != "aws:sqs" {
			return events.SQSEvent{}, false
		}
	}
	return ev, true
}

// work judges the shards of an SQS event (the mapping delivers one; more are worked in turn). A
// message that does not decode, or comes after its not_after, is a RunFailures or TargetsSkipped
// and is not retried; the error is set only when a shard's targets could not be read at all.
func (c *Crawler) work(ctx context.Context, ev events.SQSEvent) (Summary, error) {
	var total Summary
	var errs []error
	for _, r := range ev.Records {
		sum, err := c.workShard(ctx, []byte(r.Body), r.MessageId)
		total = addSummaries(total, sum)
		errs = append(errs, err)
	}
	return total, errors.Join(errs...)
}

func (c *Crawler) workShard(ctx context.Context, body []byte, messageID string) (Summary, error) {
	start := time.Now()
	d := c.deadlines(ctx, start)
	defer d.cancel()
	st := &runState{}
	m, err := DecodeShardMessage(body)
	if c.fan == nil {
		err = errors.New("this crawler has no SHARD_QUEUE_URL: it does not work shards")
	}
	if err != nil {
		slog.ErrorContext(ctx, "shard message refused", "message_id", messageID, "error", err)
		sum := Summary{RunFailures: 1, DurationMS: msSince(start)}
		if err := c.putMetricData(d.flush, workerDatums(c.runDatums(sum, time.Now()))); err != nil {
			slog.ErrorContext(ctx, "publish RunFailures failed", "error", err)
		}
		return sum, nil
	}
	if time.Now().After(m.NotAfter) {
		slog.WarnContext(ctx, "shard arrived after its not_after: the next run judges its targets", "run_id", m.RunID, "shard", m.Shard,
			"not_after", m.NotAfter, "targets", len(m.IDs))
		sum := Summary{Skipped: len(m.IDs), DurationMS: msSince(start)}
		if err := c.putMetricData(d.flush, workerDatums(c.runDatums(sum, time.Now()))); err != nil {
			slog.ErrorContext(ctx, "publish TargetsSkipped failed", "error", err)
		}
		return sum, nil
	}
	// A shard belongs to its run's interval: the worker's run ends by the coordinator's (not_after),
	// so a worker that started late judges what fits and skips the rest (counted) rather than run
	// on into the next run's interval, beside the next worker of its prefixes.
	if dl, ok := ctx.Deadline(); !ok || dl.After(m.NotAfter.Add(c.cfg.DeadlineMargin)) {
		clamped, cancel := context.WithDeadline(ctx, m.NotAfter.Add(c.cfg.DeadlineMargin))
		defer cancel()
		d.cancel()
		d = c.deadlines(clamped, start)
		defer d.cancel()
	}
	sh := m.shard()
	slog.InfoContext(ctx, "shard received", "run_id", m.RunID, "shard", m.Shard, "shards", m.Shards, "from", m.From, "to", m.To, "targets", len(m.IDs))

	listed := make(chan listedAlarms, 1)
	listCtx, cancelList := context.WithCancel(d.run)
	defer cancelList()
	go func() {
		existing, err := c.ownedAlarmsOf(listCtx, sh.prefixes())
		listed <- listedAlarms{existing, err}
	}()
	page, readErr := c.fan.targets.BatchGetEnabled(d.run, m.IDs)
	var targets []planned
	seen := map[string]*alarmTarget{}
	for _, bad := range page.Invalid {
		if bad.ID != "" {
			seen[bad.ID] = nil
		}
		st.update(func(s *Summary) { s.InvalidItems++ })
		slog.ErrorContext(ctx, "undecodable target item skipped; its alarms are left as they are", "id", bad.ID, "error", bad.Err)
	}
	for i := range page.Targets {
		t := &page.Targets[i]
		if !sh.owns(t.ID) {
			continue // not this shard's: never judged twice
		}
		seen[t.ID] = newAlarmTarget(t)
		targets = append(targets, newPlanned(*t))
	}
	unread := readErr != nil && len(seen) == 0
	if readErr != nil && !unread {
		st.update(func(s *Summary) { s.ReadFailures++ })
		slog.ErrorContext(ctx, "shard targets could not all be read: judging those read, deleting no alarm", "read", len(targets), "error", readErr)
	}
	return c.judge(ctx, d, st, judgeInput{targets: targets, seen: seen, scanErr: readErr, unread: unread, listed: listed,
		cancelList: cancelList, start: start, worker: true})
}

// ownedAlarmsOf lists the crawler's alarms under each of the id prefixes (two hex digits each).
func (c *Crawler) ownedAlarmsOf(ctx context.Context, prefixes []string) (owned, error) {
	all := owned{alarms: map[string]alarmDigest{}, refs: map[string]alarmRef{}}
	for _, p := range prefixes {
		o, err := c.listAlarms(ctx, c.cfg.AlarmPrefix+"-"+p)
		if err != nil {
			return owned{}, err
		}
		for name, dg := range o.alarms {
			all.alarms[name] = dg
			all.refs[name] = o.refs[name]
		}
	}
	return all, nil
}

// addSummaries adds the counters of b to a (the durations too).
func addSummaries(a, b Summary) Summary {
	a.Checked += b.Checked
	a.Down += b.Down
	a.Skipped += b.Skipped
	a.InvalidItems += b.InvalidItems
	a.LastCheckFailures += b.LastCheckFailures
	a.CheckFailures += b.CheckFailures
	a.VerdictFailures += b.VerdictFailures
	a.MetricBatchesFailed += b.MetricBatchesFailed
	a.AlarmsCreated += b.AlarmsCreated
	a.AlarmsUpdated += b.AlarmsUpdated
	a.AlarmsDeleted += b.AlarmsDeleted
	a.AlarmsFailed += b.AlarmsFailed
	a.AlarmsPending += b.AlarmsPending
	a.ReadFailures += b.ReadFailures
	a.RunFailures += b.RunFailures
	a.DurationMS += b.DurationMS
	return a
}

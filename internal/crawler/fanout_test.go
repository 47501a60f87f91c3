package crawler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/contract"
	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
)

// fakeQueue keeps the messages sent; failBatch fails the n-th SendMessageBatch call (1-based) whole.
type fakeQueue struct {
	mu        sync.Mutex
	calls     int
	failBatch int
	bodies    []string
}

func (q *fakeQueue) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.calls++
	if len(in.Entries) > maxSendBatch {
		return nil, errors.New("AWS.SimpleQueueService.TooManyEntriesInBatchRequest")
	}
	if q.calls == q.failBatch {
		return nil, errors.New("InternalError")
	}
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		q.bodies = append(q.bodies, aws.ToString(e.MessageBody))
		out.Successful = append(out.Successful, sqstypes.SendMessageBatchResultEntry{Id: e.Id})
	}
	return out, nil
}

// fakeShardTargets serves BatchGetEnabled from targets by id.
type fakeShardTargets map[string]target.Target

func (f fakeShardTargets) BatchGetEnabled(_ context.Context, ids []string) (store.ScanPage, error) {
	page := store.ScanPage{Number: 1}
	for _, id := range ids {
		if t, ok := f[id]; ok && t.Enabled {
			page.Targets = append(page.Targets, t)
		}
	}
	return page, nil
}

// sqsEvent is the event the event source mapping delivers for body.
func sqsEvent(t *testing.T, bodies ...string) json.RawMessage {
	t.Helper()
	ev := events.SQSEvent{}
	for i, b := range bodies {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: strconv.Itoa(i), Body: b, EventSource: "aws:sqs"})
	}
	raw, err := json.Marshal(ev)
	require.NoError(t, err)
	return raw
}

// fanOutFixture is n targets with random ids on a server counting the probes of each, in the
// table and in the batch reader, and a crawler with 2 slots fanning out to at most maxShards.
type fanOutFixture struct {
	c       *Crawler
	cw      *fakeCW
	queue   *fakeQueue
	targets fakeShardTargets
	mu      sync.Mutex
	probes  map[string]int
}

func newFanOutFixture(t *testing.T, n, maxShards int) *fanOutFixture {
	t.Helper()
	f := &fanOutFixture{cw: &fakeCW{}, queue: &fakeQueue{}, targets: fakeShardTargets{}, probes: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.probes[strings.TrimPrefix(r.URL.Path, "/t/")]++
		f.mu.Unlock()
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	db := &fakeDB{}
	for i := range n {
		id, err := target.NewID()
		require.NoError(t, err)
		tg := testTarget(i, srv.URL+"/t/"+id, func(tg *target.Target) { tg.ID = id; tg.TimeoutMS = 1000 })
		db.add(t, targetItem(t, tg))
		f.targets[id] = tg
	}
	cfg := testConfig()
	cfg.Concurrency = 2
	f.c = newTestCrawler(t, cfg, db, f.cw)
	WithFanOut(f.queue, "https://sqs.eu-west-1.amazonaws.com/123456789012/crawl-shards", maxShards, f.targets)(f.c)
	return f
}

// coordinate runs the coordinator with a 3 s invocation: 2 slots of a ≈ 2.2 s window cannot judge
// targets expected to take their 1 s timeout each (never checked).
func (f *fanOutFixture) coordinate(t *testing.T) Summary {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	sum, err := f.c.Handle(ctx, json.RawMessage(`{}`))
	require.NoError(t, err)
	return sum
}

func TestFanOutJudgesEveryTargetOnce(t *testing.T) {
	t.Parallel()
	f := newFanOutFixture(t, 200, 4)
	sum := f.coordinate(t)
	assert.Equal(t, 4, sum.Shards)
	assert.Zero(t, sum.Checked, "the coordinator judges nothing itself")
	assert.Zero(t, sum.RunFailures)
	require.Len(t, f.queue.bodies, 4)
	assert.Empty(t, f.probes, "no probe before the workers run")
	assert.Len(t, datumsNamed(f.cw.datums(), contract.MetricRunDuration, ""), 1, "the coordinator's heartbeat")
	assert.Len(t, datumsNamed(f.cw.datums(), contract.MetricTargetsChecked, ""), 0, "the workers publish the counts")

	// The workers, one shard each, as the event source mapping delivers them.
	checked := 0
	for _, body := range f.queue.bodies {
		ws, err := f.c.Handle(context.Background(), sqsEvent(t, body))
		require.NoError(t, err)
		assert.Zero(t, ws.RunFailures)
		checked += ws.Checked
	}
	assert.Equal(t, 200, checked, "every target judged")
	assert.Len(t, f.probes, 200)
	for id, n := range f.probes {
		assert.Equal(t, 1, n, "target %s probed once across the workers", id)
	}
	// The run's counters are the Sum of the workers' datums, one per worker; RunDuration stays one.
	puts := f.cw.datums()
	got := 0.0
	for _, d := range datumsNamed(puts, contract.MetricTargetsChecked, "") {
		got += aws.ToFloat64(d.Value)
	}
	assert.InDelta(t, 200, got, 0)
	assert.Len(t, datumsNamed(puts, contract.MetricRunDuration, ""), 1)
	assert.Len(t, datumsNamed(puts, contract.MetricShards, ""), 1)
}

func TestFanOutWorkersDeleteOnlyTheirPrefixesStaleAlarms(t *testing.T) {
	t.Parallel()
	f := newFanOutFixture(t, 60, 3)
	// A stale alarm (its target gone) under every prefix.
	f.cw.alarms = map[string]cwtypes.MetricAlarm{}
	for p := range prefixCount {
		id := strings.Repeat("0", 30)
		name := contract.AlarmName(testPrefix, hex2(p)+id, contract.AlarmKindAvailability)
		f.cw.alarms[name] = cwtypes.MetricAlarm{AlarmName: aws.String(name)}
	}
	sum := f.coordinate(t)
	require.Equal(t, 3, sum.Shards)
	assert.Empty(t, deletedNames(f.cw), "the coordinator deletes nothing")
	deleted := map[string]bool{}
	for _, body := range f.queue.bodies {
		m, err := DecodeShardMessage([]byte(body))
		require.NoError(t, err)
		before := len(deletedNames(f.cw))
		_, err = f.c.Handle(context.Background(), sqsEvent(t, body))
		require.NoError(t, err)
		mine := deletedNames(f.cw)[before:]
		assert.Len(t, mine, m.shard().to-m.shard().from+1, "shard %s-%s deletes the stale alarm of each of its prefixes", m.From, m.To)
		for _, name := range mine {
			id, _, ok := contract.ParseAlarmName(testPrefix, name)
			require.True(t, ok)
			assert.True(t, m.shard().owns(id), "shard %s-%s deleted %s", m.From, m.To, name)
			assert.False(t, deleted[name], "%s deleted twice", name)
			deleted[name] = true
		}
	}
	assert.Len(t, deleted, prefixCount, "every stale alarm deleted by exactly one worker")
	for _, tg := range f.targets {
		_, ok := f.cw.alarms[contract.AlarmName(testPrefix, tg.ID, contract.AlarmKindAvailability)]
		assert.True(t, ok, "the alarms of %s were created by its worker", tg.ID)
	}
}

func TestFanOutSendFailuresAreRunFailures(t *testing.T) {
	t.Parallel()
	f := newFanOutFixture(t, 400, 12) // 12 shards: two SendMessageBatch calls
	f.queue.failBatch = 2
	sum := f.coordinate(t)
	assert.Equal(t, 2, f.queue.calls)
	assert.Equal(t, 10, sum.Shards)
	assert.Equal(t, 2, sum.ShardsFailed)
	assert.Equal(t, 2, sum.RunFailures)
	failures := datumsNamed(f.cw.datums(), contract.MetricRunFailures, "")
	require.Len(t, failures, 1)
	assert.InDelta(t, 2, aws.ToFloat64(failures[0].Value), 0)
}

func TestFanOutOnlyWhenNeeded(t *testing.T) {
	t.Parallel()
	f := newFanOutFixture(t, 3, 4) // 3 s of checks: within 2 slots of the window
	sum := f.coordinate(t)
	assert.Zero(t, sum.Shards)
	assert.Equal(t, 3, sum.Checked)
	assert.Empty(t, f.queue.bodies)
}

func TestBadShardMessageIsReportedNotPanicked(t *testing.T) {
	t.Parallel()
	f := newFanOutFixture(t, 1, 4)
	late := validShardMessage()
	late.IssuedAt, late.NotAfter = time.Now().Add(-2*time.Minute), time.Now().Add(-time.Minute)
	lateBody, err := EncodeShardMessage(late)
	require.NoError(t, err)
	for name, body := range map[string]string{
		"not JSON":      "{",
		"empty":         "",
		"other version": `{"version":99}`,
		"bad ids":       `{"version":1,"run_id":"r","shard":0,"shards":1,"from":"00","to":"0f","ids":["ff` + strings.Repeat("0", 30) + `"],"issued_at":"2026-01-01T00:00:00Z","not_after":"2026-01-01T00:01:00Z"}`,
	} {
		t.Run(name, func(t *testing.T) {
			cw := &fakeCW{}
			c := newTestCrawler(t, testConfig(), &fakeDB{}, cw)
			WithFanOut(f.queue, "q", 4, f.targets)(c)
			var sum Summary
			require.NotPanics(t, func() {
				sum, err = c.Handle(context.Background(), sqsEvent(t, body))
			})
			require.NoError(t, err, "a bad message is not retried: it would fail again")
			assert.Equal(t, 1, sum.RunFailures)
			failures := datumsNamed(cw.datums(), contract.MetricRunFailures, "")
			require.Len(t, failures, 1)
			assert.InDelta(t, 1, aws.ToFloat64(failures[0].Value), 0)
		})
	}
	t.Run("late", func(t *testing.T) {
		cw := &fakeCW{}
		c := newTestCrawler(t, testConfig(), &fakeDB{}, cw)
		WithFanOut(f.queue, "q", 4, f.targets)(c)
		sum, err := c.Handle(context.Background(), sqsEvent(t, string(lateBody)))
		require.NoError(t, err)
		assert.Equal(t, len(late.IDs), sum.Skipped, "a late shard is skipped, not judged")
		assert.Zero(t, sum.Checked)
	})
	t.Run("no fan-out configured", func(t *testing.T) {
		cw := &fakeCW{}
		c := newTestCrawler(t, testConfig(), &fakeDB{}, cw)
		body, err := EncodeShardMessage(validShardMessage())
		require.NoError(t, err)
		sum, err := c.Handle(context.Background(), sqsEvent(t, string(body)))
		require.NoError(t, err)
		assert.Equal(t, 1, sum.RunFailures)
	})
}

func hex2(p int) string { return string("0123456789abcdef"[p>>4]) + string("0123456789abcdef"[p&15]) }

// deletedNames are the alarm names cw was asked to delete, in order.
func deletedNames(cw *fakeCW) []string {
	cw.mu.Lock()
	defer cw.mu.Unlock()
	var out []string
	for _, batch := range cw.deletes {
		out = append(out, batch...)
	}
	return out
}

// TestFanOutFallsBackWhenUnshardable: more targets under one prefix than a message holds cannot be
// split; the run then judges what fits itself rather than nothing.
func TestFanOutFallsBackWhenUnshardable(t *testing.T) {
	t.Parallel()
	f := newFanOutFixture(t, 0, 4)
	srv := okServer(t)
	db := &fakeDB{}
	for i := range maxShardIDs + 1 {
		tg := testTarget(i, srv.URL+"/", func(tg *target.Target) { tg.ID = fmt.Sprintf("ab%030x", i); tg.TimeoutMS = 1000 })
		db.add(t, targetItem(t, tg))
	}
	c := newTestCrawler(t, f.c.cfg, db, f.cw)
	WithFanOut(f.queue, "q", 4, f.targets)(c)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	sum, err := c.Handle(ctx, json.RawMessage(`{}`))
	require.NoError(t, err)
	assert.Empty(t, f.queue.bodies, "no shard sent")
	assert.Zero(t, sum.Shards)
	assert.Positive(t, sum.Checked, "the run judged what fitted")
	assert.Equal(t, maxShardIDs+1, sum.Checked+sum.Skipped)
}

// TestWorkerEndsWithItsRun: a worker's run ends by its shard's not_after, however long its own
// invocation may run, so a late worker never runs into the next run's interval; what does not fit
// is skipped (counted), never judged late.
func TestWorkerEndsWithItsRun(t *testing.T) {
	t.Parallel()
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(hang.Close)
	targets := fakeShardTargets{}
	var ids []string
	for i := range 6 {
		tg := testTarget(i, hang.URL+"/", func(t *target.Target) { t.TimeoutMS = 1000 })
		targets[tg.ID] = tg
		ids = append(ids, tg.ID)
	}
	slices.Sort(ids)
	now := time.Now()
	body, err := EncodeShardMessage(ShardMessage{Version: ShardMessageVersion, RunID: "r", Shard: 0, Shards: 1, From: "00", To: "ff",
		IDs: ids, IssuedAt: now, NotAfter: now.Add(1500 * time.Millisecond)})
	require.NoError(t, err)
	cfg := testConfig()
	cfg.Concurrency = 1
	c := newTestCrawler(t, cfg, &fakeDB{}, &fakeCW{})
	WithFanOut(&fakeQueue{}, "https://sqs.eu-west-1.amazonaws.com/123456789012/crawl-shards", 4, targets)(c)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // the worker's own invocation
	defer cancel()
	sum, err := c.Handle(ctx, sqsEvent(t, string(body)))
	require.NoError(t, err)
	assert.Less(t, time.Since(now), 3*time.Second, "the worker's run ended with its shard's run")
	assert.LessOrEqual(t, sum.Checked, 1, "one 1 s check fits before not_after on one slot")
	assert.Equal(t, 6, sum.Checked+sum.Skipped, "what did not fit is skipped, counted")
	assert.Equal(t, sum.Checked, sum.Down, "a hanging target judged is down")
}

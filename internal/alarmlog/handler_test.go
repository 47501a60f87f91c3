package alarmlog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/alarmlog"
	"github.com/webhealth/webhealth/internal/contract"
	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
	"github.com/webhealth/webhealth/internal/testutil/snsevents"
)

var now = time.Date(2026, 11, 21, 10, 3, 14, 250_000_000, time.UTC)

// fakeDB is an in-memory alarm table that evaluates the one condition the handler may send.
type fakeDB struct {
	mu    sync.Mutex
	items map[[2]string]map[string]types.AttributeValue
	calls int
	fail  func(item map[string]types.AttributeValue) error // injected storage failure, nil = none
}

func newFakeDB() *fakeDB { return &fakeDB{items: map[[2]string]map[string]types.AttributeValue{}} }

func (f *fakeDB) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if aws.ToString(in.TableName) != "alarms" {
		return nil, &types.ResourceNotFoundException{Message: aws.String("no table " + aws.ToString(in.TableName))}
	}
	if f.fail != nil {
		if err := f.fail(in.Item); err != nil {
			return nil, err
		}
	}
	key := [2]string{attrS(in.Item["target_id"]), attrS(in.Item["sk"])}
	switch cond := aws.ToString(in.ConditionExpression); cond {
	case "attribute_not_exists(sk)":
		if _, ok := f.items[key]; ok {
			return nil, &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
		}
	default:
		return nil, fmt.Errorf("fake: unsupported condition %q", cond)
	}
	f.items[key] = in.Item
	return &dynamodb.PutItemOutput{}, nil
}

// Query is not called by the handler.
func (f *fakeDB) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return nil, errors.New("fake: the alarm logger does not query")
}

func (f *fakeDB) all() []map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []map[string]string
	for _, it := range f.items {
		out = append(out, flat(it))
	}
	return out
}

func attrS(av types.AttributeValue) string {
	if v, ok := av.(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// flat renders an item as name -> value, numbers as "N:<value>", for whole-item comparisons.
func flat(item map[string]types.AttributeValue) map[string]string {
	out := map[string]string{}
	for k, av := range item {
		switch v := av.(type) {
		case *types.AttributeValueMemberS:
			out[k] = v.Value
		case *types.AttributeValueMemberN:
			out[k] = "N:" + v.Value
		case *types.AttributeValueMemberBOOL:
			out[k] = "BOOL:" + strconv.FormatBool(v.Value)
		default:
			out[k] = fmt.Sprintf("unexpected %T", av)
		}
	}
	return out
}

func config() alarmlog.Config {
	return alarmlog.Config{Table: "alarms", URLsTable: "urls", AlarmPrefix: prefix, RetentionDays: 90}
}

// logBuffer collects JSON log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for line := range strings.Lines(l.buf.String()) {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m))
		out = append(out, m)
	}
	return out
}

// fakeTargets is the URL table as the handler reads it: get answers (nil: every target exists, unmuted).
type fakeTargets struct {
	mu   sync.Mutex
	get  func(id string) (target.Target, error)
	gets []string
}

func (f *fakeTargets) Get(_ context.Context, id string) (target.Target, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets = append(f.gets, id)
	if f.get == nil {
		return target.Target{ID: id, URL: "https://example.com/", Name: "example", Enabled: true}, nil
	}
	return f.get(id)
}

func (f *fakeTargets) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.gets...)
}

// newHandler is the handler as main wires it: recording through the store, into db, its targets unmuted.
func newHandler(db store.AlarmsDB, cfg alarmlog.Config, logs *logBuffer) *alarmlog.Handler {
	return newHandlerWith(db, &fakeTargets{}, cfg, logs)
}

func newHandlerWith(db store.AlarmsDB, targets alarmlog.Targets, cfg alarmlog.Config, logs *logBuffer) *alarmlog.Handler {
	logger := slog.New(slog.DiscardHandler)
	if logs != nil {
		logger = slog.New(slog.NewJSONHandler(logs, nil))
	}
	return alarmlog.New(store.NewAlarms(db, cfg.Table), targets, cfg, alarmlog.WithClock(func() time.Time { return now }), alarmlog.WithLogger(logger))
}

func expiresAt(days int) string {
	return "N:" + strconv.FormatInt(now.Add(time.Duration(days)*24*time.Hour).Unix(), 10)
}

func TestHandleStoresOneItemPerRecord(t *testing.T) {
	t.Parallel()
	ourName := prefix + "-" + targetID + "-availability"
	recorded := "2026-11-21T10:03:14.250Z"
	raw := func(file, parseErr string) map[string]string {
		return map[string]string{
			"target_id": "_unparsed", "sk": "2015-06-03T17:43:27.123Z#95df01b4-ee98-5cb9-9903-4c221d41eb5e",
			"message_id": "95df01b4-ee98-5cb9-9903-4c221d41eb5e", "raw": message(t, file), "parse_error": parseErr,
			"subject": "TestInvoke", "topic_arn": "arn:aws:sns:EXAMPLE", "recorded_at": recorded, "expires_at": expiresAt(90),
		}
	}
	noTarget := `alarm does not name a target: alarm "EXAMPLE" has no valid TargetId dimension and its name is not ` +
		prefix + `-<target id>-(availability|latency|certificate|verdict|degraded)`
	tests := []struct {
		file string
		want map[string]string
	}{
		{ourAlarm, map[string]string{
			"target_id": targetID, "sk": "2026-11-21T10:03:12.345Z#3f1c8a52-9d4e-5b7f-8a21-6c0e9d4b2f13",
			"message_id": "3f1c8a52-9d4e-5b7f-8a21-6c0e9d4b2f13", "alarm_name": ourName, "alarm_kind": "availability",
			"new_state": "ALARM", "old_state": "OK", "reason": alarmReason, "state_change_time": "2026-11-21T10:03:12.345Z",
			"metric_name": "Availability", "recorded_at": recorded, "expires_at": expiresAt(90),
		}},
		{ourOK, map[string]string{
			"target_id": targetID, "sk": "2026-11-21T10:09:12.601Z#a7e2d9c4-1b3f-5e8a-9c6d-4f2b8e1a7d35",
			"message_id": "a7e2d9c4-1b3f-5e8a-9c6d-4f2b8e1a7d35", "alarm_name": ourName, "alarm_kind": "availability",
			"new_state": "OK", "old_state": "ALARM",
			"reason":            "Threshold Crossed: 2 out of the last 2 datapoints [1.0 (21/11/26 10:08:00), 1.0 (21/11/26 10:07:00)] was not less than the threshold (1.0) (minimum 1 datapoint for ALARM -> OK transition).",
			"state_change_time": "2026-11-21T10:09:12.601Z", "metric_name": "Availability", "recorded_at": recorded, "expires_at": expiresAt(90),
		}},
		// The verdict alarms of the home region of several: recorded in the history like the others
		// (a degraded change is recorded whether or not the notifier tells it).
		{snsevents.OurVerdict, map[string]string{
			"target_id": targetID, "sk": "2026-11-21T10:03:12.345Z#6b2d7e41-0c8a-5f3e-b9d1-2a4c6e8f0b17",
			"message_id": "6b2d7e41-0c8a-5f3e-b9d1-2a4c6e8f0b17", "alarm_name": prefix + "-" + targetID + "-verdict", "alarm_kind": "verdict",
			"new_state": "ALARM", "old_state": "OK",
			"reason":            "Threshold Crossed: 2 out of the last 2 datapoints [3.0 (21/11/26 10:02:00), 2.0 (21/11/26 10:01:00)] was greater than or equal to the threshold (2.0) (minimum 2 datapoints for OK -> ALARM transition).",
			"state_change_time": "2026-11-21T10:03:12.345Z", "metric_name": "RegionsDown", "recorded_at": recorded, "expires_at": expiresAt(90),
		}},
		{snsevents.OurDegraded, map[string]string{
			"target_id": targetID, "sk": "2026-11-21T10:03:12.345Z#2e8b4f6a-7c1d-5a9e-b3f5-8d0a2c4e6f81",
			"message_id": "2e8b4f6a-7c1d-5a9e-b3f5-8d0a2c4e6f81", "alarm_name": prefix + "-" + targetID + "-degraded", "alarm_kind": "degraded",
			"new_state": "ALARM", "old_state": "OK",
			"reason":            "Threshold Crossed: 2 out of the last 2 datapoints [1.0 (21/11/26 10:02:00), 1.0 (21/11/26 10:01:00)] was greater than or equal to the threshold (1.0) (minimum 2 datapoints for OK -> ALARM transition).",
			"state_change_time": "2026-11-21T10:03:12.345Z", "metric_name": "RegionsDown", "recorded_at": recorded, "expires_at": expiresAt(90),
		}},
		{awsSingleMetric, raw(awsSingleMetric, noTarget)},
		{awsMultipleMetric, raw(awsMultipleMetric, noTarget)},
		{awsSNSEvent, raw(awsSNSEvent, "not a CloudWatch alarm notification: invalid character 'H' looking for beginning of value")},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			db := newFakeDB()
			require.NoError(t, newHandler(db, config(), nil).Handle(context.Background(), loadEvent(t, tc.file)))
			assert.Equal(t, []map[string]string{tc.want}, db.all())
		})
	}
}

func TestHandleDuplicateDeliveryStoresOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		events []events.SNSEvent
		want   int
	}{
		{"alarm redelivered", []events.SNSEvent{loadEvent(t, ourAlarm), loadEvent(t, ourAlarm)}, 1},
		{"same record twice in one batch", []events.SNSEvent{{Records: append(loadEvent(t, ourOK).Records, loadEvent(t, ourOK).Records...)}}, 1},
		{"unparsed message redelivered", []events.SNSEvent{loadEvent(t, awsSNSEvent), loadEvent(t, awsSNSEvent)}, 1},
		{"without MessageId, same message", []events.SNSEvent{withoutMessageID(t, ourAlarm), withoutMessageID(t, ourAlarm)}, 1},
		{"ALARM then OK are two changes", []events.SNSEvent{loadEvent(t, ourAlarm), loadEvent(t, ourOK), loadEvent(t, ourAlarm)}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := newFakeDB()
			logs := &logBuffer{}
			h := newHandler(db, config(), logs)
			for _, ev := range tc.events {
				require.NoError(t, h.Handle(context.Background(), ev))
			}
			assert.Len(t, db.all(), tc.want)
			var dups int
			for _, l := range logs.lines(t) {
				if strings.HasPrefix(l["msg"].(string), "duplicate delivery") {
					dups++
					assert.Equal(t, "INFO", l["level"])
					assert.NotEmpty(t, l["message_id"])
				}
			}
			assert.Equal(t, db.calls-tc.want, dups, "every rejected put is logged as a duplicate")
			assert.Positive(t, dups)
		})
	}
}

func withoutMessageID(t *testing.T, file string) events.SNSEvent {
	t.Helper()
	ev := loadEvent(t, file)
	ev.Records[0].SNS.MessageID = ""
	return ev
}

func TestHandleLogsUnparsedAtWarn(t *testing.T) {
	t.Parallel()
	db := newFakeDB()
	logs := &logBuffer{}
	require.NoError(t, newHandler(db, config(), logs).Handle(context.Background(), loadEvent(t, awsSNSEvent)))
	lines := logs.lines(t)
	require.Len(t, lines, 1)
	assert.Equal(t, "WARN", lines[0]["level"])
	assert.Equal(t, "95df01b4-ee98-5cb9-9903-4c221d41eb5e", lines[0]["message_id"])
	assert.Equal(t, "arn:aws:sns:EXAMPLE", lines[0]["topic_arn"])
	assert.Contains(t, lines[0]["parse_error"], "not a CloudWatch alarm notification")

	logs = &logBuffer{}
	require.NoError(t, newHandler(newFakeDB(), config(), logs).Handle(context.Background(), loadEvent(t, ourAlarm)))
	lines = logs.lines(t)
	require.Len(t, lines, 1)
	assert.Equal(t, "INFO", lines[0]["level"])
	assert.Equal(t, targetID, lines[0]["target_id"])
	assert.Equal(t, "ALARM", lines[0]["new_state"])
}

// The ourAlarm fixture changed state at 2026-11-21T10:03:12.345Z.
var changedAt = time.Date(2026, 11, 21, 10, 3, 12, 345_000_000, time.UTC)

func TestHandleRecordsMuted(t *testing.T) {
	t.Parallel()
	mutedUntil := func(until time.Time) func(string) (target.Target, error) {
		return func(id string) (target.Target, error) {
			return target.Target{ID: id, URL: "https://example.com/", MutedUntil: &until, MuteReason: "deploy"}, nil
		}
	}
	tests := []struct {
		name  string
		get   func(string) (target.Target, error)
		muted bool
		log   string // a line the handler must log besides the record's
	}{
		{name: "not muted", get: nil},
		{name: "muted past the state change", get: mutedUntil(changedAt.Add(time.Hour)), muted: true},
		{name: "muted until a millisecond after it", get: mutedUntil(changedAt.Add(time.Millisecond)), muted: true},
		{name: "mute ended at the state change", get: mutedUntil(changedAt)},
		{name: "mute ended between the state change and its record: judged at the change", get: mutedUntil(now.Add(-time.Second)), muted: true},
		{name: "target deleted", get: func(id string) (target.Target, error) {
			return target.Target{}, fmt.Errorf("get target %s: %w", id, store.ErrNotFound)
		}, log: "target not found (deleted?): recorded as not muted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db, targets, logs := newFakeDB(), &fakeTargets{get: tc.get}, &logBuffer{}
			h := newHandlerWith(db, targets, config(), logs)
			require.NoError(t, h.Handle(context.Background(), loadEvent(t, ourAlarm)))
			items := db.all()
			require.Len(t, items, 1)
			if tc.muted {
				assert.Equal(t, "BOOL:true", items[0]["muted"])
			} else {
				assert.NotContains(t, items[0], "muted", "stored only when true")
			}
			assert.Equal(t, []string{targetID}, targets.calls())
			var msgs []any
			for _, l := range logs.lines(t) {
				msgs = append(msgs, l["msg"])
				if l["msg"] == "alarm state change recorded" {
					assert.Equal(t, tc.muted, l["muted"])
				}
			}
			if tc.log != "" {
				assert.Contains(t, msgs, tc.log)
			}
		})
	}
}

func TestHandleUnparsedReadsNoTarget(t *testing.T) {
	t.Parallel()
	targets := &fakeTargets{}
	require.NoError(t, newHandlerWith(newFakeDB(), targets, config(), nil).Handle(context.Background(), loadEvent(t, awsSNSEvent)))
	assert.Empty(t, targets.calls())
}

// A failed read of the target loses no record: it is stored without muted, the failure is logged and
// fails the invocation; Lambda's retry finds the record stored and succeeds once the read does.
func TestHandleTargetReadFailure(t *testing.T) {
	t.Parallel()
	boom := errors.New("AccessDeniedException: not authorized to perform dynamodb:GetItem")
	failing := true
	targets := &fakeTargets{get: func(id string) (target.Target, error) {
		if failing {
			return target.Target{}, boom
		}
		until := changedAt.Add(time.Hour)
		return target.Target{ID: id, MutedUntil: &until}, nil
	}}
	db, logs := newFakeDB(), &logBuffer{}
	h := newHandlerWith(db, targets, config(), logs)

	err := h.Handle(context.Background(), loadEvent(t, ourAlarm))
	require.ErrorIs(t, err, boom)
	assert.Contains(t, err.Error(), "message 3f1c8a52-9d4e-5b7f-8a21-6c0e9d4b2f13: read target "+targetID)
	items := db.all()
	require.Len(t, items, 1, "the record is stored")
	assert.NotContains(t, items[0], "muted")
	var levels []any
	for _, l := range logs.lines(t) {
		levels = append(levels, l["level"])
		if l["level"] == "ERROR" {
			assert.Equal(t, "read target failed: alarm record stored without muted", l["msg"])
			assert.Contains(t, l["error"], "AccessDeniedException")
			assert.Equal(t, targetID, l["target_id"])
		}
	}
	assert.Equal(t, []any{"ERROR", "INFO"}, levels)

	failing = false
	require.NoError(t, h.Handle(context.Background(), loadEvent(t, ourAlarm)), "the retry")
	assert.Len(t, db.all(), 1)

	// Both fail: both errors are returned.
	db.fail = func(map[string]types.AttributeValue) error { return errors.New("throttled") }
	failing = true
	ev := loadEvent(t, ourOK)
	err = h.Handle(context.Background(), ev)
	require.ErrorIs(t, err, boom)
	assert.ErrorContains(t, err, "throttled")
}

func TestHandleStorageFailure(t *testing.T) {
	t.Parallel()
	boom := errors.New("throttled beyond retries")
	db := newFakeDB()
	failing := true
	db.fail = func(item map[string]types.AttributeValue) error {
		if failing && attrS(item["message_id"]) == "a7e2d9c4-1b3f-5e8a-9c6d-4f2b8e1a7d35" {
			return boom
		}
		return nil
	}
	batch := events.SNSEvent{Records: append(append(loadEvent(t, ourAlarm).Records, loadEvent(t, ourOK).Records...), loadEvent(t, awsSNSEvent).Records...)}
	logs := &logBuffer{}
	h := newHandler(db, config(), logs)

	err := h.Handle(context.Background(), batch)
	require.ErrorIs(t, err, boom)
	assert.Contains(t, err.Error(), "put alarm record "+targetID+"/2026-11-21T10:09:12.601Z#a7e2d9c4-1b3f-5e8a-9c6d-4f2b8e1a7d35")
	assert.Len(t, db.all(), 2, "the records around the failure are stored")
	var levels []any
	for _, l := range logs.lines(t) {
		levels = append(levels, l["level"])
	}
	assert.Equal(t, []any{"INFO", "ERROR", "WARN"}, levels)

	// Lambda retries the whole event: the failed record is stored, the others are not duplicated.
	failing = false
	require.NoError(t, h.Handle(context.Background(), batch))
	assert.Len(t, db.all(), 3)
}

func TestHandleMissingTableIsAnError(t *testing.T) {
	t.Parallel()
	cfg := config()
	cfg.Table = "gone"
	err := newHandler(newFakeDB(), cfg, nil).Handle(context.Background(), loadEvent(t, awsSNSEvent))
	var notFound *types.ResourceNotFoundException
	require.ErrorAs(t, err, &notFound, "even a raw record that cannot be stored fails the invocation")
}

func TestHandleStopsWhenContextIsDone(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	db := newFakeDB()
	err := newHandler(db, config(), nil).Handle(ctx, loadEvent(t, ourAlarm))
	require.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, db.calls)
}

func TestHandleRetentionSetsTTL(t *testing.T) {
	t.Parallel()
	for _, days := range []int{1, 90, 3650} {
		t.Run(strconv.Itoa(days), func(t *testing.T) {
			t.Parallel()
			cfg := config()
			cfg.RetentionDays = days
			for _, file := range []string{ourAlarm, awsSNSEvent} {
				db := newFakeDB()
				require.NoError(t, newHandler(db, cfg, nil).Handle(context.Background(), loadEvent(t, file)))
				items := db.all()
				require.Len(t, items, 1)
				assert.Equal(t, expiresAt(days), items[0]["expires_at"], file)
			}
		})
	}
}

// FuzzHandle: whatever the message, exactly one item is stored, either under a valid target id with
// a known kind, or under "_unparsed" with the message and the reason; the sort key is always
// "<time>#<message id>".
func FuzzHandle(f *testing.F) {
	for _, name := range []string{awsSNSEvent, awsSingleMetric, ourAlarm, ourOK, snsevents.OurVerdict, snsevents.OurDegraded} {
		f.Add(message(f, name), "TestInvoke")
	}
	f.Add("\xff\xfe not utf-8", "\xff")
	h := func(db *fakeDB) *alarmlog.Handler {
		return alarmlog.New(store.NewAlarms(db, config().Table), &fakeTargets{}, config(), alarmlog.WithLogger(slog.New(slog.DiscardHandler)))
	}
	base := loadEvent(f, ourAlarm).Records[0]
	f.Fuzz(func(t *testing.T, msg, subject string) {
		db := newFakeDB()
		rec := base
		rec.SNS.Message, rec.SNS.Subject = msg, subject
		ev := events.SNSEvent{Records: []events.SNSEventRecord{rec}}
		require.NoError(t, h(db).Handle(context.Background(), ev))
		items := db.all()
		require.Len(t, items, 1)
		it := items[0]
		assert.True(t, strings.HasSuffix(it["sk"], "#3f1c8a52-9d4e-5b7f-8a21-6c0e9d4b2f13"), it["sk"])
		assert.True(t, strings.HasPrefix(it["expires_at"], "N:"))
		if it["target_id"] == store.UnparsedTargetID {
			assert.Equal(t, strings.ToValidUTF8(msg, "\uFFFD"), it["raw"])
			assert.NotEmpty(t, it["parse_error"])
			return
		}
		assert.True(t, target.ValidID(it["target_id"]), it["target_id"])
		assert.Contains(t, contract.AlarmKinds(), it["alarm_kind"])
		assert.Equal(t, it["state_change_time"]+"#3f1c8a52-9d4e-5b7f-8a21-6c0e9d4b2f13", it["sk"])
	})
}

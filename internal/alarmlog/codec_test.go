package alarmlog_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
)

// The handler (writer) and the store (reader) share store's alarm-item codec; these tests prove
// that what the handler writes is what the reader decodes, attribute for attribute.

// retained is expires_at for the test clock and 90 days of retention: epoch seconds, UTC.
var retained = time.Unix(now.Add(90*24*time.Hour).Unix(), 0).UTC()

const (
	recordedAt = "2026-11-21T10:03:14.250Z"
	sparseID   = "b1d2c3e4-0000-5000-8000-000000000002"
)

// sparseAlarm is our ALARM without OldStateValue, NewStateReason and the trigger's MetricName
// (the kind then comes from the alarm name), under another MessageId.
func sparseAlarm(t testing.TB) events.SNSEvent {
	t.Helper()
	ev := loadEvent(t, ourAlarm)
	ev.Records[0].SNS.MessageID = sparseID
	ev.Records[0].SNS.Message = variant(t, func(m map[string]any) {
		delete(m, "OldStateValue")
		delete(m, "NewStateReason")
		delete(trigger(m), "MetricName")
	})
	return ev
}

func wantAlarm() store.AlarmRecord {
	return store.AlarmRecord{
		TargetID: targetID, SK: "2026-11-21T10:03:12.345Z#3f1c8a52-9d4e-5b7f-8a21-6c0e9d4b2f13",
		MessageID: "3f1c8a52-9d4e-5b7f-8a21-6c0e9d4b2f13", AlarmName: prefix + "-" + targetID + "-availability",
		AlarmKind: "availability", NewState: "ALARM", OldState: "OK", Reason: alarmReason,
		StateChangeTime: "2026-11-21T10:03:12.345Z", MetricName: "Availability", RecordedAt: recordedAt,
	}
}

func wantOK() store.AlarmRecord {
	r := wantAlarm()
	r.SK, r.MessageID = "2026-11-21T10:09:12.601Z#a7e2d9c4-1b3f-5e8a-9c6d-4f2b8e1a7d35", "a7e2d9c4-1b3f-5e8a-9c6d-4f2b8e1a7d35"
	r.NewState, r.OldState, r.StateChangeTime = "OK", "ALARM", "2026-11-21T10:09:12.601Z"
	r.Reason = "Threshold Crossed: 2 out of the last 2 datapoints [1.0 (21/11/26 10:08:00), 1.0 (21/11/26 10:07:00)] was not less than the threshold (1.0) (minimum 1 datapoint for ALARM -> OK transition)."
	return r
}

func wantSparse() store.AlarmRecord {
	r := wantAlarm()
	r.SK, r.MessageID = "2026-11-21T10:03:12.345Z#"+sparseID, sparseID
	r.OldState, r.Reason, r.MetricName = "", "", ""
	return r
}

// storedItem runs the handler on ev against a fake table and returns the one item it put.
func storedItem(t *testing.T, ev events.SNSEvent) map[string]types.AttributeValue {
	t.Helper()
	return storedItemWith(t, &fakeTargets{}, ev)
}

func storedItemWith(t *testing.T, targets *fakeTargets, ev events.SNSEvent) map[string]types.AttributeValue {
	t.Helper()
	db := newFakeDB()
	require.NoError(t, newHandlerWith(db, targets, config(), nil).Handle(context.Background(), ev))
	db.mu.Lock()
	defer db.mu.Unlock()
	require.Len(t, db.items, 1)
	for _, it := range db.items {
		return it
	}
	return nil
}

func TestStoreReadsWhatHandlerWritesForStateChanges(t *testing.T) {
	t.Parallel()
	until := now.Add(time.Hour)
	muted := &fakeTargets{get: func(id string) (target.Target, error) { return target.Target{ID: id, MutedUntil: &until}, nil }}
	wantMuted := wantAlarm()
	wantMuted.Muted = true
	tests := []struct {
		name    string
		ev      func(testing.TB) events.SNSEvent
		targets *fakeTargets
		want    store.AlarmRecord
		absent  []string // attributes not stored (docs/design.md: empty ones, and muted when false, are omitted)
	}{
		{"ALARM", func(t testing.TB) events.SNSEvent { return loadEvent(t, ourAlarm) }, &fakeTargets{}, wantAlarm(), []string{"muted"}},
		{"OK", func(t testing.TB) events.SNSEvent { return loadEvent(t, ourOK) }, &fakeTargets{}, wantOK(), []string{"muted"}},
		{"without old state, reason and metric", sparseAlarm, &fakeTargets{}, wantSparse(), []string{"old_state", "reason", "metric_name", "muted"}},
		{"of a muted target", func(t testing.TB) events.SNSEvent { return loadEvent(t, ourAlarm) }, muted, wantMuted, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			item := storedItemWith(t, tc.targets, tc.ev(t))
			got, err := store.UnmarshalAlarm(item)
			require.NoError(t, err)
			assert.Equal(t, store.AlarmItem{AlarmRecord: tc.want, ExpiresAt: retained}, got)
			assert.Len(t, item, 13-len(tc.absent))
			for _, name := range tc.absent {
				assert.NotContains(t, item, name)
			}
			// Nothing the handler writes is unknown to the reader: encoding what it read gives the item back.
			again, err := store.MarshalAlarm(got)
			require.NoError(t, err)
			assert.Equal(t, item, again)
		})
	}
}

func TestStoreReadsWhatHandlerWritesForUnparsedMessages(t *testing.T) {
	t.Parallel()
	withSNS := func(file string, edit func(*events.SNSEntity)) func(testing.TB) events.SNSEvent {
		return func(t testing.TB) events.SNSEvent {
			ev := loadEvent(t, file)
			edit(&ev.Records[0].SNS)
			return ev
		}
	}
	base := store.UnparsedAlarmItem{
		SK: "2015-06-03T17:43:27.123Z#95df01b4-ee98-5cb9-9903-4c221d41eb5e", MessageID: "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
		Subject: "TestInvoke", TopicARN: "arn:aws:sns:EXAMPLE", Raw: "Hello from SNS!",
		ParseError: "not a CloudWatch alarm notification: invalid character 'H' looking for beginning of value",
		RecordedAt: recordedAt, ExpiresAt: retained,
	}
	noSubject := base
	noSubject.Subject, noSubject.TopicARN = "", ""
	empty := base
	empty.Raw, empty.ParseError = "", "not a CloudWatch alarm notification: unexpected end of JSON input"
	invalidUTF8 := base
	invalidUTF8.Raw, invalidUTF8.Subject = "Hello \uFFFD", "\uFFFD"
	invalidUTF8.ParseError = "not a CloudWatch alarm notification: invalid character 'H' looking for beginning of value"

	tests := []struct {
		name string
		ev   func(testing.TB) events.SNSEvent
		want store.UnparsedAlarmItem
	}{
		{"not an alarm", withSNS(awsSNSEvent, func(*events.SNSEntity) {}), base},
		{"without subject and topic", withSNS(awsSNSEvent, func(s *events.SNSEntity) { s.Subject, s.TopicArn = "", "" }), noSubject},
		{"empty message", withSNS(awsSNSEvent, func(s *events.SNSEntity) { s.Message = "" }), empty},
		{"invalid UTF-8", withSNS(awsSNSEvent, func(s *events.SNSEntity) { s.Message, s.Subject = "Hello \xff", "\xfe" }), invalidUTF8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			item := storedItem(t, tc.ev(t))
			got, err := store.UnmarshalUnparsedAlarm(item)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.want.Subject != "", item["subject"] != nil, "subject stored only when not empty")
			assert.Equal(t, tc.want.TopicARN != "", item["topic_arn"] != nil, "topic_arn stored only when not empty")
			again, err := store.MarshalUnparsedAlarm(got)
			require.NoError(t, err)
			assert.Equal(t, item, again)
			_, err = store.UnmarshalAlarm(item)
			assert.Error(t, err, "an unparsed message is never read as a state change")
		})
	}
}

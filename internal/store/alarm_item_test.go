package store

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func avS(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func avN(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

// The stored shape is the contract of docs/design.md: these tests pin attribute names, types and
// omissions independently of the structs, and that decoding gives back what was encoded.

func TestAlarmItemCodec(t *testing.T) {
	t.Parallel()
	const id = "0f8fad5bd9cb469fa16570867728950e"
	changed := time.Date(2026, 11, 21, 10, 3, 12, 345_000_000, time.UTC)
	expires := time.Unix(1803030194, 0).UTC()
	full := AlarmItem{
		AlarmRecord: AlarmRecord{
			TargetID: id, SK: AlarmSK(changed, "m1"), MessageID: "m1", AlarmName: "wh-" + id + "-availability",
			AlarmKind: "availability", NewState: "ALARM", OldState: "OK", Reason: "Threshold Crossed",
			StateChangeTime: FormatTime(changed), MetricName: "Availability", RecordedAt: "2026-11-21T10:03:14.250Z",
		},
		ExpiresAt: expires,
	}
	sparse := full
	sparse.OldState, sparse.Reason, sparse.MetricName = "", "", ""
	tests := []struct {
		name string
		in   AlarmItem
		want map[string]types.AttributeValue
	}{
		{"every attribute", full, map[string]types.AttributeValue{
			"target_id": avS(id), "sk": avS("2026-11-21T10:03:12.345Z#m1"), "message_id": avS("m1"),
			"alarm_name": avS("wh-" + id + "-availability"), "alarm_kind": avS("availability"), "new_state": avS("ALARM"),
			"old_state": avS("OK"), "reason": avS("Threshold Crossed"), "state_change_time": avS("2026-11-21T10:03:12.345Z"),
			"metric_name": avS("Availability"), "recorded_at": avS("2026-11-21T10:03:14.250Z"), "expires_at": avN("1803030194"),
		}},
		{"empty old_state, reason, metric_name are not stored", sparse, map[string]types.AttributeValue{
			"target_id": avS(id), "sk": avS("2026-11-21T10:03:12.345Z#m1"), "message_id": avS("m1"),
			"alarm_name": avS("wh-" + id + "-availability"), "alarm_kind": avS("availability"), "new_state": avS("ALARM"),
			"state_change_time": avS("2026-11-21T10:03:12.345Z"), "recorded_at": avS("2026-11-21T10:03:14.250Z"),
			"expires_at": avN("1803030194"),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			av, err := MarshalAlarm(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, av)
			out, err := UnmarshalAlarm(av)
			require.NoError(t, err)
			assert.Equal(t, tc.in, out)
		})
	}
}

func TestUnparsedAlarmItemCodec(t *testing.T) {
	t.Parallel()
	sent := time.Date(2015, 6, 3, 17, 43, 27, 123_000_000, time.UTC)
	expires := time.Unix(1803030194, 0).UTC()
	full := UnparsedAlarmItem{
		SK: AlarmSK(sent, "m1"), MessageID: "m1", Subject: "TestInvoke", TopicARN: "arn:aws:sns:EXAMPLE",
		Raw: "Hello from SNS!", ParseError: "not a CloudWatch alarm notification", RecordedAt: "2026-11-21T10:03:14.250Z",
		ExpiresAt: expires,
	}
	bare := full
	bare.Subject, bare.TopicARN, bare.Raw = "", "", ""
	tests := []struct {
		name string
		in   UnparsedAlarmItem
		want map[string]types.AttributeValue
	}{
		{"every attribute", full, map[string]types.AttributeValue{
			"target_id": avS("_unparsed"), "sk": avS("2015-06-03T17:43:27.123Z#m1"), "message_id": avS("m1"),
			"subject": avS("TestInvoke"), "topic_arn": avS("arn:aws:sns:EXAMPLE"), "raw": avS("Hello from SNS!"),
			"parse_error": avS("not a CloudWatch alarm notification"), "recorded_at": avS("2026-11-21T10:03:14.250Z"),
			"expires_at": avN("1803030194"),
		}},
		{"empty subject and topic_arn are not stored, an empty message is", bare, map[string]types.AttributeValue{
			"target_id": avS("_unparsed"), "sk": avS("2015-06-03T17:43:27.123Z#m1"), "message_id": avS("m1"),
			"raw": avS(""), "parse_error": avS("not a CloudWatch alarm notification"),
			"recorded_at": avS("2026-11-21T10:03:14.250Z"), "expires_at": avN("1803030194"),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			av, err := MarshalUnparsedAlarm(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, av)
			out, err := UnmarshalUnparsedAlarm(av)
			require.NoError(t, err)
			assert.Equal(t, tc.in, out)
		})
	}
}

func TestUnmarshalAlarmRejectsOtherItems(t *testing.T) {
	t.Parallel()
	unparsed, err := MarshalUnparsedAlarm(UnparsedAlarmItem{SK: "2015-06-03T17:43:27.123Z#m1", Raw: "x", ParseError: "y"})
	require.NoError(t, err)
	change, err := MarshalAlarm(AlarmItem{AlarmRecord: AlarmRecord{TargetID: "0f8fad5bd9cb469fa16570867728950e", SK: "s"}})
	require.NoError(t, err)

	_, err = UnmarshalAlarm(unparsed)
	assert.ErrorContains(t, err, "unparsed message")
	_, err = UnmarshalUnparsedAlarm(change)
	assert.ErrorContains(t, err, `target_id is "0f8fad5bd9cb469fa16570867728950e"`)

	change[AttrAlarmExpiresAt] = avS("2027-02-19") // the TTL attribute must be a number
	_, err = UnmarshalAlarm(change)
	assert.ErrorContains(t, err, "decode alarm record")
}

func TestAlarmSK(t *testing.T) {
	t.Parallel()
	east := time.FixedZone("UTC+2", 2*60*60)
	tests := []struct {
		name string
		at   time.Time
		want string
	}{
		{"milliseconds kept", time.Date(2026, 11, 21, 10, 3, 12, 345_678_000, time.UTC), "2026-11-21T10:03:12.345Z#m"},
		{"whole second padded", time.Date(2026, 11, 21, 10, 3, 12, 0, time.UTC), "2026-11-21T10:03:12.000Z#m"},
		{"converted to UTC", time.Date(2026, 11, 21, 12, 3, 12, 0, east), "2026-11-21T10:03:12.000Z#m"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, AlarmSK(tc.at, "m"))
		})
	}
}

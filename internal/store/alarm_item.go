package store

// alarm_item.go is the one codec of the alarm table (docs/design.md): Alarms.Record and RecordUnparsed
// write its items with MarshalAlarm and MarshalUnparsedAlarm, the history reader decodes them with UnmarshalAlarm.

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Attribute names of the alarm table that callers use in expressions and keys.
const (
	AttrAlarmTargetID  = "target_id"  // hash key
	AttrAlarmSK        = "sk"         // range key, see AlarmSK
	AttrAlarmExpiresAt = "expires_at" // TTL attribute, a Number of epoch seconds
)

// UnparsedTargetID is the hash key of the items that keep SNS messages which are not alarm
// notifications of a target (UnparsedAlarmItem).
const UnparsedTargetID = "_unparsed"

// AlarmSK is the range key of an item: "<at in TimeFormat>#<SNS message id>", so a Query with
// ScanIndexForward=false reads newest first and a redelivered message has the key of its first delivery.
func AlarmSK(at time.Time, messageID string) string { return FormatTime(at) + "#" + messageID }

// AlarmRecord is one alarm state change recorded by the alarm logger, as the API returns it.
// Times are the stored RFC 3339 UTC strings (TimeFormat). Empty OldState, Reason and MetricName
// are not stored, nor Muted when false: it is true when the target was muted at the state change
// time, so nobody was notified of it.
type AlarmRecord struct {
	TargetID        string `dynamodbav:"target_id" json:"target_id"`
	SK              string `dynamodbav:"sk" json:"-"`
	MessageID       string `dynamodbav:"message_id" json:"message_id"`
	AlarmName       string `dynamodbav:"alarm_name" json:"alarm_name"`
	AlarmKind       string `dynamodbav:"alarm_kind" json:"alarm_kind"`
	NewState        string `dynamodbav:"new_state" json:"new_state"`
	OldState        string `dynamodbav:"old_state,omitempty" json:"old_state,omitempty"`
	Reason          string `dynamodbav:"reason,omitempty" json:"reason,omitempty"`
	StateChangeTime string `dynamodbav:"state_change_time" json:"state_change_time"`
	MetricName      string `dynamodbav:"metric_name,omitempty" json:"metric_name,omitempty"`
	RecordedAt      string `dynamodbav:"recorded_at" json:"recorded_at"`
	Muted           bool   `dynamodbav:"muted,omitempty" json:"muted,omitempty"`
}

// AlarmItem is the stored shape of a state change: the record and when DynamoDB may expire it.
type AlarmItem struct {
	AlarmRecord
	ExpiresAt time.Time `dynamodbav:"expires_at,unixtime"`
}

// UnparsedAlarmItem is the stored shape of an SNS message that is not an alarm notification of a
// target. It is kept under target_id UnparsedTargetID (set by MarshalUnparsedAlarm). Empty Subject and
// TopicARN are not stored.
type UnparsedAlarmItem struct {
	SK         string    `dynamodbav:"sk"`
	MessageID  string    `dynamodbav:"message_id"`
	Subject    string    `dynamodbav:"subject,omitempty"`
	TopicARN   string    `dynamodbav:"topic_arn,omitempty"`
	Raw        string    `dynamodbav:"raw"`
	ParseError string    `dynamodbav:"parse_error"`
	RecordedAt string    `dynamodbav:"recorded_at"`
	ExpiresAt  time.Time `dynamodbav:"expires_at,unixtime"`
}

// unparsedAlarmItem adds the fixed hash key to an UnparsedAlarmItem.
type unparsedAlarmItem struct {
	TargetID string `dynamodbav:"target_id"`
	UnparsedAlarmItem
}

// MarshalAlarm encodes a state change as an alarm-table item.
func MarshalAlarm(it AlarmItem) (map[string]types.AttributeValue, error) {
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return nil, fmt.Errorf("encode alarm record %s/%s: %w", it.TargetID, it.SK, err)
	}
	return av, nil
}

// UnmarshalAlarm decodes an alarm-table item holding a state change; an item of UnparsedTargetID is an error.
func UnmarshalAlarm(av map[string]types.AttributeValue) (AlarmItem, error) {
	var it AlarmItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return AlarmItem{}, fmt.Errorf("decode alarm record: %w", err)
	}
	if it.TargetID == UnparsedTargetID {
		return AlarmItem{}, fmt.Errorf("decode alarm record %s: an unparsed message, not a state change", it.SK)
	}
	it.ExpiresAt = it.ExpiresAt.UTC() // the decoder gives local time; the zero time stays zero
	return it, nil
}

// MarshalUnparsedAlarm encodes an unparsed message as an alarm-table item under UnparsedTargetID.
func MarshalUnparsedAlarm(it UnparsedAlarmItem) (map[string]types.AttributeValue, error) {
	av, err := attributevalue.MarshalMap(unparsedAlarmItem{TargetID: UnparsedTargetID, UnparsedAlarmItem: it})
	if err != nil {
		return nil, fmt.Errorf("encode unparsed alarm message %s: %w", it.SK, err)
	}
	return av, nil
}

// UnmarshalUnparsedAlarm decodes an alarm-table item of UnparsedTargetID; any other item is an error.
func UnmarshalUnparsedAlarm(av map[string]types.AttributeValue) (UnparsedAlarmItem, error) {
	var it unparsedAlarmItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return UnparsedAlarmItem{}, fmt.Errorf("decode unparsed alarm message: %w", err)
	}
	if it.TargetID != UnparsedTargetID {
		return UnparsedAlarmItem{}, fmt.Errorf("decode unparsed alarm message %s: target_id is %q, not %q", it.SK, it.TargetID, UnparsedTargetID)
	}
	it.ExpiresAt = it.ExpiresAt.UTC()
	return it.UnparsedAlarmItem, nil
}

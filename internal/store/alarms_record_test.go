package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// putDB answers PutItem with err and records the inputs.
type putDB struct {
	AlarmsDB // Query is not called: a call panics
	err      error
	puts     []*dynamodb.PutItemInput
}

func (p *putDB) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	p.puts = append(p.puts, in)
	return &dynamodb.PutItemOutput{}, p.err
}

func TestRecord(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 21, 10, 3, 12, 345_000_000, time.UTC)
	change := AlarmItem{
		AlarmRecord: AlarmRecord{TargetID: "0f8fad5bd9cb469fa16570867728950e", SK: AlarmSK(at, "m-1"), MessageID: "m-1",
			AlarmName: "wh-0f8fad5bd9cb469fa16570867728950e-availability", AlarmKind: "availability", NewState: "ALARM",
			StateChangeTime: FormatTime(at), RecordedAt: FormatTime(at)},
		ExpiresAt: at.Add(time.Hour),
	}
	raw := UnparsedAlarmItem{SK: AlarmSK(at, "m-2"), MessageID: "m-2", Raw: "hello", ParseError: "not an alarm",
		RecordedAt: FormatTime(at), ExpiresAt: at.Add(time.Hour)}
	wantChange, err := MarshalAlarm(change)
	require.NoError(t, err)
	wantRaw, err := MarshalUnparsedAlarm(raw)
	require.NoError(t, err)
	dup := &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
	boom := errors.New("throttled beyond retries")

	for _, kind := range []struct {
		name   string
		record func(*Alarms) error
		item   map[string]types.AttributeValue
		key    string
	}{
		{"state change", func(a *Alarms) error { return a.Record(context.Background(), change) }, wantChange, change.TargetID + "/" + change.SK},
		{"unparsed message", func(a *Alarms) error { return a.RecordUnparsed(context.Background(), raw) }, wantRaw, UnparsedTargetID + "/" + raw.SK},
	} {
		for _, tc := range []struct {
			name string
			err  error
			is   error
		}{
			{name: "stored"},
			{name: "already stored", err: dup, is: ErrAlreadyRecorded},
			{name: "failure", err: boom, is: boom},
		} {
			t.Run(kind.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				db := &putDB{err: tc.err}
				err := kind.record(NewAlarms(db, "alarms"))
				if tc.is == nil {
					require.NoError(t, err)
				} else {
					require.ErrorIs(t, err, tc.is)
					assert.Contains(t, err.Error(), "put alarm record "+kind.key)
					if tc.is == boom {
						assert.NotErrorIs(t, err, ErrAlreadyRecorded)
					}
				}
				require.Len(t, db.puts, 1)
				assert.Equal(t, "alarms", aws.ToString(db.puts[0].TableName))
				assert.Equal(t, kind.item, db.puts[0].Item)
				assert.Equal(t, "attribute_not_exists(sk)", aws.ToString(db.puts[0].ConditionExpression), "a redelivery never overwrites")
			})
		}
	}
}

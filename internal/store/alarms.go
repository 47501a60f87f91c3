package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/webhealth/webhealth/internal/target"
)

// AlarmsDB is the part of the DynamoDB API the alarm table's repository calls (*dynamodb.Client implements it).
type AlarmsDB interface {
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// ErrAlreadyRecorded: an item with the same key is stored already (a redelivered SNS message); nothing was written.
var ErrAlreadyRecorded = errors.New("alarm record already stored")

// AlarmPage is one page of an alarm history. NextToken is empty on the last page.
type AlarmPage struct {
	Items     []AlarmRecord
	NextToken string
}

// Alarms is the repository of the alarm table: the alarm logger records, the API reads the history.
// Safe for concurrent use.
type Alarms struct {
	db    AlarmsDB
	table string
}

// NewAlarms returns the repository over the alarm table named table.
func NewAlarms(db AlarmsDB, table string) *Alarms { return &Alarms{db: db, table: table} }

// History returns up to limit (1..MaxPageSize) records of targetID, newest first, after the position in
// token ("" = the newest). NextToken is set only when older records follow. A token that was not issued
// for this target's history is ErrBadToken.
func (a *Alarms) History(ctx context.Context, targetID string, limit int, token string) (AlarmPage, error) {
	if !target.ValidID(targetID) {
		return AlarmPage{}, fmt.Errorf("alarm history %q: %w", targetID, ErrNotFound)
	}
	if limit < 1 || limit > MaxPageSize {
		return AlarmPage{}, fmt.Errorf("alarm history %s: %w: %d is not between 1 and %d", targetID, ErrBadLimit, limit, MaxPageSize)
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(a.table),
		KeyConditionExpression:    aws.String("#t = :t"),
		ExpressionAttributeNames:  map[string]string{"#t": AttrAlarmTargetID},
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": stringAV(targetID)},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(limit + 1)), // one more, to know whether another page follows
		ConsistentRead:            aws.Bool(true),
	}
	if token != "" {
		sk, err := decodeAlarmsToken(token, targetID)
		if err != nil {
			return AlarmPage{}, fmt.Errorf("alarm history %s: %w", targetID, err)
		}
		in.ExclusiveStartKey = map[string]types.AttributeValue{AttrAlarmTargetID: stringAV(targetID), AttrAlarmSK: stringAV(sk)}
	}
	// Without a filter, a Query returns Limit items unless the 1 MB page limit cuts it short first.
	var recs []AlarmRecord
	for {
		out, err := a.db.Query(ctx, in)
		if err != nil {
			return AlarmPage{}, fmt.Errorf("alarm history %s: query %s: %w", targetID, a.table, err)
		}
		for _, av := range out.Items {
			it, err := UnmarshalAlarm(av)
			if err != nil {
				return AlarmPage{}, fmt.Errorf("alarm history %s: %w", targetID, err)
			}
			recs = append(recs, it.AlarmRecord)
		}
		if len(recs) > limit || len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
		in.Limit = aws.Int32(int32(limit + 1 - len(recs)))
	}
	page := AlarmPage{Items: recs}
	if len(recs) > limit {
		page.Items = recs[:limit]
		page.NextToken = encodeAlarmsToken(targetID, page.Items[limit-1].SK)
	}
	return page, nil
}

// Record stores a state change, unless an item with its key (target id and sort key) is stored
// already: then it writes nothing and returns ErrAlreadyRecorded, since SNS delivers at least once.
func (a *Alarms) Record(ctx context.Context, it AlarmItem) error {
	item, err := MarshalAlarm(it)
	if err != nil {
		return fmt.Errorf("put alarm record %s/%s: %w", it.TargetID, it.SK, err)
	}
	return a.putNew(ctx, item, it.TargetID+"/"+it.SK)
}

// RecordUnparsed stores a message that is not an alarm notification of a target under
// UnparsedTargetID, with Record's at-most-once rule.
func (a *Alarms) RecordUnparsed(ctx context.Context, it UnparsedAlarmItem) error {
	item, err := MarshalUnparsedAlarm(it)
	if err != nil {
		return fmt.Errorf("put alarm record %s/%s: %w", UnparsedTargetID, it.SK, err)
	}
	return a.putNew(ctx, item, UnparsedTargetID+"/"+it.SK)
}

// putNew puts item on condition that its key is not stored yet.
func (a *Alarms) putNew(ctx context.Context, item map[string]types.AttributeValue, key string) error {
	_, err := a.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(a.table),
		Item:                item,
		ConditionExpression: aws.String("attribute_not_exists(" + AttrAlarmSK + ")"),
	})
	var dup *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &dup):
		return fmt.Errorf("put alarm record %s: %w", key, ErrAlreadyRecorded)
	case err != nil:
		return fmt.Errorf("put alarm record %s: %w", key, err)
	}
	return nil
}

//go:build integration

package store

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/testutil/moto"
)

// putAlarm writes a record in the alarm logger's shape (docs/design.md).
func putAlarm(t *testing.T, db *dynamodb.Client, table, targetID string, at time.Time, msgID, state string) {
	t.Helper()
	changed := FormatTime(at)
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	_, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{
		TableName: aws.String(table),
		Item: map[string]types.AttributeValue{
			"target_id": s(targetID), "sk": s(changed + "#" + msgID), "message_id": s(msgID),
			"alarm_name": s("wh-" + targetID + "-availability"), "alarm_kind": s("availability"),
			"new_state": s(state), "old_state": s("OK"), "reason": s("Threshold Crossed"),
			"state_change_time": s(changed), "metric_name": s("Availability"), "recorded_at": s(changed),
			"expires_at": &types.AttributeValueMemberN{Value: strconv.FormatInt(at.Add(90*24*time.Hour).Unix(), 10)},
		},
	})
	require.NoError(t, err)
}

func TestAlarmHistory(t *testing.T) {
	t.Parallel()
	db := newDynamo(t)
	table := moto.CreateAlarmTable(t, db)
	spy := &spyDB{Client: db}
	repo := NewAlarms(spy, table)
	ctx := context.Background()
	const a, b = "0f8fad5bd9cb469fa16570867728950e", "1f8fad5bd9cb469fa16570867728950e"

	base := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	const n = 13
	// Written out of order; two changes in the same millisecond are told apart by message id.
	for _, i := range []int{5, 0, 12, 3, 8, 1, 11, 2, 9, 4, 10, 6} {
		putAlarm(t, db, table, a, base.Add(time.Duration(i)*time.Minute), fmt.Sprintf("msg-%02d", i), "ALARM")
	}
	putAlarm(t, db, table, a, base.Add(12*time.Minute), "msg-12b", "OK")
	putAlarm(t, db, table, b, base.Add(30*time.Minute), "msg-b", "ALARM") // another target, newer

	all, err := repo.History(ctx, a, MaxPageSize, "")
	require.NoError(t, err)
	require.Len(t, all.Items, n)
	assert.Empty(t, all.NextToken)
	for i := 1; i < len(all.Items); i++ {
		assert.Greater(t, all.Items[i-1].SK, all.Items[i].SK, "newest first")
	}
	newest := all.Items[0]
	assert.Equal(t, AlarmRecord{
		TargetID: a, SK: FormatTime(base.Add(12*time.Minute)) + "#msg-12b", MessageID: "msg-12b",
		AlarmName: "wh-" + a + "-availability", AlarmKind: "availability", NewState: "OK", OldState: "OK",
		Reason: "Threshold Crossed", StateChangeTime: FormatTime(base.Add(12 * time.Minute)), MetricName: "Availability",
		RecordedAt: FormatTime(base.Add(12 * time.Minute)),
	}, newest)

	for _, limit := range []int{1, 4, 12, 13} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			var got []AlarmRecord
			token := ""
			for {
				page, err := repo.History(ctx, a, limit, token)
				require.NoError(t, err)
				got = append(got, page.Items...)
				if page.NextToken == "" {
					break
				}
				assert.Len(t, page.Items, limit)
				token = page.NextToken
				require.LessOrEqual(t, len(got), n)
			}
			assert.Equal(t, all.Items, got, "pages concatenate to the full history, in order")
		})
	}

	t.Run("token of another target", func(t *testing.T) {
		page, err := repo.History(ctx, a, 2, "")
		require.NoError(t, err)
		require.NotEmpty(t, page.NextToken)
		queries := spy.queries.Load()
		_, err = repo.History(ctx, b, 2, page.NextToken)
		assert.ErrorIs(t, err, ErrBadToken)
		assert.Equal(t, queries, spy.queries.Load(), "DynamoDB was not called")
	})
	t.Run("empty history", func(t *testing.T) {
		page, err := repo.History(ctx, "2f8fad5bd9cb469fa16570867728950e", 10, "")
		require.NoError(t, err)
		assert.Empty(t, page.Items)
		assert.Empty(t, page.NextToken)
	})
	t.Run("bad limit and id", func(t *testing.T) {
		_, err := repo.History(ctx, a, 0, "")
		assert.ErrorIs(t, err, ErrBadLimit)
		_, err = repo.History(ctx, a, MaxPageSize+1, "")
		assert.ErrorIs(t, err, ErrBadLimit)
		_, err = repo.History(ctx, "_unparsed", 10, "")
		assert.ErrorIs(t, err, ErrNotFound)
	})
}

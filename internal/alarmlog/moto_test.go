//go:build integration

package alarmlog_test

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/alarmlog"
	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
	"github.com/webhealth/webhealth/internal/testutil/moto"
)

// history reads a target's records newest first, as the API does.
func history(t *testing.T, db *dynamodb.Client, table, id string) []map[string]string {
	t.Helper()
	out, err := db.Query(context.Background(), &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		KeyConditionExpression:    aws.String("target_id = :id"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: id}},
		ScanIndexForward:          aws.Bool(false),
	})
	require.NoError(t, err)
	var items []map[string]string
	for _, it := range out.Items {
		items = append(items, flat(it))
	}
	return items
}

// TestHandleAgainstDynamoDB runs the handler against moto's DynamoDB: the real conditional put,
// key schema, number encoding of the TTL attribute, and a real missing-table failure.
func TestHandleAgainstDynamoDB(t *testing.T) {
	t.Parallel()
	srv := moto.Shared(t)
	db := dynamodb.NewFromConfig(srv.Config())
	ctx := context.Background()
	table := moto.CreateAlarmTable(t, db)
	cfg := config()
	cfg.Table = table
	h := newHandler(db, cfg, nil)
	// A redelivery handled an hour later: if it overwrote the first item, recorded_at would change.
	later := alarmlog.New(store.NewAlarms(db, cfg.Table), &fakeTargets{}, cfg, alarmlog.WithClock(func() time.Time { return now.Add(time.Hour) }),
		alarmlog.WithLogger(slog.New(slog.DiscardHandler)))

	t.Run("each state change once, newest first, duplicates ignored", func(t *testing.T) {
		for _, handler := range []*alarmlog.Handler{h, later} { // the second round is SNS redelivering every message
			for _, file := range []string{ourAlarm, ourOK} {
				require.NoError(t, handler.Handle(ctx, loadEvent(t, file)))
			}
		}
		batch := events.SNSEvent{Records: append(loadEvent(t, ourAlarm).Records, loadEvent(t, ourAlarm).Records...)}
		require.NoError(t, later.Handle(ctx, batch))

		got := history(t, db, table, targetID)
		require.Len(t, got, 2)
		assert.Equal(t, "OK", got[0]["new_state"])
		assert.Equal(t, "2026-11-21T10:09:12.601Z#a7e2d9c4-1b3f-5e8a-9c6d-4f2b8e1a7d35", got[0]["sk"])
		assert.Equal(t, "ALARM", got[1]["new_state"])
		assert.Equal(t, "availability", got[1]["alarm_kind"])
		assert.Equal(t, alarmReason, got[1]["reason"])
		for _, it := range got {
			assert.Equal(t, "2026-11-21T10:03:14.250Z", it["recorded_at"], "a redelivery must not overwrite the first record")
		}
		assert.Equal(t, expiresAt(90), got[1]["expires_at"], "TTL attribute is a number of epoch seconds")
		expires, err := strconv.ParseInt(got[1]["expires_at"][2:], 10, 64)
		require.NoError(t, err)
		assert.Equal(t, now.AddDate(0, 0, 90).Unix(), expires)
	})

	t.Run("unparsed messages stored raw, once", func(t *testing.T) {
		for _, handler := range []*alarmlog.Handler{h, later} {
			for _, file := range []string{awsSNSEvent, awsSingleMetric} {
				require.NoError(t, handler.Handle(ctx, loadEvent(t, file)))
			}
		}
		got := history(t, db, table, store.UnparsedTargetID)
		// Both aws examples share a MessageId and SNS timestamp: they are one delivery as far as the key goes.
		require.Len(t, got, 1)
		assert.Equal(t, message(t, awsSNSEvent), got[0]["raw"])
		assert.Contains(t, got[0]["parse_error"], "not a CloudWatch alarm notification")
		assert.Equal(t, "TestInvoke", got[0]["subject"])
		assert.Equal(t, "2026-11-21T10:03:14.250Z", got[0]["recorded_at"])
		assert.Equal(t, "arn:aws:sns:EXAMPLE", got[0]["topic_arn"])

		ev := loadEvent(t, awsSingleMetric)
		ev.Records[0].SNS.MessageID = "b1d2c3e4-0000-5000-8000-000000000001"
		require.NoError(t, h.Handle(ctx, ev))
		got = history(t, db, table, store.UnparsedTargetID)
		require.Len(t, got, 2)
		assert.Contains(t, got[0]["parse_error"]+got[1]["parse_error"], "does not name a target")
	})

	t.Run("the API's history reader reads what the handler wrote", func(t *testing.T) {
		table := moto.CreateAlarmTable(t, db)
		cfg := config()
		cfg.Table = table
		h := newHandler(db, cfg, nil)
		for _, ev := range []events.SNSEvent{loadEvent(t, ourAlarm), sparseAlarm(t), loadEvent(t, ourOK), loadEvent(t, awsSNSEvent)} {
			require.NoError(t, h.Handle(ctx, ev))
		}
		page, err := store.NewAlarms(db, table).History(ctx, targetID, store.MaxPageSize, "")
		require.NoError(t, err)
		// Newest first; the two changes of the same millisecond are ordered by message id.
		assert.Equal(t, []store.AlarmRecord{wantOK(), wantSparse(), wantAlarm()}, page.Items)
		assert.Empty(t, page.NextToken)
	})

	t.Run("muted read from the URL table as main wires it", func(t *testing.T) {
		alarms, urls := moto.CreateAlarmTable(t, db), moto.CreateURLTable(t, db)
		cfg := config()
		cfg.Table, cfg.URLsTable = alarms, urls
		targets := store.NewTargets(db, urls)
		spec := target.Spec{URL: "https://muted.example/", MutedUntil: aws.String(time.Now().Add(time.Hour).UTC().Format(time.RFC3339)),
			MuteReason: aws.String("deploy")}
		resolved, err := target.Resolve(spec, nil, time.Now())
		require.NoError(t, err)
		muted, err := targets.Create(ctx, resolved)
		require.NoError(t, err)
		plain, err := target.Resolve(target.Spec{URL: "https://plain.example/"}, nil, time.Now())
		require.NoError(t, err)
		unmuted, err := targets.Create(ctx, plain)
		require.NoError(t, err)
		// The state change happens now, inside the mute.
		event := func(id, messageID string) events.SNSEvent {
			ev := loadEvent(t, ourAlarm)
			ev.Records[0].SNS.MessageID = messageID
			ev.Records[0].SNS.Message = variant(t, func(m map[string]any) {
				m["AlarmName"] = prefix + "-" + id + "-availability"
				m["StateChangeTime"] = time.Now().UTC().Format("2006-01-02T15:04:05.000-0700")
				trigger(m)["Dimensions"] = []any{map[string]any{"name": "TargetId", "value": id}}
			})
			return ev
		}
		gone := "9a1b2c3d4e5f60718293a4b5c6d7e8f9"
		h := alarmlog.New(store.NewAlarms(db, alarms), targets, cfg, alarmlog.WithLogger(slog.New(slog.DiscardHandler)))
		for i, id := range []string{muted.ID, unmuted.ID, gone} {
			require.NoError(t, h.Handle(ctx, event(id, fmt.Sprintf("c0000000-0000-5000-8000-%012d", i))))
		}

		reader := store.NewAlarms(db, alarms)
		for _, tc := range []struct {
			id    string
			muted bool
		}{{muted.ID, true}, {unmuted.ID, false}, {gone, false}} {
			page, err := reader.History(ctx, tc.id, store.MaxPageSize, "")
			require.NoError(t, err)
			require.Len(t, page.Items, 1, "a record for every target, a deleted one too")
			assert.Equal(t, tc.muted, page.Items[0].Muted, tc.id)
			items := history(t, db, alarms, tc.id)
			require.Len(t, items, 1)
			if tc.muted {
				assert.Equal(t, "BOOL:true", items[0]["muted"])
			} else {
				assert.NotContains(t, items[0], "muted")
			}
		}
	})

	t.Run("storage failure is returned", func(t *testing.T) {
		missing := cfg
		missing.Table = "no-such-table"
		err := newHandler(db, missing, nil).Handle(ctx, loadEvent(t, ourAlarm))
		var notFound *types.ResourceNotFoundException
		require.ErrorAs(t, err, &notFound)
	})
}

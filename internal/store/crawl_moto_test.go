//go:build integration

package store

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/target"
	"github.com/webhealth/webhealth/internal/testutil/moto"
)

// TestCrawlerReadsAndWritesAgainstDynamoDB: the scan returns exactly the enabled targets (no disabled
// target, no uniqueness item) over several pages, and last_check writes keep the API's fields and
// version, never recreate a deleted target and never touch a uniqueness item.
func TestCrawlerReadsAndWritesAgainstDynamoDB(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	var enabled []target.Target
	for _, u := range []string{"https://a.example/", "https://b.example/", "https://c.example/", "https://d.example/"} {
		enabled = append(enabled, f.create(t, u))
	}
	off := resolved(t, "https://off.example/")
	off.Enabled = false
	disabled, err := f.repo.Create(ctx, off)
	require.NoError(t, err)

	var scanned []target.Target
	pages := 0
	require.NoError(t, f.repo.ScanEnabled(ctx, 2, func(p ScanPage) error {
		pages++
		assert.Empty(t, p.Invalid)
		scanned = append(scanned, p.Targets...)
		return nil
	}))
	assert.ElementsMatch(t, enabled, scanned)
	assert.GreaterOrEqual(t, pages, 5, "10 items at 2 per page")

	checked := time.Date(2026, 11, 21, 10, 1, 0, 0, time.UTC)
	lc := target.LastCheck{CheckedAt: checked, Available: false, StatusCode: 503, LatencyMS: 3.5, Attempts: 2, Error: "status 503 not in expected [200]"}
	require.NoError(t, f.repo.WriteLastCheck(ctx, enabled[0].ID, lc))
	got, err := f.repo.Get(ctx, enabled[0].ID)
	require.NoError(t, err)
	want := enabled[0]
	want.LastCheck = &lc
	assert.Equal(t, want, got, "only last_check changed; version untouched")

	require.NoError(t, f.repo.Delete(ctx, enabled[1].ID))
	err = f.repo.WriteLastCheck(ctx, enabled[1].ID, lc)
	require.ErrorIs(t, err, ErrNotFound)
	out, err := f.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(f.table), Key: idKey(enabled[1].ID), ConsistentRead: aws.Bool(true)})
	require.NoError(t, err)
	assert.Empty(t, out.Item, "a deleted target stays deleted")

	key := urlKeyID(disabled.URL)
	require.ErrorIs(t, f.repo.WriteLastCheck(ctx, key, lc), ErrNotFound, "a uniqueness item is not a target")
	assert.Equal(t, disabled.ID, f.owner(t, disabled.URL))
	out, err = f.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(f.table), Key: idKey(key), ConsistentRead: aws.Bool(true)})
	require.NoError(t, err)
	assert.NotContains(t, out.Item, AttrLastCheck)
}

// TestRecordAgainstDynamoDB: the conditional put stores an item once; a redelivery is
// ErrAlreadyRecorded and leaves the first item as it was.
func TestRecordAgainstDynamoDB(t *testing.T) {
	t.Parallel()
	db := newDynamo(t)
	table := moto.CreateAlarmTable(t, db)
	a := NewAlarms(db, table)
	ctx := context.Background()
	at := time.Date(2026, 11, 21, 10, 3, 12, 345_000_000, time.UTC)
	first := AlarmItem{
		AlarmRecord: AlarmRecord{TargetID: "0f8fad5bd9cb469fa16570867728950e", SK: AlarmSK(at, "m-1"), MessageID: "m-1",
			AlarmName: "wh-0f8fad5bd9cb469fa16570867728950e-availability", AlarmKind: "availability", NewState: "ALARM",
			StateChangeTime: FormatTime(at), RecordedAt: FormatTime(at)},
		ExpiresAt: at.Add(time.Hour),
	}
	require.NoError(t, a.Record(ctx, first))
	again := first
	again.RecordedAt = FormatTime(at.Add(time.Hour))
	require.ErrorIs(t, a.Record(ctx, again), ErrAlreadyRecorded)
	page, err := a.History(ctx, first.TargetID, MaxPageSize, "")
	require.NoError(t, err)
	assert.Equal(t, []AlarmRecord{first.AlarmRecord}, page.Items)

	raw := UnparsedAlarmItem{SK: AlarmSK(at, "m-2"), MessageID: "m-2", Raw: "hello", ParseError: "not an alarm",
		RecordedAt: FormatTime(at), ExpiresAt: at.Truncate(time.Second).Add(time.Hour)} // TTL: whole seconds
	require.NoError(t, a.RecordUnparsed(ctx, raw))
	require.ErrorIs(t, a.RecordUnparsed(ctx, raw), ErrAlreadyRecorded)
	items, err := db.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(table), KeyConditionExpression: aws.String("target_id = :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": stringAV(UnparsedTargetID)},
	})
	require.NoError(t, err)
	require.Len(t, items.Items, 1)
	got, err := UnmarshalUnparsedAlarm(items.Items[0])
	require.NoError(t, err)
	assert.Equal(t, raw, got)
}

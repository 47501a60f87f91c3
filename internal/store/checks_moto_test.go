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

// TestChecksAgainstDynamoDB: each region's check of a target is an item of its own (a second region
// never overwrites the first), a region's next check replaces its last, ChecksFor reads them all and
// BatchChecks a page's worth over its 100-key calls.
func TestChecksAgainstDynamoDB(t *testing.T) {
	t.Parallel()
	db := newDynamo(t)
	table := moto.CreateChecksTable(t, db)
	c := NewChecks(db, table)
	ctx := context.Background()
	at := time.Date(2026, 12, 2, 10, 0, 0, 123_000_000, time.UTC)
	days := 40
	up := target.LastCheck{CheckedAt: at, Available: true, StatusCode: 200, LatencyMS: 21.5, DNSMS: 1.25, ConnectMS: 2, TLSMS: 9, TTFBMS: 15,
		CertDaysRemaining: &days, Attempts: 1}
	down := target.LastCheck{CheckedAt: at.Add(time.Second), StatusCode: 403, LatencyMS: 30, Attempts: 2, Error: "status 403 not in expected [200]"}

	id := batchID(1)
	require.NoError(t, c.PutCheck(ctx, "us-east-1", id, up))
	require.NoError(t, c.PutCheck(ctx, "eu-west-1", id, up))
	require.NoError(t, c.PutCheck(ctx, "eu-west-1", id, down))
	got, err := c.ChecksFor(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, RegionChecks{"us-east-1": up, "eu-west-1": down}, got)

	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{AttrTargetID: stringAV(id), AttrRegion: stringAV("eu-west-1")}})
	require.NoError(t, err)
	assert.Equal(t, numberAV(down.CheckedAt.Add(CheckRetention).Unix()), out.Item[AttrExpiresAt], "the TTL attribute, epoch seconds")

	none, err := c.ChecksFor(ctx, batchID(2))
	require.NoError(t, err)
	assert.Empty(t, none)

	// 70 targets in two regions: 140 keys, two BatchGetItem calls.
	regions := []string{"us-east-1", "eu-west-1"}
	var ids []string
	want := map[string]RegionChecks{}
	for i := 100; i < 170; i++ {
		tid := batchID(i)
		ids = append(ids, tid)
		if i%5 == 0 {
			continue
		}
		want[tid] = RegionChecks{"us-east-1": up}
		require.NoError(t, c.PutCheck(ctx, "us-east-1", tid, up))
		if i%2 == 0 {
			want[tid]["eu-west-1"] = down
			require.NoError(t, c.PutCheck(ctx, "eu-west-1", tid, down))
		}
	}
	require.NoError(t, c.PutCheck(ctx, "ap-southeast-1", ids[1], down), "a region not asked for")
	batch, err := c.BatchChecks(ctx, append(ids, id), regions)
	require.NoError(t, err)
	want[id] = RegionChecks{"us-east-1": up, "eu-west-1": down}
	assert.Equal(t, want, batch)
}

// TestRegionItemsAgainstDynamoDB: a region item (as each stack's Terraform writes it) is read by
// region, and neither it nor a configuration item of another kind is a target of the crawler's scan or
// the API's list, nor an undecodable item; WriteLastCheck refuses it.
func TestRegionItemsAgainstDynamoDB(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	tg := f.create(t, "https://a.example/")
	for _, item := range []map[string]types.AttributeValue{
		{AttrID: stringAV(RegionItemID("us-east-1")), AttrKind: stringAV(KindRegion), AttrRegion: stringAV("us-east-1"),
			AttrAPIURL: stringAV("https://abc123.execute-api.us-east-1.amazonaws.com/dev")},
		{AttrID: stringAV(RegionItemID("eu-west-1")), AttrKind: stringAV(KindRegion), AttrRegion: stringAV("eu-west-1"),
			AttrAPIURL: stringAV("https://def456.execute-api.eu-west-1.amazonaws.com/dev")},
		{AttrID: stringAV("config#quorum"), AttrKind: stringAV("config"), AttrEnabled: &types.AttributeValueMemberBOOL{Value: true}},
	} {
		_, err := f.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(f.table), Item: item})
		require.NoError(t, err)
	}

	home, err := f.repo.RegionItem(ctx, "us-east-1")
	require.NoError(t, err)
	assert.Equal(t, RegionItem{Region: "us-east-1", APIURL: "https://abc123.execute-api.us-east-1.amazonaws.com/dev"}, home)
	_, err = f.repo.RegionItem(ctx, "ap-southeast-1")
	require.ErrorIs(t, err, ErrNoRegionItem, "a region not registered")

	var scanned []target.Target
	require.NoError(t, f.repo.ScanEnabled(ctx, 1, func(p ScanPage) error {
		assert.Empty(t, p.Invalid)
		scanned = append(scanned, p.Targets...)
		return nil
	}))
	assert.Equal(t, []target.Target{tg}, scanned)
	page, err := f.repo.List(ctx, MaxPageSize, "")
	require.NoError(t, err)
	assert.Equal(t, []target.Target{tg}, page.Items)
	lc := target.LastCheck{CheckedAt: f.clock(), Available: true, StatusCode: 200, Attempts: 1}
	require.ErrorIs(t, f.repo.WriteLastCheck(ctx, RegionItemID("us-east-1"), lc), ErrNotFound, "no last_check on a region item")
}

package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/target"
)

// pagedDB serves Scan from fixed pages and records every call, so a test sees the order of reads
// and visits; UpdateItem answers with updateErr.
type pagedDB struct {
	TargetsDB // the other operations are not called: a call panics
	pages     [][]map[string]types.AttributeValue
	scanErr   map[int]error // by page number
	updateErr error
	log       []string
	scans     []*dynamodb.ScanInput
	updates   []*dynamodb.UpdateItemInput
}

func (p *pagedDB) Scan(_ context.Context, in *dynamodb.ScanInput, _ ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	n := len(p.scans) + 1
	p.scans = append(p.scans, in)
	p.log = append(p.log, fmt.Sprintf("scan %d", n))
	if err := p.scanErr[n]; err != nil {
		return nil, err
	}
	out := &dynamodb.ScanOutput{Items: p.pages[n-1]}
	if n < len(p.pages) {
		out.LastEvaluatedKey = idKey(fmt.Sprintf("after-page-%d", n))
	}
	return out, nil
}

func (p *pagedDB) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	p.updates = append(p.updates, in)
	return &dynamodb.UpdateItemOutput{}, p.updateErr
}

func crawlTarget(t *testing.T, n int) (target.Target, map[string]types.AttributeValue) {
	t.Helper()
	at := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	tg := target.Target{
		ID: fmt.Sprintf("%032x", n), URL: fmt.Sprintf("https://example.com/%d", n), Name: "t", Enabled: true,
		ExpectedStatus: []int{200}, LatencyThresholdMS: 1000, TimeoutMS: 5000, Method: "GET",
		CreatedAt: at, UpdatedAt: at, Version: 1,
	}
	item, err := MarshalTarget(tg)
	require.NoError(t, err)
	return tg, item
}

func TestScanEnabled(t *testing.T) {
	t.Parallel()
	t1, i1 := crawlTarget(t, 1)
	t2, i2 := crawlTarget(t, 2)
	t3, i3 := crawlTarget(t, 3)
	_, broken := crawlTarget(t, 4)
	broken["created_at"] = stringAV("yesterday")
	noID := map[string]types.AttributeValue{AttrKind: stringAV(KindTarget), "version": stringAV("one")}

	t.Run("pages visited in order, each before the next read, undecodable items by id", func(t *testing.T) {
		t.Parallel()
		db := &pagedDB{pages: [][]map[string]types.AttributeValue{{i1, broken}, {}, {i2, noID, i3}}}
		var got []ScanPage
		err := NewTargets(db, "urls").ScanEnabled(context.Background(), 0, func(p ScanPage) error {
			db.log = append(db.log, fmt.Sprintf("visit %d", p.Number))
			got = append(got, p)
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, []string{"scan 1", "visit 1", "scan 2", "visit 2", "scan 3", "visit 3"}, db.log)
		require.Len(t, got, 3)
		assert.Equal(t, []target.Target{t1}, got[0].Targets)
		require.Len(t, got[0].Invalid, 1)
		assert.Equal(t, fmt.Sprintf("%032x", 4), got[0].Invalid[0].ID)
		assert.ErrorContains(t, got[0].Invalid[0].Err, "yesterday")
		assert.Empty(t, got[1].Targets)
		assert.Empty(t, got[1].Invalid)
		assert.Equal(t, []target.Target{t2, t3}, got[2].Targets)
		require.Len(t, got[2].Invalid, 1)
		assert.Empty(t, got[2].Invalid[0].ID, "an item without an id is still reported")
		assert.Error(t, got[2].Invalid[0].Err)

		in := db.scans[0]
		assert.Equal(t, "urls", aws.ToString(in.TableName))
		assert.Equal(t, "#kind = :kind AND #enabled = :enabled", aws.ToString(in.FilterExpression))
		assert.Equal(t, map[string]string{"#kind": AttrKind, "#enabled": AttrEnabled}, in.ExpressionAttributeNames)
		assert.Equal(t, map[string]types.AttributeValue{":kind": stringAV(KindTarget), ":enabled": &types.AttributeValueMemberBOOL{Value: true}},
			in.ExpressionAttributeValues)
		assert.Nil(t, in.Limit, "no limit: DynamoDB's 1 MB pages")
		assert.Equal(t, idKey("after-page-1"), db.scans[1].ExclusiveStartKey)
	})
	t.Run("page limit", func(t *testing.T) {
		t.Parallel()
		db := &pagedDB{pages: [][]map[string]types.AttributeValue{{i1}}}
		require.NoError(t, NewTargets(db, "urls").ScanEnabled(context.Background(), 3, func(ScanPage) error { return nil }))
		assert.Equal(t, aws.Int32(3), db.scans[0].Limit)
	})
	t.Run("a failed read stops the scan, naming the page", func(t *testing.T) {
		t.Parallel()
		boom := errors.New("InternalServerError")
		db := &pagedDB{pages: [][]map[string]types.AttributeValue{{i1}, {i2}, {i3}}, scanErr: map[int]error{2: boom}}
		visits := 0
		err := NewTargets(db, "urls").ScanEnabled(context.Background(), 0, func(ScanPage) error { visits++; return nil })
		require.ErrorIs(t, err, boom)
		assert.Contains(t, err.Error(), "scan enabled targets of urls, page 2")
		assert.Equal(t, 1, visits)
	})
	t.Run("a visit error stops the scan", func(t *testing.T) {
		t.Parallel()
		db := &pagedDB{pages: [][]map[string]types.AttributeValue{{i1}, {i2}}}
		err := NewTargets(db, "urls").ScanEnabled(context.Background(), 0, func(ScanPage) error { return context.Canceled })
		require.ErrorIs(t, err, context.Canceled)
		assert.Len(t, db.scans, 1, "no page read after the visit failed")
	})
}

func TestWriteLastCheck(t *testing.T) {
	t.Parallel()
	days := 12
	lc := target.LastCheck{CheckedAt: time.Date(2026, 11, 21, 10, 1, 0, 0, time.UTC), Available: true, StatusCode: 200,
		LatencyMS: 12.5, CertDaysRemaining: &days, Attempts: 1}
	want, err := MarshalLastCheck(lc)
	require.NoError(t, err)
	id := fmt.Sprintf("%032x", 7)
	tests := []struct {
		name      string
		updateErr error
		is        error
	}{
		{name: "written"},
		{name: "target gone: not found", updateErr: &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}, is: ErrNotFound},
		{name: "other failure", updateErr: errors.New("ProvisionedThroughputExceeded")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := &pagedDB{updateErr: tc.updateErr}
			err := NewTargets(db, "urls").WriteLastCheck(context.Background(), id, lc)
			switch {
			case tc.updateErr == nil:
				require.NoError(t, err)
			case tc.is != nil:
				require.ErrorIs(t, err, tc.is)
			default:
				require.ErrorIs(t, err, tc.updateErr)
				assert.NotErrorIs(t, err, ErrNotFound)
			}
			if err != nil {
				assert.Contains(t, err.Error(), "write last_check of "+id)
			}
			require.Len(t, db.updates, 1)
			in := db.updates[0]
			assert.Equal(t, "urls", aws.ToString(in.TableName))
			assert.Equal(t, idKey(id), in.Key)
			assert.Equal(t, "SET #lc = :lc", aws.ToString(in.UpdateExpression), "only last_check: version and the API's fields untouched")
			assert.Equal(t, "attribute_exists(#id) AND #kind = :kind", aws.ToString(in.ConditionExpression),
				"a deleted target stays deleted, a uniqueness item is never written")
			assert.Equal(t, map[string]string{"#lc": AttrLastCheck, "#id": AttrID, "#kind": AttrKind}, in.ExpressionAttributeNames)
			assert.Equal(t, map[string]types.AttributeValue{":lc": want, ":kind": stringAV(KindTarget)}, in.ExpressionAttributeValues)
		})
	}
}

package store

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/target"
)

// checksDB is an in-memory checks table: PutItem stores by (target_id, region), Query answers one
// target's items in pages of pageSize, BatchGetItem answers the keys it finds, leaving the last key of a
// call unprocessed the first leave times. err fails every call.
type checksDB struct {
	items    map[[2]string]map[string]types.AttributeValue
	pageSize int
	leave    int
	err      error
	puts     []*dynamodb.PutItemInput
	queries  int
	batches  []int // keys asked per BatchGetItem
}

func newChecksDB() *checksDB {
	return &checksDB{items: map[[2]string]map[string]types.AttributeValue{}, pageSize: 100}
}

func keyOf(item map[string]types.AttributeValue) [2]string {
	return [2]string{item[AttrTargetID].(*types.AttributeValueMemberS).Value, item[AttrRegion].(*types.AttributeValueMemberS).Value}
}

func (d *checksDB) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if d.err != nil {
		return nil, d.err
	}
	d.puts = append(d.puts, in)
	d.items[keyOf(in.Item)] = in.Item
	return &dynamodb.PutItemOutput{}, nil
}

func (d *checksDB) Query(_ context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	if d.err != nil {
		return nil, d.err
	}
	d.queries++
	id := in.ExpressionAttributeValues[":tid"].(*types.AttributeValueMemberS).Value
	var all []map[string]types.AttributeValue
	for _, k := range slices.SortedFunc(maps.Keys(d.items), func(a, b [2]string) int { return strings.Compare(a[1], b[1]) }) {
		if k[0] == id {
			all = append(all, d.items[k])
		}
	}
	start := 0
	if in.ExclusiveStartKey != nil {
		start = atoiAV(in.ExclusiveStartKey["n"])
	}
	out := &dynamodb.QueryOutput{Items: all[start:min(start+d.pageSize, len(all))]}
	if start+d.pageSize < len(all) {
		out.LastEvaluatedKey = map[string]types.AttributeValue{"n": numberAV(int64(start + d.pageSize))}
	}
	return out, nil
}

func atoiAV(av types.AttributeValue) int {
	n := 0
	for _, c := range av.(*types.AttributeValueMemberN).Value {
		n = 10*n + int(c-'0')
	}
	return n
}

func (d *checksDB) BatchGetItem(_ context.Context, in *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	if d.err != nil {
		return nil, d.err
	}
	out := &dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]types.AttributeValue{}, UnprocessedKeys: map[string]types.KeysAndAttributes{}}
	for table, ka := range in.RequestItems {
		d.batches = append(d.batches, len(ka.Keys))
		if len(ka.Keys) > maxBatchGetKeys {
			return nil, errors.New("ValidationException: Too many items requested for the BatchGetItem call")
		}
		seen := map[[2]string]bool{}
		for _, k := range ka.Keys {
			if seen[keyOf(k)] {
				return nil, errors.New("ValidationException: Provided list of item keys contains duplicates")
			}
			seen[keyOf(k)] = true
		}
		keys := ka.Keys
		if d.leave > 0 {
			d.leave--
			out.UnprocessedKeys[table] = types.KeysAndAttributes{Keys: keys[len(keys)-1:], ConsistentRead: ka.ConsistentRead}
			keys = keys[:len(keys)-1]
		}
		for _, k := range keys {
			if item, ok := d.items[keyOf(k)]; ok {
				out.Responses[table] = append(out.Responses[table], item)
			}
		}
	}
	return out, nil
}

func checkAt(at time.Time, available bool) target.LastCheck {
	lc := target.LastCheck{CheckedAt: at, Available: available, StatusCode: 200, LatencyMS: 12.5, Attempts: 1}
	if !available {
		lc.StatusCode, lc.Error = 503, "status 503 not in expected [200]"
	}
	return lc
}

func TestMarshalCheck(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 2, 10, 0, 0, 123_000_000, time.UTC)
	days := 30
	lc := checkAt(at, true)
	lc.CertDaysRemaining = &days
	item, err := MarshalCheck("eu-west-1", batchID(7), lc)
	require.NoError(t, err)
	assert.Equal(t, stringAV(batchID(7)), item[AttrTargetID])
	assert.Equal(t, stringAV("eu-west-1"), item[AttrRegion])
	want, err := MarshalLastCheck(lc)
	require.NoError(t, err)
	assert.Equal(t, want, item[AttrLastCheck], "last_check is encoded as on the target item")
	assert.Equal(t, numberAV(at.Add(7*24*time.Hour).Unix()), item[AttrExpiresAt], "expires 7 days after the check, epoch seconds")
	assert.Len(t, item, 4)

	id, region, got, err := UnmarshalCheck(item)
	require.NoError(t, err)
	assert.Equal(t, batchID(7), id)
	assert.Equal(t, "eu-west-1", region)
	assert.Equal(t, lc, got)

	for name, bad := range map[string]map[string]types.AttributeValue{
		"no region":     {AttrTargetID: stringAV("x"), AttrLastCheck: item[AttrLastCheck]},
		"no last_check": {AttrTargetID: stringAV("x"), AttrRegion: stringAV("eu-west-1")},
		"last_check not a map": {AttrTargetID: stringAV("x"), AttrRegion: stringAV("eu-west-1"),
			AttrLastCheck: stringAV("up")},
		"checked_at not a time": {AttrTargetID: stringAV("x"), AttrRegion: stringAV("eu-west-1"),
			AttrLastCheck: &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"checked_at": stringAV("yesterday")}}},
	} {
		_, _, _, err := UnmarshalCheck(bad)
		assert.Error(t, err, name)
	}
}

func TestPutCheckAndChecksFor(t *testing.T) {
	t.Parallel()
	db := newChecksDB()
	db.pageSize = 1 // every region's item on a page of its own: ChecksFor reads every page
	c := NewChecks(db, "checks")
	ctx := context.Background()
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	id := batchID(1)
	require.NoError(t, c.PutCheck(ctx, "us-east-1", id, checkAt(at, true)))
	require.NoError(t, c.PutCheck(ctx, "eu-west-1", id, checkAt(at, false)))
	require.NoError(t, c.PutCheck(ctx, "eu-west-1", id, checkAt(at.Add(time.Minute), true)), "a region's next check replaces its last")
	require.NoError(t, c.PutCheck(ctx, "eu-west-1", batchID(2), checkAt(at, false)))
	require.Len(t, db.puts, 4)
	assert.Equal(t, "checks", aws.ToString(db.puts[0].TableName))
	assert.Nil(t, db.puts[0].ConditionExpression, "only its region writes an item: unconditional")

	got, err := c.ChecksFor(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, RegionChecks{"us-east-1": checkAt(at, true), "eu-west-1": checkAt(at.Add(time.Minute), true)}, got)
	assert.Equal(t, 2, db.queries, "two pages of one item")

	none, err := c.ChecksFor(ctx, batchID(3))
	require.NoError(t, err)
	assert.Empty(t, none)

	boom := errors.New("ResourceNotFoundException")
	db.err = boom
	require.ErrorIs(t, c.PutCheck(ctx, "us-east-1", id, checkAt(at, true)), boom)
	_, err = c.ChecksFor(ctx, id)
	require.ErrorIs(t, err, boom)
}

func TestBatchChecks(t *testing.T) {
	t.Parallel()
	db := newChecksDB()
	db.leave = 2
	c := NewChecks(db, "checks")
	c.unprocessedPause = time.Millisecond
	ctx := context.Background()
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	regions := []string{"us-east-1", "eu-west-1", "ap-southeast-1"}
	var ids []string
	for i := range 60 {
		ids = append(ids, batchID(i))
		if i%10 == 0 {
			continue // never checked
		}
		for j, r := range regions {
			if i%7 == 0 && j == 2 {
				continue // not yet checked from ap-southeast-1
			}
			require.NoError(t, c.PutCheck(ctx, r, batchID(i), checkAt(at.Add(time.Duration(j)*time.Second), i%3 != 0)))
		}
	}
	require.NoError(t, c.PutCheck(ctx, "sa-east-1", batchID(1), checkAt(at, false)), "a region not asked for")

	got, err := c.BatchChecks(ctx, append(ids, ids[5]), regions)
	require.NoError(t, err)
	assert.Equal(t, []int{100, 1, 1, 80}, db.batches, "180 keys: 100 a call; the unprocessed asked for again; a repeated id asked once")
	assert.Len(t, got, 54, "the never-checked targets are absent")
	assert.NotContains(t, got, batchID(0))
	assert.Equal(t, RegionChecks{"us-east-1": checkAt(at, true), "eu-west-1": checkAt(at.Add(time.Second), true), "ap-southeast-1": checkAt(at.Add(2*time.Second), true)},
		got[batchID(1)], "only the regions asked for")
	assert.Equal(t, RegionChecks{"us-east-1": checkAt(at, true), "eu-west-1": checkAt(at.Add(time.Second), true)}, got[batchID(7)])
	assert.Equal(t, RegionChecks{"us-east-1": checkAt(at, false), "eu-west-1": checkAt(at.Add(time.Second), false), "ap-southeast-1": checkAt(at.Add(2*time.Second), false)},
		got[batchID(3)])

	empty, err := c.BatchChecks(ctx, nil, regions)
	require.NoError(t, err)
	assert.Empty(t, empty)
	assert.Len(t, db.batches, 4, "nothing asked for: no call")
}

func TestBatchChecksFailures(t *testing.T) {
	t.Parallel()
	boom := errors.New("ProvisionedThroughputExceeded")
	db := newChecksDB()
	db.err = boom
	_, err := NewChecks(db, "checks").BatchChecks(context.Background(), []string{batchID(1)}, []string{"us-east-1"})
	require.ErrorIs(t, err, boom)

	db = newChecksDB()
	db.leave = 1000
	c := NewChecks(db, "checks")
	c.unprocessedPause = 10 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err = c.BatchChecks(ctx, []string{batchID(1)}, []string{"us-east-1", "eu-west-1"})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorContains(t, err, "unprocessed")

	db = newChecksDB()
	db.items[[2]string{batchID(1), "us-east-1"}] = map[string]types.AttributeValue{
		AttrTargetID: stringAV(batchID(1)), AttrRegion: stringAV("us-east-1"), AttrLastCheck: stringAV("broken"),
	}
	_, err = NewChecks(db, "checks").BatchChecks(context.Background(), []string{batchID(1)}, []string{"us-east-1"})
	assert.ErrorContains(t, err, "decode check of "+batchID(1)+" from us-east-1")
}

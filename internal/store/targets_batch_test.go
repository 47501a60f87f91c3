package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// batchDB answers BatchGetItem from items, leaving the last key of each call unprocessed the first
// leave times, and failing every call with err when set.
type batchDB struct {
	items map[string]map[string]types.AttributeValue
	leave int
	err   error
	calls []int // keys asked per call
}

func (d *batchDB) BatchGetItem(_ context.Context, in *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	if d.err != nil {
		return nil, d.err
	}
	out := &dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]types.AttributeValue{}, UnprocessedKeys: map[string]types.KeysAndAttributes{}}
	for table, ka := range in.RequestItems {
		d.calls = append(d.calls, len(ka.Keys))
		keys := ka.Keys
		if d.leave > 0 && len(keys) > 0 {
			d.leave--
			out.UnprocessedKeys[table] = types.KeysAndAttributes{Keys: keys[len(keys)-1:], ConsistentRead: ka.ConsistentRead}
			keys = keys[:len(keys)-1]
		}
		for _, k := range keys {
			if item, ok := d.items[k[AttrID].(*types.AttributeValueMemberS).Value]; ok {
				out.Responses[table] = append(out.Responses[table], item)
			}
		}
	}
	return out, nil
}

func batchItem(id, kind string, enabled bool) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrID: stringAV(id), AttrKind: stringAV(kind), AttrEnabled: &types.AttributeValueMemberBOOL{Value: enabled},
	}
}

func TestBatchGetEnabled(t *testing.T) {
	t.Parallel()
	db := &batchDB{items: map[string]map[string]types.AttributeValue{}, leave: 2}
	var ids []string
	for i := range 250 {
		id := batchID(i)
		ids = append(ids, id)
		if i%50 != 0 { // every 50th id is gone
			db.items[id] = batchItem(id, KindTarget, true)
		}
	}
	db.items[ids[1]] = batchItem(ids[1], KindTarget, false) // disabled
	db.items[ids[2]] = batchItem(ids[2], "url", true)       // not a target item
	s := NewTargetBatches(db, "urls")
	s.unprocessedPause = time.Millisecond
	page, err := s.BatchGetEnabled(context.Background(), ids)
	require.NoError(t, err)
	assert.Equal(t, []int{100, 1, 1, 100, 50}, db.calls, "100 keys a call; unprocessed keys asked for again")
	assert.Empty(t, page.Invalid)
	got := map[string]bool{}
	for _, tg := range page.Targets {
		got[tg.ID] = true
	}
	assert.Len(t, got, 250-5-2, "every enabled target read once, the unprocessed ones included")
	assert.False(t, got[ids[0]], "a gone id is left out")
	assert.False(t, got[ids[1]], "a disabled target is left out")
	assert.False(t, got[ids[2]], "an item of another kind is left out")
	assert.True(t, got[ids[99]] && got[ids[101]] && got[ids[249]], "the keys left unprocessed were asked for again")
}

func TestBatchGetEnabledFailures(t *testing.T) {
	t.Parallel()
	boom := errors.New("ProvisionedThroughputExceeded")
	_, err := NewTargetBatches(&batchDB{err: boom}, "urls").BatchGetEnabled(context.Background(), []string{batchID(1)})
	require.ErrorIs(t, err, boom)

	// Keys still unprocessed when the context ends are an error, not a silent loss.
	db := &batchDB{items: map[string]map[string]types.AttributeValue{}, leave: 1000}
	s := NewTargetBatches(db, "urls")
	s.unprocessedPause = 10 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err = s.BatchGetEnabled(ctx, []string{batchID(1), batchID(2)})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorContains(t, err, "unprocessed")
}

func batchID(i int) string { return fmt.Sprintf("%032x", i) }

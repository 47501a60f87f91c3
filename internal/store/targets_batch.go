package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// A fan-out worker's read of the URL table (docs/design.md, "Fan-out"): its shard's targets by id.

// TargetBatchDB is the part of the DynamoDB API BatchGetEnabled (and Checks.Batch) call (*dynamodb.Client implements it).
type TargetBatchDB interface {
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

// maxBatchGetKeys is BatchGetItem's limit of keys per call.
const maxBatchGetKeys = 100

// TargetBatches reads targets by id in batches.
type TargetBatches struct {
	db    TargetBatchDB
	table string
	// unprocessedPause is the first pause before asking again for unprocessed keys, doubled each time.
	unprocessedPause time.Duration
}

// NewTargetBatches returns the batch reader of the URL table.
func NewTargetBatches(db TargetBatchDB, table string) *TargetBatches {
	return &TargetBatches{db: db, table: table, unprocessedPause: 50 * time.Millisecond}
}

// BatchGetEnabled reads the targets of ids, 100 keys a call, asking again for the keys DynamoDB left
// unprocessed (after a doubling pause, as long as ctx lasts), and returns those that are enabled
// target items, as a ScanPage: an id that is gone, disabled or not a target is left out, an
// undecodable target item is in Invalid. Strongly consistent, so a worker sees the writes made
// before its shard was sent. The error is set when a call failed or keys were still unprocessed
// when ctx ended; then the page holds what was read.
func (s *TargetBatches) BatchGetEnabled(ctx context.Context, ids []string) (ScanPage, error) {
	page := ScanPage{Number: 1}
	keys := make([]map[string]types.AttributeValue, 0, len(ids))
	for _, id := range ids {
		keys = append(keys, idKey(id))
	}
	err := batchGet(ctx, s.db, s.table, keys, s.unprocessedPause, func(item map[string]types.AttributeValue) { s.add(&page, item) })
	if err != nil {
		return page, fmt.Errorf("batch get targets of %s: %w", s.table, err)
	}
	return page, nil
}

// batchGet reads the items of keys from table, strongly consistent, maxBatchGetKeys keys a call, and
// calls visit with each item read (in no particular order; a key without an item is not visited). The
// keys DynamoDB leaves unprocessed are asked for again after a pause that starts at pause and doubles up
// to 2 s, as long as ctx lasts. The error is set when a call failed or keys were still unprocessed when
// ctx ended; then what was read has been visited.
func batchGet(ctx context.Context, db TargetBatchDB, table string, keys []map[string]types.AttributeValue,
	pause time.Duration, visit func(map[string]types.AttributeValue)) error {
	for start := 0; start < len(keys); start += maxBatchGetKeys {
		req := map[string]types.KeysAndAttributes{table: {
			Keys: keys[start:min(start+maxBatchGetKeys, len(keys))], ConsistentRead: aws.Bool(true),
		}}
		wait := pause
		for len(req) > 0 {
			out, err := db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return err
			}
			for _, item := range out.Responses[table] {
				visit(item)
			}
			req = nil
			if left := out.UnprocessedKeys[table]; len(left.Keys) > 0 {
				req = map[string]types.KeysAndAttributes{table: left}
				timer := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					timer.Stop()
					return fmt.Errorf("%d keys unprocessed: %w", len(left.Keys), ctx.Err())
				case <-timer.C:
				}
				wait = min(2*wait, 2*time.Second)
			}
		}
	}
	return nil
}

// add puts an item read into page: an enabled target, an undecodable target item, or nothing.
func (s *TargetBatches) add(page *ScanPage, item map[string]types.AttributeValue) {
	if k, ok := item[AttrKind].(*types.AttributeValueMemberS); !ok || k.Value != KindTarget {
		return
	}
	t, err := UnmarshalTarget(item)
	if err != nil {
		id := ""
		if v, ok := item[AttrID].(*types.AttributeValueMemberS); ok {
			id = v.Value
		}
		page.Invalid = append(page.Invalid, InvalidItem{ID: id, Err: err})
		return
	}
	if t.Enabled {
		page.Targets = append(page.Targets, t)
	}
}

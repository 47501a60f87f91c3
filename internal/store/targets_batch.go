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

// TargetBatchDB is the part of the DynamoDB API BatchGetEnabled calls (*dynamodb.Client implements it).
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
	for start := 0; start < len(ids); start += maxBatchGetKeys {
		keys := make([]map[string]types.AttributeValue, 0, maxBatchGetKeys)
		for _, id := range ids[start:min(start+maxBatchGetKeys, len(ids))] {
			keys = append(keys, idKey(id))
		}
		req := map[string]types.KeysAndAttributes{s.table: {Keys: keys, ConsistentRead: aws.Bool(true)}}
		pause := s.unprocessedPause
		for len(req) > 0 {
			out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return page, fmt.Errorf("batch get targets of %s: %w", s.table, err)
			}
			for _, item := range out.Responses[s.table] {
				s.add(&page, item)
			}
			req = nil
			if left := out.UnprocessedKeys[s.table]; len(left.Keys) > 0 {
				req = map[string]types.KeysAndAttributes{s.table: left}
				timer := time.NewTimer(pause)
				select {
				case <-ctx.Done():
					timer.Stop()
					return page, fmt.Errorf("batch get targets of %s: %d keys unprocessed: %w", s.table, len(left.Keys), ctx.Err())
				case <-timer.C:
				}
				pause = min(2*pause, 2*time.Second)
			}
		}
	}
	return page, nil
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

package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/webhealth/webhealth/internal/target"
)

// The checks table (CHECKS_TABLE, docs/design.md "Multi-region"): hash key target_id, range key region,
// one item per target and region, written only by that region's crawler, so no two regions ever write
// the same item of the global table.

// Attribute names of the checks table (target_id is AttrTargetID, last_check AttrLastCheck, expires_at AttrExpiresAt).
const AttrRegion = "region"

// CheckRetention is how long a check item lives after its check (its expires_at, the table's TTL):
// the checks of a deleted target expire, a region that stopped checking leaves nothing behind.
const CheckRetention = 7 * 24 * time.Hour

// ChecksDB is the part of the DynamoDB API the checks table's calls use (*dynamodb.Client implements it).
type ChecksDB interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

// Checks reads and writes the checks table. Safe for concurrent use.
type Checks struct {
	db    ChecksDB
	table string
	// unprocessedPause is the first pause before asking again for unprocessed keys, doubled each time.
	unprocessedPause time.Duration
}

// NewChecks returns the checks table named table.
func NewChecks(db ChecksDB, table string) *Checks {
	return &Checks{db: db, table: table, unprocessedPause: 50 * time.Millisecond}
}

// RegionChecks are a target's latest checks by region.
type RegionChecks map[string]target.LastCheck

// MarshalCheck encodes region's check of targetID as a checks-table item: target_id, region, last_check
// (MarshalLastCheck's map, as on the target item) and expires_at (epoch seconds, CheckRetention after the check).
func MarshalCheck(region, targetID string, lc target.LastCheck) (map[string]types.AttributeValue, error) {
	av, err := MarshalLastCheck(lc)
	if err != nil {
		return nil, fmt.Errorf("encode check of %s from %s: %w", targetID, region, err)
	}
	return map[string]types.AttributeValue{
		AttrTargetID:  stringAV(targetID),
		AttrRegion:    stringAV(region),
		AttrLastCheck: av,
		AttrExpiresAt: numberAV(lc.CheckedAt.Add(CheckRetention).Unix()),
	}, nil
}

// UnmarshalCheck decodes a checks-table item into its target id, region and check.
func UnmarshalCheck(item map[string]types.AttributeValue) (targetID, region string, lc target.LastCheck, err error) {
	id, _ := item[AttrTargetID].(*types.AttributeValueMemberS)
	reg, _ := item[AttrRegion].(*types.AttributeValueMemberS)
	if id == nil || reg == nil {
		return "", "", target.LastCheck{}, fmt.Errorf("decode check item: %s and %s must be strings", AttrTargetID, AttrRegion)
	}
	m, ok := item[AttrLastCheck].(*types.AttributeValueMemberM)
	if !ok {
		return "", "", target.LastCheck{}, fmt.Errorf("decode check of %s from %s: no %s map", id.Value, reg.Value, AttrLastCheck)
	}
	if err := attributevalue.UnmarshalMapWithOptions(m.Value, &lc, decodeOptions); err != nil {
		return "", "", target.LastCheck{}, fmt.Errorf("decode check of %s from %s: %w", id.Value, reg.Value, err)
	}
	return id.Value, reg.Value, lc, nil
}

// PutCheck stores region's latest check of targetID, replacing the region's previous one. It is
// unconditional: only region writes its items, and a target deleted meanwhile leaves an item that
// expires (CheckRetention).
func (c *Checks) PutCheck(ctx context.Context, region, targetID string, lc target.LastCheck) error {
	item, err := MarshalCheck(region, targetID, lc)
	if err != nil {
		return err
	}
	if _, err := c.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(c.table), Item: item}); err != nil {
		return fmt.Errorf("put check of %s from %s into %s: %w", targetID, region, c.table, err)
	}
	return nil
}

// ChecksFor returns every region's latest check of targetID (a Query of its items; empty when none),
// strongly consistent in the local replica.
func (c *Checks) ChecksFor(ctx context.Context, targetID string) (RegionChecks, error) {
	out := RegionChecks{}
	pages := dynamodb.NewQueryPaginator(c.db, &dynamodb.QueryInput{
		TableName:                 aws.String(c.table),
		KeyConditionExpression:    aws.String("#tid = :tid"),
		ExpressionAttributeNames:  map[string]string{"#tid": AttrTargetID},
		ExpressionAttributeValues: map[string]types.AttributeValue{":tid": stringAV(targetID)},
		ConsistentRead:            aws.Bool(true),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query checks of %s in %s: %w", targetID, c.table, err)
		}
		for _, item := range page.Items {
			_, region, lc, err := UnmarshalCheck(item)
			if err != nil {
				return nil, err
			}
			out[region] = lc
		}
	}
	return out, nil
}

// BatchChecks returns the latest checks of targetIDs from regions, by target id (a target without any
// check is absent): one BatchGetItem of every (target, region) key, 100 keys a call, the keys DynamoDB
// leaves unprocessed asked for again after a doubling pause, as long as ctx lasts. A list page of 20
// targets in 2 regions is one call.
func (c *Checks) BatchChecks(ctx context.Context, targetIDs, regions []string) (map[string]RegionChecks, error) {
	out := map[string]RegionChecks{}
	if len(targetIDs) == 0 || len(regions) == 0 {
		return out, nil
	}
	keys := make([]map[string]types.AttributeValue, 0, len(targetIDs)*len(regions))
	seen := make(map[string]bool, len(targetIDs))
	for _, id := range targetIDs {
		if seen[id] { // BatchGetItem refuses a request naming a key twice
			continue
		}
		seen[id] = true
		for _, r := range regions {
			keys = append(keys, map[string]types.AttributeValue{AttrTargetID: stringAV(id), AttrRegion: stringAV(r)})
		}
	}
	var decodeErr error
	err := batchGet(ctx, c.db, c.table, keys, c.unprocessedPause, func(item map[string]types.AttributeValue) {
		id, region, lc, err := UnmarshalCheck(item)
		if err != nil {
			decodeErr = err
			return
		}
		if out[id] == nil {
			out[id] = RegionChecks{}
		}
		out[id][region] = lc
	})
	if err != nil {
		return nil, fmt.Errorf("batch get checks of %d targets from %s: %w", len(seen), c.table, err)
	}
	if decodeErr != nil {
		return nil, decodeErr
	}
	return out, nil
}

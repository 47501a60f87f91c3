package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The run lease: one item of the URL table (docs/design.md, "URL table") that a crawl takes with a
// conditional write before it starts and deletes when it ends, so two crawls of a region never overlap.
// Each region has its own (docs/design.md "Multi-region"), so no two regions write the same item.
const (
	KindLease = "lease"
	// CrawlerLeasePrefix starts the id of a region's crawler run lease item: "lease#crawler#<region>".
	CrawlerLeasePrefix = "lease#crawler#"

	AttrHolder     = "holder"
	AttrExpiresAt  = "expires_at"  // Unix milliseconds: the lease is free from then on
	AttrAcquiredAt = "acquired_at" // TimeFormat, for people reading the table
)

// CrawlerLeaseID is the id of region's crawler run lease item.
func CrawlerLeaseID(region string) string { return CrawlerLeasePrefix + region }

// ErrLeaseHeld: another holder's lease has not expired yet.
var ErrLeaseHeld = errors.New("lease held by another run")

// LeaseDB is the part of the DynamoDB API the run lease calls (*dynamodb.Client implements it).
type LeaseDB interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// Leases takes and releases run leases in the URL table. Safe for concurrent use.
type Leases struct {
	db    LeaseDB
	table string
	now   func() time.Time
}

// NewLeases returns the run leases of the URL table named table.
func NewLeases(db LeaseDB, table string) *Leases {
	return &Leases{db: db, table: table, now: time.Now}
}

// Lease is a lease taken: Release it with the same value.
type Lease struct {
	ID, Holder string
	ExpiresAt  time.Time
}

// Acquire takes the lease id until expiresAt with a fresh holder token: it succeeds when no lease
// item exists or the existing one has expired (a holder that crashed frees it at its expiry), and is
// ErrLeaseHeld while another holder's lease runs.
func (l *Leases) Acquire(ctx context.Context, id string, expiresAt time.Time) (Lease, error) {
	holder, err := newHolder()
	if err != nil {
		return Lease{}, err
	}
	now := l.now()
	_, err = l.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(l.table),
		Item: map[string]types.AttributeValue{
			AttrID:         stringAV(id),
			AttrKind:       stringAV(KindLease),
			AttrHolder:     stringAV(holder),
			AttrExpiresAt:  numberAV(expiresAt.UnixMilli()),
			AttrAcquiredAt: stringAV(now.UTC().Format(TimeFormat)),
		},
		// A non-lease item under this id (there is none: ids of targets are hex) is never overwritten.
		ConditionExpression:                 aws.String("attribute_not_exists(#id) OR (#kind = :kind AND #exp <= :now)"),
		ExpressionAttributeNames:            map[string]string{"#id": AttrID, "#kind": AttrKind, "#exp": AttrExpiresAt},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":kind": stringAV(KindLease), ":now": numberAV(now.UnixMilli())},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var held *types.ConditionalCheckFailedException
	if errors.As(err, &held) {
		if until, ok := leaseExpiry(held.Item); ok {
			return Lease{}, fmt.Errorf("acquire %s: %w until %s", id, ErrLeaseHeld, until.UTC().Format(TimeFormat))
		}
		return Lease{}, fmt.Errorf("acquire %s: %w", id, ErrLeaseHeld)
	}
	if err != nil {
		return Lease{}, fmt.Errorf("acquire %s: %w", id, err)
	}
	return Lease{ID: id, Holder: holder, ExpiresAt: expiresAt}, nil
}

// Release deletes the lease if it is still le's (its holder token): a lease that expired and was
// taken by another run is left to that run. It reports whether le's lease was deleted.
func (l *Leases) Release(ctx context.Context, le Lease) (bool, error) {
	_, err := l.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(l.table),
		Key:                       idKey(le.ID),
		ConditionExpression:       aws.String("#kind = :kind AND #holder = :holder"),
		ExpressionAttributeNames:  map[string]string{"#kind": AttrKind, "#holder": AttrHolder},
		ExpressionAttributeValues: map[string]types.AttributeValue{":kind": stringAV(KindLease), ":holder": stringAV(le.Holder)},
	})
	var gone *types.ConditionalCheckFailedException
	if errors.As(err, &gone) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("release %s: %w", le.ID, err)
	}
	return true, nil
}

// newHolder is a random holder token: 128 bits, hex.
func newHolder() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("lease holder token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// leaseExpiry reads an item's expires_at (Unix milliseconds).
func leaseExpiry(item map[string]types.AttributeValue) (time.Time, bool) {
	n, ok := item[AttrExpiresAt].(*types.AttributeValueMemberN)
	if !ok {
		return time.Time{}, false
	}
	ms, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(ms), true
}

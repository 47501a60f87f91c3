package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/webhealth/webhealth/internal/target"
)

// TargetsDB is the part of the DynamoDB API the target repository calls (*dynamodb.Client implements it).
type TargetsDB interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// Errors of the target repository; the API maps them to HTTP statuses with errors.Is.
var (
	// ErrNotFound: no target has this id (or it was deleted before a write reached it).
	ErrNotFound = errors.New("target not found")
	// ErrDuplicateURL: another target already watches the normalized URL (see DuplicateURLError).
	ErrDuplicateURL = errors.New("url already monitored")
	// ErrVersionConflict: the caller's expected version is not the stored one (see VersionConflictError).
	ErrVersionConflict = errors.New("version conflict")
	// ErrBadLimit: a page size outside 1..MaxPageSize.
	ErrBadLimit = errors.New("invalid page size")
	// ErrContention: the write kept colliding with concurrent writes to the same target; retrying later may succeed.
	ErrContention = errors.New("too many concurrent modifications")
)

// DuplicateURLError names the target that already watches a URL.
type DuplicateURLError struct {
	URL        string
	ExistingID string
}

func (e *DuplicateURLError) Error() string {
	return fmt.Sprintf("url %s is already monitored by target %s", e.URL, e.ExistingID)
}

// Unwrap lets errors.Is(err, ErrDuplicateURL) match.
func (e *DuplicateURLError) Unwrap() error { return ErrDuplicateURL }

// VersionConflictError carries the stored version when an expected version did not match.
type VersionConflictError struct {
	Expected, Current int64
}

func (e *VersionConflictError) Error() string {
	return fmt.Sprintf("version %d expected, current version is %d", e.Expected, e.Current)
}

// Unwrap lets errors.Is(err, ErrVersionConflict) match.
func (e *VersionConflictError) Unwrap() error { return ErrVersionConflict }

// Page sizes of the paginated reads.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// maxWriteAttempts bounds the read-then-transact loops that retry after a concurrent write.
const maxWriteAttempts = 5

// Targets is the repository of monitored targets in the URL table. Safe for concurrent use.
type Targets struct {
	db    TargetsDB
	table string
	now   func() time.Time
	newID func() (string, error)
}

// NewTargets returns the repository over the URL table named table.
func NewTargets(db TargetsDB, table string) *Targets {
	return &Targets{db: db, table: table, now: time.Now, newID: target.NewID}
}

// TargetPage is one page of a target list. NextToken is empty on the last page.
type TargetPage struct {
	Items     []target.Target
	NextToken string
}

func (s *Targets) timestamp() time.Time {
	return s.now().UTC().Truncate(time.Millisecond) // the stored precision, so what we return is what Get returns
}

// storedTime is a copy of *t at the stored precision (UTC, milliseconds); nil stays nil.
func storedTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC().Truncate(time.Millisecond)
	return &v
}

func stringAV(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func numberAV(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func idKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrID: stringAV(id)}
}

// urlKeyID is the id of the uniqueness item of a normalized URL.
func urlKeyID(normalizedURL string) string { return URLKeyPrefix + target.URLKey(normalizedURL) }

func urlKeyItem(normalizedURL, targetID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrID:       stringAV(urlKeyID(normalizedURL)),
		AttrKind:     stringAV(KindURLKey),
		AttrTargetID: stringAV(targetID),
	}
}

// putURLKey claims a normalized URL; on a conflict the reason carries the current owner (ALL_OLD).
func (s *Targets) putURLKey(normalizedURL, targetID string) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{
		TableName:                           aws.String(s.table),
		Item:                                urlKeyItem(normalizedURL, targetID),
		ConditionExpression:                 aws.String("attribute_not_exists(#id)"),
		ExpressionAttributeNames:            map[string]string{"#id": AttrID},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}
}

// deleteURLKey releases a URL held by targetID (a missing uniqueness item is tolerated).
func (s *Targets) deleteURLKey(normalizedURL, targetID string) types.TransactWriteItem {
	return types.TransactWriteItem{Delete: &types.Delete{
		TableName:                 aws.String(s.table),
		Key:                       idKey(urlKeyID(normalizedURL)),
		ConditionExpression:       aws.String("attribute_not_exists(#id) OR #tid = :tid"),
		ExpressionAttributeNames:  map[string]string{"#id": AttrID, "#tid": AttrTargetID},
		ExpressionAttributeValues: map[string]types.AttributeValue{":tid": stringAV(targetID)},
	}}
}

// Create stores a new target built from t (the output of target.Resolve): it assigns the id,
// timestamps and version 1, and claims t's normalized URL in the same transaction.
// A URL already claimed is a *DuplicateURLError naming the existing target.
func (s *Targets) Create(ctx context.Context, t target.Target) (target.Target, error) {
	for range maxWriteAttempts {
		id, err := s.newID()
		if err != nil {
			return target.Target{}, err
		}
		now := s.timestamp()
		t.ID, t.CreatedAt, t.UpdatedAt, t.Version, t.LastCheck = id, now, now, 1, nil
		t.MutedUntil = storedTime(t.MutedUntil)
		item, err := MarshalTarget(t)
		if err != nil {
			return target.Target{}, err
		}
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{
				TableName:                aws.String(s.table),
				Item:                     item,
				ConditionExpression:      aws.String("attribute_not_exists(#id)"),
				ExpressionAttributeNames: map[string]string{"#id": AttrID},
			}},
			s.putURLKey(t.URL, id),
		}})
		if err == nil {
			return t, nil
		}
		reasons, ok := cancellationReasons(err)
		switch {
		case !ok:
			return target.Target{}, fmt.Errorf("create target %s: %w", id, err)
		case conditionFailed(reasons, 1):
			return target.Target{}, s.duplicate(ctx, t.URL, reasons[1])
		case conditionFailed(reasons, 0): // a 128-bit id collision: draw another
			continue
		case transactionConflict(reasons):
			if err := pause(ctx); err != nil {
				return target.Target{}, err
			}
			continue
		default:
			return target.Target{}, fmt.Errorf("create target %s: %w", id, err)
		}
	}
	return target.Target{}, fmt.Errorf("create target: %w", ErrContention)
}

// Get returns the target with id (ErrNotFound when there is none). Reads are strongly consistent,
// so a client sees its own writes.
func (s *Targets) Get(ctx context.Context, id string) (target.Target, error) {
	if !target.ValidID(id) {
		return target.Target{}, fmt.Errorf("get target %q: %w", id, ErrNotFound)
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: idKey(id), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return target.Target{}, fmt.Errorf("get target %s: %w", id, err)
	}
	if len(out.Item) == 0 {
		return target.Target{}, fmt.Errorf("get target %s: %w", id, ErrNotFound)
	}
	t, err := UnmarshalTarget(out.Item)
	if err != nil {
		return target.Target{}, fmt.Errorf("get target %s: %w", id, err)
	}
	return t, nil
}

// List returns up to limit targets (1..MaxPageSize) after the position in token ("" = from the start).
// It scans until the page is full or the table ends, so only the last page is short, and sets
// NextToken only when more targets follow. A token that is not one of ours is ErrBadToken.
func (s *Targets) List(ctx context.Context, limit int, token string) (TargetPage, error) {
	if limit < 1 || limit > MaxPageSize {
		return TargetPage{}, fmt.Errorf("list targets: %w: %d is not between 1 and %d", ErrBadLimit, limit, MaxPageSize)
	}
	var start map[string]types.AttributeValue
	if token != "" {
		lastID, err := decodeTargetsToken(token)
		if err != nil {
			return TargetPage{}, fmt.Errorf("list targets: %w", err)
		}
		start = idKey(lastID)
	}
	// One target more than the page is read, to know whether another page follows.
	var items []target.Target
	for len(items) <= limit {
		// About half the items are uniqueness items, filtered out after being read.
		out, err := s.db.Scan(ctx, &dynamodb.ScanInput{
			TableName:                 aws.String(s.table),
			FilterExpression:          aws.String("#kind = :kind"),
			ExpressionAttributeNames:  map[string]string{"#kind": AttrKind},
			ExpressionAttributeValues: map[string]types.AttributeValue{":kind": stringAV(KindTarget)},
			ExclusiveStartKey:         start,
			Limit:                     aws.Int32(int32(2 * (limit + 1 - len(items)))),
			ConsistentRead:            aws.Bool(true),
		})
		if err != nil {
			return TargetPage{}, fmt.Errorf("list targets: scan %s: %w", s.table, err)
		}
		for _, av := range out.Items {
			t, err := UnmarshalTarget(av)
			if err != nil {
				return TargetPage{}, fmt.Errorf("list targets: %w", err)
			}
			items = append(items, t)
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		start = out.LastEvaluatedKey
	}
	page := TargetPage{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		page.NextToken = encodeTargetsToken(page.Items[limit-1].ID)
	}
	return page, nil
}

// Replace replaces the target id with t (the output of target.Resolve), keeping its id, created_at and
// last_check, refreshing updated_at and incrementing version. expectedVersion > 0 is an If-Match
// precondition: a different stored version is a *VersionConflictError. When the normalized URL
// changes, the uniqueness items are swapped in the same transaction; a URL claimed by another target is
// a *DuplicateURLError. A missing target is ErrNotFound.
func (s *Targets) Replace(ctx context.Context, id string, t target.Target, expectedVersion int64) (target.Target, error) {
	for range maxWriteAttempts {
		cur, err := s.Get(ctx, id)
		if err != nil {
			return target.Target{}, fmt.Errorf("replace: %w", err)
		}
		if expectedVersion > 0 && cur.Version != expectedVersion {
			return target.Target{}, fmt.Errorf("replace target %s: %w", id,
				&VersionConflictError{Expected: expectedVersion, Current: cur.Version})
		}
		next := t
		next.ID, next.CreatedAt, next.LastCheck = id, cur.CreatedAt, cur.LastCheck
		next.UpdatedAt, next.Version = s.timestamp(), cur.Version+1
		next.MutedUntil = storedTime(t.MutedUntil)

		update, err := s.updateTarget(next, cur.Version)
		if err != nil {
			return target.Target{}, err
		}
		items := []types.TransactWriteItem{update}
		urlChanged := next.URL != cur.URL && urlKeyID(next.URL) != urlKeyID(cur.URL)
		if urlChanged {
			items = append(items, s.deleteURLKey(cur.URL, id), s.putURLKey(next.URL, id))
		}
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			return next, nil
		}
		reasons, ok := cancellationReasons(err)
		switch {
		case !ok:
			return target.Target{}, fmt.Errorf("replace target %s: %w", id, err)
		case conditionFailed(reasons, 0):
			// Replaced or deleted since we read it: read again; the next round reports 404 or 412,
			// or (without a precondition) replaces the newer version.
			continue
		case transactionConflict(reasons):
			if err := pause(ctx); err != nil {
				return target.Target{}, err
			}
			continue
		case urlChanged && conditionFailed(reasons, 2):
			return target.Target{}, s.duplicate(ctx, next.URL, reasons[2])
		case urlChanged && conditionFailed(reasons, 1):
			return target.Target{}, fmt.Errorf("replace target %s: uniqueness item of %s belongs to another target: %w", id, cur.URL, err)
		default:
			return target.Target{}, fmt.Errorf("replace target %s: %w", id, err)
		}
	}
	return target.Target{}, fmt.Errorf("replace target %s: %w", id, ErrContention)
}

// updateTarget sets every client-controlled attribute plus updated_at and version, and removes the
// optional ones next leaves unset (a mute lifted, a threshold back to the default), on condition that
// the stored version is still prev. created_at and last_check (written by the crawler) are left alone.
func (s *Targets) updateTarget(next target.Target, prev int64) (types.TransactWriteItem, error) {
	item, err := MarshalTarget(next)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	names := map[string]string{"#id": AttrID, "#version": AttrVersion}
	values := map[string]types.AttributeValue{":prev": numberAV(prev)}
	expr := "SET "
	for i, attr := range slices.Sorted(maps.Keys(item)) {
		switch attr {
		case AttrID, AttrKind, "created_at", AttrLastCheck:
			continue
		}
		n, v := "#a"+strconv.Itoa(i), ":a"+strconv.Itoa(i)
		names[n], values[v] = attr, item[attr]
		if len(expr) > len("SET ") {
			expr += ", "
		}
		expr += n + " = " + v
	}
	remove := ""
	for i, attr := range optionalTargetAttrs {
		if _, set := item[attr]; set {
			continue
		}
		n := "#r" + strconv.Itoa(i)
		names[n] = attr
		if remove != "" {
			remove += ", "
		}
		remove += n
	}
	if remove != "" {
		expr += " REMOVE " + remove
	}
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                 aws.String(s.table),
		Key:                       idKey(next.ID),
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String("attribute_exists(#id) AND #version = :prev"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	}}, nil
}

// Delete removes the target id and releases its URL in one transaction (ErrNotFound when absent).
func (s *Targets) Delete(ctx context.Context, id string) error {
	for range maxWriteAttempts {
		cur, err := s.Get(ctx, id)
		if err != nil {
			return fmt.Errorf("delete: %w", err)
		}
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Delete: &types.Delete{
				TableName:                 aws.String(s.table),
				Key:                       idKey(id),
				ConditionExpression:       aws.String("#version = :v"),
				ExpressionAttributeNames:  map[string]string{"#version": AttrVersion},
				ExpressionAttributeValues: map[string]types.AttributeValue{":v": numberAV(cur.Version)},
			}},
			s.deleteURLKey(cur.URL, id),
		}})
		if err == nil {
			return nil
		}
		reasons, ok := cancellationReasons(err)
		switch {
		case !ok:
			return fmt.Errorf("delete target %s: %w", id, err)
		case conditionFailed(reasons, 0): // replaced (maybe with another URL) or deleted meanwhile: read again
			continue
		case transactionConflict(reasons):
			if err := pause(ctx); err != nil {
				return err
			}
			continue
		default:
			return fmt.Errorf("delete target %s: %w", id, err)
		}
	}
	return fmt.Errorf("delete target %s: %w", id, ErrContention)
}

// duplicate builds the error for a URL whose uniqueness item exists, naming the owner from the
// cancellation reason's item (ALL_OLD) or, if DynamoDB did not return it, from a consistent read.
func (s *Targets) duplicate(ctx context.Context, normalizedURL string, reason types.CancellationReason) error {
	owner := reason.Item
	if len(owner) == 0 {
		out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(s.table), Key: idKey(urlKeyID(normalizedURL)), ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return fmt.Errorf("read owner of %s: %w", normalizedURL, err)
		}
		owner = out.Item
	}
	var existing string
	if av, ok := owner[AttrTargetID].(*types.AttributeValueMemberS); ok {
		existing = av.Value
	}
	return &DuplicateURLError{URL: normalizedURL, ExistingID: existing}
}

// cancellationReasons returns the per-item reasons of a cancelled transaction.
func cancellationReasons(err error) ([]types.CancellationReason, bool) {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return nil, false
	}
	return tce.CancellationReasons, true
}

func reasonCode(reasons []types.CancellationReason, i int) string {
	if i >= len(reasons) {
		return ""
	}
	return aws.ToString(reasons[i].Code)
}

func conditionFailed(reasons []types.CancellationReason, i int) bool {
	return reasonCode(reasons, i) == "ConditionalCheckFailed"
}

func transactionConflict(reasons []types.CancellationReason) bool {
	for i := range reasons {
		if reasonCode(reasons, i) == "TransactionConflict" {
			return true
		}
	}
	return false
}

// pause waits a little before retrying a transaction that collided with another, honouring ctx.
func pause(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Duration(10+rand.IntN(40)) * time.Millisecond): // #nosec G404 -- retry jitter, not a secret
		return nil
	}
}

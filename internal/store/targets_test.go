//go:build integration

package store

import (
	"context"
	"fmt"
	"sync"
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

// fixture is a target repository on a fresh URL table with a controllable clock.
type fixture struct {
	db    *dynamodb.Client
	spy   *spyDB
	table string
	repo  *Targets

	mu  sync.Mutex
	now time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := newDynamo(t)
	f := &fixture{db: db, spy: &spyDB{Client: db}, table: moto.CreateURLTable(t, db),
		now: time.Date(2026, 11, 21, 10, 0, 0, 123_456_789, time.UTC)}
	f.repo = NewTargets(f.spy, f.table)
	f.repo.now = f.clock
	return f
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// resolved is what the API hands the store: a validated, normalized target.
func resolved(t *testing.T, rawURL string) target.Target {
	t.Helper()
	tg, err := target.Resolve(target.Spec{URL: rawURL}, nil, time.Now())
	require.NoError(t, err)
	return tg
}

func (f *fixture) create(t *testing.T, rawURL string) target.Target {
	t.Helper()
	tg, err := f.repo.Create(context.Background(), resolved(t, rawURL))
	require.NoError(t, err)
	return tg
}

// owner returns the target id recorded in a URL's uniqueness item, "" when there is none.
func (f *fixture) owner(t *testing.T, normalizedURL string) string {
	t.Helper()
	out, err := f.db.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(f.table), Key: idKey(urlKeyID(normalizedURL)), ConsistentRead: aws.Bool(true),
	})
	require.NoError(t, err)
	if out.Item == nil {
		return ""
	}
	assert.Equal(t, stringAV(KindURLKey), out.Item[AttrKind])
	return out.Item[AttrTargetID].(*types.AttributeValueMemberS).Value
}

// setLastCheck writes last_check as the crawler does.
func (f *fixture) setLastCheck(t *testing.T, id string, lc target.LastCheck) {
	t.Helper()
	require.NoError(t, f.repo.WriteLastCheck(context.Background(), id, lc))
}

func TestCreateAndGet(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	in := resolved(t, "HTTPS://Example.com:443/health#x")

	got, err := f.repo.Create(ctx, in)
	require.NoError(t, err)
	assert.True(t, target.ValidID(got.ID), "server-generated id %q", got.ID)
	assert.Equal(t, int64(1), got.Version)
	wantTime := time.Date(2026, 11, 21, 10, 0, 0, 123_000_000, time.UTC) // stored precision
	assert.Equal(t, wantTime, got.CreatedAt)
	assert.Equal(t, wantTime, got.UpdatedAt)
	assert.Equal(t, "https://example.com/health", got.URL)

	read, err := f.repo.Get(ctx, got.ID)
	require.NoError(t, err)
	assert.Equal(t, got, read, "Get returns exactly what Create returned")
	assert.Equal(t, got.ID, f.owner(t, got.URL), "the uniqueness item names the target")
	assert.Len(t, scanAll(t, f.db, f.table), 2, "a target item and its uniqueness item")

	other := f.create(t, "https://example.com/other")
	assert.NotEqual(t, got.ID, other.ID)
}

func TestGetMissing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for name, id := range map[string]string{
		"absent":    "0f8fad5bd9cb469fa16570867728950e",
		"malformed": "../etc",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.repo.Get(context.Background(), id)
			assert.ErrorIs(t, err, ErrNotFound)
		})
	}
}

func TestCreateDuplicateURL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, first, second string
	}{
		{"same spelling", "https://example.com/a", "https://example.com/a"},
		{"case, default port and fragment", "https://example.com/a", "HTTPS://EXAMPLE.com:443/a#top"},
		{"http default port", "http://example.com:80", "http://Example.COM/"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			first := f.create(t, tc.first)

			gets := f.spy.gets.Load()
			_, err := f.repo.Create(context.Background(), resolved(t, tc.second))
			require.ErrorIs(t, err, ErrDuplicateURL)
			assert.Equal(t, gets, f.spy.gets.Load(), "the owner came with the cancellation reason (ALL_OLD), no extra read")
			var dup *DuplicateURLError
			require.ErrorAs(t, err, &dup)
			assert.Equal(t, first.ID, dup.ExistingID, "the error names the existing target")
			assert.Equal(t, first.URL, dup.URL)
			assert.Len(t, scanAll(t, f.db, f.table), 2, "nothing was written")
		})
	}
}

// When DynamoDB does not return the conflicting item with the cancellation reason, the owner is read.
func TestCreateDuplicateURLOwnerReadBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	first := f.create(t, "https://example.com/")
	f.spy.rewriteTxErr = func(err error) error {
		var tce *types.TransactionCanceledException
		require.ErrorAs(t, err, &tce)
		require.Len(t, tce.CancellationReasons, 2, "moto reports one reason per item")
		assert.Equal(t, "None", aws.ToString(tce.CancellationReasons[0].Code))
		assert.Equal(t, "ConditionalCheckFailed", aws.ToString(tce.CancellationReasons[1].Code))
		assert.NotEmpty(t, tce.CancellationReasons[1].Item, "ALL_OLD returns the uniqueness item")
		tce.CancellationReasons[1].Item = nil
		return err
	}
	gets := f.spy.gets.Load()
	_, err := f.repo.Create(context.Background(), resolved(t, "https://EXAMPLE.com"))
	var dup *DuplicateURLError
	require.ErrorAs(t, err, &dup)
	assert.Equal(t, first.ID, dup.ExistingID)
	assert.Equal(t, gets+1, f.spy.gets.Load(), "the owner was read from the table")
}

// Errors that are not a cancelled transaction (here: a missing table) are returned, wrapped, not mapped.
func TestCreateTableMissing(t *testing.T) {
	t.Parallel()
	repo := NewTargets(newDynamo(t), moto.UniqueName(t, "missing"))
	_, err := repo.Create(context.Background(), resolved(t, "https://example.com/"))
	require.Error(t, err)
	var rnf *types.ResourceNotFoundException
	assert.ErrorAs(t, err, &rnf)
	assert.NotErrorIs(t, err, ErrDuplicateURL)
	assert.NotErrorIs(t, err, ErrNotFound)
}

func TestReplace(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	orig := f.create(t, "https://example.com/")
	days := 30
	lc := target.LastCheck{CheckedAt: time.Date(2026, 11, 21, 10, 1, 0, 0, time.UTC), Available: true, StatusCode: 200,
		LatencyMS: 12.5, CertDaysRemaining: &days, Attempts: 1}
	f.setLastCheck(t, orig.ID, lc)
	f.advance(time.Minute)

	spec := target.Spec{URL: "https://example.com/", Name: ptr("renamed"), TimeoutMS: ptr(2000), Method: ptr("HEAD")}
	repl, err := target.Resolve(spec, nil, time.Now())
	require.NoError(t, err)
	got, err := f.repo.Replace(ctx, orig.ID, repl, 0)
	require.NoError(t, err)

	assert.Equal(t, orig.ID, got.ID)
	assert.Equal(t, int64(2), got.Version)
	assert.Equal(t, orig.CreatedAt, got.CreatedAt, "created_at kept")
	assert.Equal(t, orig.UpdatedAt.Add(time.Minute), got.UpdatedAt, "updated_at refreshed")
	assert.Equal(t, "renamed", got.Name)
	assert.Equal(t, 2000, got.TimeoutMS)
	assert.Equal(t, "HEAD", got.Method)
	require.NotNil(t, got.LastCheck, "last_check kept")
	assert.Equal(t, lc, *got.LastCheck)

	read, err := f.repo.Get(ctx, orig.ID)
	require.NoError(t, err)
	assert.Equal(t, got, read)
	assert.Equal(t, orig.ID, f.owner(t, orig.URL), "same URL: uniqueness item untouched")
	assert.Len(t, scanAll(t, f.db, f.table), 2)
}

// The optional attributes (mute, certificate threshold) are stored when set, at the stored precision,
// and removed by a replace that leaves them unset: an unmuted target has no muted_until left behind.
func TestMuteAndThresholdStoredAndRemoved(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	raw := func(id string) map[string]types.AttributeValue {
		t.Helper()
		out, err := f.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(f.table), Key: idKey(id), ConsistentRead: aws.Bool(true)})
		require.NoError(t, err)
		return out.Item
	}
	muted := resolved(t, "https://example.com/")
	until := time.Date(2026, 11, 21, 12, 0, 0, 123_456_789, time.FixedZone("", 3600))
	muted.MutedUntil, muted.MuteReason, muted.CertExpiryThresholdDays = &until, "deploy", ptr(30)

	created, err := f.repo.Create(ctx, muted)
	require.NoError(t, err)
	stored := time.Date(2026, 11, 21, 11, 0, 0, 123_000_000, time.UTC)
	assert.Equal(t, &stored, created.MutedUntil, "UTC, milliseconds: what Get returns")
	got, err := f.repo.Get(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, created, got)
	item := raw(created.ID)
	assert.Equal(t, stringAV("2026-11-21T11:00:00.123Z"), item[AttrMutedUntil])
	assert.Equal(t, stringAV("deploy"), item[AttrMuteReason])
	assert.Equal(t, numberAV(30), item[AttrCertExpiryThresholdDays])

	unmuted, err := f.repo.Replace(ctx, created.ID, resolved(t, "https://example.com/"), created.Version)
	require.NoError(t, err)
	assert.Nil(t, unmuted.MutedUntil)
	assert.Empty(t, unmuted.MuteReason)
	assert.Nil(t, unmuted.CertExpiryThresholdDays)
	got, err = f.repo.Get(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, unmuted, got)
	item = raw(created.ID)
	for _, attr := range []string{AttrMutedUntil, AttrMuteReason, AttrCertExpiryThresholdDays} {
		assert.NotContains(t, item, attr, "removed by the replace")
	}

	again := resolved(t, "https://example.com/")
	again.MutedUntil = &until
	remuted, err := f.repo.Replace(ctx, created.ID, again, 0)
	require.NoError(t, err)
	got, err = f.repo.Get(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, remuted, got)
	assert.Equal(t, &stored, got.MutedUntil)
	assert.NotContains(t, raw(created.ID), AttrMuteReason)
	assert.Equal(t, until, *again.MutedUntil, "the caller's target is not changed")
}

func TestReplaceIfMatch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	orig := f.create(t, "https://example.com/")
	spec := resolved(t, "https://example.com/")

	v2, err := f.repo.Replace(ctx, orig.ID, spec, 1)
	require.NoError(t, err, "matching version")
	assert.Equal(t, int64(2), v2.Version)

	_, err = f.repo.Replace(ctx, orig.ID, spec, 1)
	require.ErrorIs(t, err, ErrVersionConflict, "stale version")
	var vc *VersionConflictError
	require.ErrorAs(t, err, &vc)
	assert.Equal(t, int64(1), vc.Expected)
	assert.Equal(t, int64(2), vc.Current)

	_, err = f.repo.Replace(ctx, orig.ID, spec, 7)
	require.ErrorIs(t, err, ErrVersionConflict, "future version")

	v3, err := f.repo.Replace(ctx, orig.ID, spec, 0)
	require.NoError(t, err, "no precondition")
	assert.Equal(t, int64(3), v3.Version)

	_, err = f.repo.Replace(ctx, "0f8fad5bd9cb469fa16570867728950e", spec, 0)
	assert.ErrorIs(t, err, ErrNotFound)
}

// Two writers holding the same version: exactly one wins, the other gets a version conflict.
func TestReplaceConcurrentSameVersion(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	orig := f.create(t, "https://example.com/")

	const writers = 6
	errs := make([]error, writers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range writers {
		wg.Go(func() {
			<-start
			spec := resolved(t, "https://example.com/")
			spec.Name = fmt.Sprintf("writer-%d", i)
			_, errs[i] = f.repo.Replace(context.Background(), orig.ID, spec, orig.Version)
		})
	}
	close(start)
	wg.Wait()

	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
			continue
		}
		assert.ErrorIs(t, err, ErrVersionConflict)
	}
	assert.Equal(t, 1, wins, "exactly one writer wins: %v", errs)
	got, err := f.repo.Get(context.Background(), orig.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(2), got.Version)
}

// The loser of a race read the target before the winner wrote it: its transaction's version condition
// fails, it reads again and reports the conflict (with If-Match) or replaces the newer version (without).
func TestReplaceInterleaved(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		expected    int64
		wantErr     error
		wantVersion int64
	}{
		{"if-match loses", 1, ErrVersionConflict, 2},
		{"unconditional retries", 0, nil, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			ctx := context.Background()
			orig := f.create(t, "https://example.com/")
			winner := NewTargets(f.db, f.table)
			f.spy.setBeforeTx(func() {
				_, err := winner.Replace(ctx, orig.ID, resolved(t, "https://example.com/winner"), 1)
				require.NoError(t, err)
			})

			txBefore := f.spy.transacts.Load()
			got, err := f.repo.Replace(ctx, orig.ID, resolved(t, "https://example.com/loser"), tc.expected)
			cur, gerr := f.repo.Get(ctx, orig.ID)
			require.NoError(t, gerr)
			assert.Equal(t, tc.wantVersion, cur.Version)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.Equal(t, "https://example.com/winner", cur.URL)
				assert.Equal(t, txBefore+1, f.spy.transacts.Load(), "one failed transaction, then the conflict is reported")
			} else {
				require.NoError(t, err)
				assert.Equal(t, int64(3), got.Version)
				assert.Equal(t, "https://example.com/loser", cur.URL)
				assert.Equal(t, orig.ID, f.owner(t, "https://example.com/loser"))
				assert.Empty(t, f.owner(t, "https://example.com/winner"), "the winner's URL was released by the retry")
			}
			assert.Empty(t, f.owner(t, "https://example.com/"), "the original URL was released")
			assert.Len(t, scanAll(t, f.db, f.table), 2, "one target, one uniqueness item")
		})
	}
}

func TestReplaceChangesURL(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	a := f.create(t, "https://a.example.com/")
	b := f.create(t, "https://b.example.com/")

	moved, err := f.repo.Replace(ctx, a.ID, resolved(t, "https://c.example.com/"), a.Version)
	require.NoError(t, err)
	assert.Equal(t, "https://c.example.com/", moved.URL)
	assert.Equal(t, a.ID, f.owner(t, "https://c.example.com/"), "the new URL is claimed")
	assert.Empty(t, f.owner(t, "https://a.example.com/"), "the old URL is released")
	assert.Len(t, scanAll(t, f.db, f.table), 4)

	again := f.create(t, "https://A.example.com:443/")
	assert.NotEqual(t, a.ID, again.ID, "the released URL can be watched again")

	_, err = f.repo.Create(ctx, resolved(t, "https://c.example.com"))
	var dup *DuplicateURLError
	require.ErrorAs(t, err, &dup, "the new URL is taken")
	assert.Equal(t, a.ID, dup.ExistingID)

	// Moving onto another target's URL is refused and changes nothing.
	_, err = f.repo.Replace(ctx, a.ID, resolved(t, "HTTPS://B.example.com"), 0)
	require.ErrorAs(t, err, &dup)
	assert.Equal(t, b.ID, dup.ExistingID)
	cur, err := f.repo.Get(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, moved, cur, "the target is unchanged")
	assert.Equal(t, a.ID, f.owner(t, "https://c.example.com/"))
	assert.Equal(t, b.ID, f.owner(t, "https://b.example.com/"))
	assert.Len(t, scanAll(t, f.db, f.table), 6)
}

func TestDelete(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	a := f.create(t, "https://example.com/")
	keep := f.create(t, "https://example.org/")

	require.NoError(t, f.repo.Delete(ctx, a.ID))
	_, err := f.repo.Get(ctx, a.ID)
	assert.ErrorIs(t, err, ErrNotFound)
	assert.ErrorIs(t, f.repo.Delete(ctx, a.ID), ErrNotFound, "second delete")
	assert.Empty(t, f.owner(t, a.URL), "the URL is released")
	assert.Len(t, scanAll(t, f.db, f.table), 2, "only the other target remains")

	again := f.create(t, "https://EXAMPLE.com")
	assert.NotEqual(t, a.ID, again.ID)
	_, err = f.repo.Get(ctx, keep.ID)
	assert.NoError(t, err)
}

// A replace that moves the URL between the delete's read and its transaction must not leave the new
// uniqueness item behind: the delete's version condition fails and it starts over.
func TestDeleteRacingURLChange(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	a := f.create(t, "https://example.com/old")
	other := NewTargets(f.db, f.table)
	f.spy.setBeforeTx(func() {
		_, err := other.Replace(ctx, a.ID, resolved(t, "https://example.com/new"), 0)
		require.NoError(t, err)
	})
	require.NoError(t, f.repo.Delete(ctx, a.ID))
	assert.Empty(t, scanAll(t, f.db, f.table), "target and both URLs gone")
}

func TestListPagination(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	const n = 37
	want := map[string]bool{}
	for i := range n {
		want[f.create(t, fmt.Sprintf("https://site%02d.example.com/", i)).ID] = true
	}

	for _, limit := range []int{1, 5, 10, 36, 37, 100} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			seen := map[string]bool{}
			token, pages := "", 0
			for {
				page, err := f.repo.List(ctx, limit, token)
				require.NoError(t, err)
				pages++
				for _, tg := range page.Items {
					assert.False(t, seen[tg.ID], "target %s listed twice", tg.ID)
					seen[tg.ID] = true
					assert.True(t, target.ValidID(tg.ID), "only targets, no uniqueness items")
				}
				if page.NextToken == "" {
					assert.LessOrEqual(t, len(page.Items), limit)
					assert.NotEmpty(t, page.Items, "no empty last page")
					break
				}
				assert.Len(t, page.Items, limit, "every page but the last is full")
				token = page.NextToken
				require.Less(t, pages, n+2, "pagination does not end")
			}
			assert.Equal(t, want, seen, "every target exactly once")
			assert.Equal(t, (n+limit-1)/limit, pages)
		})
	}
}

func TestListEdges(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()

	empty, err := f.repo.List(ctx, DefaultPageSize, "")
	require.NoError(t, err)
	assert.Empty(t, empty.Items)
	assert.Empty(t, empty.NextToken)

	a := f.create(t, "https://a.example.com/")
	b := f.create(t, "https://b.example.com/")
	c := f.create(t, "https://c.example.com/")
	first, err := f.repo.List(ctx, 1, "")
	require.NoError(t, err)
	require.Len(t, first.Items, 1)
	require.NotEmpty(t, first.NextToken)

	// The target the token points at is deleted: the listing continues after its position.
	require.NoError(t, f.repo.Delete(ctx, first.Items[0].ID))
	rest, err := f.repo.List(ctx, 10, first.NextToken)
	require.NoError(t, err)
	assert.Len(t, rest.Items, 2)
	assert.Empty(t, rest.NextToken)
	ids := map[string]bool{first.Items[0].ID: true}
	for _, tg := range rest.Items {
		ids[tg.ID] = true
	}
	assert.Equal(t, map[string]bool{a.ID: true, b.ID: true, c.ID: true}, ids)

	for _, limit := range []int{0, -1, MaxPageSize + 1} {
		_, err := f.repo.List(ctx, limit, "")
		assert.ErrorIs(t, err, ErrBadLimit, "limit %d", limit)
	}
}

func TestListAndHistoryRejectBadTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.create(t, "https://a.example.com/")
	alarms := NewAlarms(f.spy, "never-queried")
	id := "0f8fad5bd9cb469fa16570867728950e"

	valid := encodeTargetsToken(id)
	cases := map[string]string{
		"garbage":              "not a token!",
		"truncated":            valid[:len(valid)-3],
		"tampered":             valid[:5] + flip(valid[5]) + valid[6:],
		"alarm token on list":  encodeAlarmsToken(id, "2026-11-21T10:00:00.000Z#m-1"),
		"padded base64":        valid + "=",
		"id of uniqueness key": encodeToken(pageToken{L: listingTargets, ID: URLKeyPrefix + target.URLKey("https://a.example.com/")}),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			scans := f.spy.scans.Load()
			_, err := f.repo.List(ctx, 10, tok)
			assert.ErrorIs(t, err, ErrBadToken)
			assert.Equal(t, scans, f.spy.scans.Load(), "DynamoDB was not called")
		})
	}
	t.Run("list token on alarms", func(t *testing.T) {
		_, err := alarms.History(ctx, id, 10, valid)
		assert.ErrorIs(t, err, ErrBadToken)
		assert.Zero(t, f.spy.queries.Load())
	})
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

func ptr[T any](v T) *T { return &v }

//go:build integration

package store

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/target"
)

// TestRunLeaseAgainstDynamoDB: one holder at a time, a second acquire is ErrLeaseHeld until the lease
// expires (a crashed holder frees it then), release only by the holder's token, and the lease item is
// neither a target of the crawler's scan or the API's list nor an undecodable item.
func TestRunLeaseAgainstDynamoDB(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	leases := NewLeases(f.db, f.table)
	leases.now = f.clock
	tg := f.create(t, "https://a.example/")
	lease := CrawlerLeaseID("us-east-1")

	first, err := leases.Acquire(ctx, lease, f.clock().Add(time.Minute))
	require.NoError(t, err)
	assert.Len(t, first.Holder, 32)

	_, err = leases.Acquire(ctx, lease, f.clock().Add(time.Minute))
	require.ErrorIs(t, err, ErrLeaseHeld, "a second run while the first holds the lease")
	assert.Contains(t, err.Error(), "until 2026-11-21T10:01:00.123Z")
	other, err := leases.Acquire(ctx, CrawlerLeaseID("eu-west-1"), f.clock().Add(time.Minute))
	require.NoError(t, err, "another region's crawler has a lease of its own")
	assert.Equal(t, "lease#crawler#eu-west-1", other.ID)

	// The lease is no target: not scanned, not listed, not an invalid item.
	require.NoError(t, f.repo.ScanEnabled(ctx, 1, func(p ScanPage) error {
		assert.Empty(t, p.Invalid)
		for _, got := range p.Targets {
			assert.Equal(t, tg.ID, got.ID)
		}
		return nil
	}))
	page, err := f.repo.List(ctx, MaxPageSize, "")
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, tg.ID, page.Items[0].ID)
	require.ErrorIs(t, f.repo.WriteLastCheck(ctx, lease, target.LastCheck{CheckedAt: f.clock(), Available: true, StatusCode: 200, Attempts: 1}), ErrNotFound, "no last_check on the lease")

	// The holder crashed: at its expiry the lease is free, and the crashed holder cannot release the new one.
	f.advance(time.Minute)
	second, err := leases.Acquire(ctx, lease, f.clock().Add(time.Minute))
	require.NoError(t, err, "an expired lease is free")
	assert.NotEqual(t, first.Holder, second.Holder)
	released, err := leases.Release(ctx, first)
	require.NoError(t, err)
	assert.False(t, released, "a stale holder does not release another's lease")
	_, err = leases.Acquire(ctx, lease, f.clock().Add(time.Minute))
	require.ErrorIs(t, err, ErrLeaseHeld)

	released, err = leases.Release(ctx, second)
	require.NoError(t, err)
	assert.True(t, released)
	out, err := f.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(f.table), Key: idKey(lease), ConsistentRead: aws.Bool(true)})
	require.NoError(t, err)
	assert.Empty(t, out.Item, "released: the item is gone")
	_, err = leases.Acquire(ctx, lease, f.clock().Add(time.Minute))
	require.NoError(t, err, "free again after the release")
}

// TestRunLeaseOneWinner: of concurrent acquires exactly one gets the lease.
func TestRunLeaseOneWinner(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	leases := NewLeases(f.db, f.table)
	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, held := 0, 0
	for range n {
		wg.Go(func() {
			_, err := leases.Acquire(context.Background(), CrawlerLeaseID("eu-west-1"), time.Now().Add(time.Minute))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case assert.ErrorIs(t, err, ErrLeaseHeld):
				held++
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 1, won)
	assert.Equal(t, n-1, held)
}

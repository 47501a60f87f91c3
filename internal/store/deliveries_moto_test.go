//go:build integration

package store

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/testutil/moto"
)

// createDeliveriesTable creates a deliveries table as docs/design.md defines it (hash key id, on demand,
// TTL attribute expires_at; Terraform owns the real one).
func createDeliveriesTable(t *testing.T, db *dynamodb.Client) string {
	t.Helper()
	name := moto.UniqueName(t, "deliveries")
	ctx := context.Background()
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(AttrDeliveryID), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(AttrDeliveryID), KeyType: types.KeyTypeHash}},
	})
	require.NoError(t, err)
	_, err = db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(AttrDeliveryExpiresAt), Enabled: aws.Bool(true)},
	})
	require.NoError(t, err)
	return name
}

// TestDeliveriesAgainstDynamoDB: the claim, complete, reject and release conditions hold on a real
// table — one claim at a time, a delivered or rejected message is never claimed again, an expired
// claim is taken over and its old holder can then neither settle nor release it.
func TestDeliveriesAgainstDynamoDB(t *testing.T) {
	t.Parallel()
	db := newDynamo(t)
	table := createDeliveriesTable(t, db)
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 10, 3, 12, 345_000_000, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	d := NewDeliveries(db, table)
	d.now = clock

	t.Run("claim, a second claim waits, complete, then no claim again", func(t *testing.T) {
		c, err := d.Claim(ctx, "m-1", "ops", time.Minute)
		require.NoError(t, err)
		_, err = d.Claim(ctx, "m-1", "ops", time.Minute)
		require.ErrorIs(t, err, ErrClaimed)
		other, err := d.Claim(ctx, "m-1", "team", time.Minute)
		require.NoError(t, err, "each channel is claimed on its own")
		require.NoError(t, d.Complete(ctx, c))
		_, err = d.Claim(ctx, "m-1", "ops", time.Minute)
		require.ErrorIs(t, err, ErrDelivered)

		got, err := d.Get(ctx, "m-1", "ops")
		require.NoError(t, err)
		assert.Equal(t, Delivery{ID: "m-1#ops", MessageID: "m-1", Channel: "ops", Status: DeliveryDelivered, Attempts: 1,
			UpdatedAt: FormatTime(clock()), ExpiresAt: clock().Truncate(time.Second).Add(DefaultDeliveryRetention)}, got)
		require.NoError(t, d.Release(ctx, other))
		_, err = d.Get(ctx, "m-1", "team")
		require.ErrorIs(t, err, ErrNotFound, "a released claim leaves nothing behind")
	})

	t.Run("released claim is claimed again at once", func(t *testing.T) {
		first, err := d.Claim(ctx, "m-2", "ops", time.Hour)
		require.NoError(t, err)
		require.NoError(t, d.Release(ctx, first))
		second, err := d.Claim(ctx, "m-2", "ops", time.Hour)
		require.NoError(t, err)
		require.ErrorIs(t, d.Release(ctx, first), ErrClaimLost, "the old token releases nothing")
		require.NoError(t, d.Complete(ctx, second))
	})

	t.Run("expired claim is taken over; the old holder has lost it", func(t *testing.T) {
		old, err := d.Claim(ctx, "m-3", "ops", 10*time.Second)
		require.NoError(t, err)
		advance(9 * time.Second)
		_, err = d.Claim(ctx, "m-3", "ops", 10*time.Second)
		require.ErrorIs(t, err, ErrClaimed, "the lease has a second to run")
		advance(2 * time.Second)
		taken, err := d.Claim(ctx, "m-3", "ops", 10*time.Second)
		require.NoError(t, err)
		require.ErrorIs(t, d.Complete(ctx, old), ErrClaimLost)
		require.ErrorIs(t, d.Release(ctx, old), ErrClaimLost)
		require.NoError(t, d.Complete(ctx, taken))
		got, err := d.Get(ctx, "m-3", "ops")
		require.NoError(t, err)
		assert.Equal(t, 2, got.Attempts)
		assert.Equal(t, DeliveryDelivered, got.Status)
		assert.Empty(t, got.ClaimToken)
		assert.Zero(t, got.LeaseUntil)
	})

	t.Run("rejected stays rejected", func(t *testing.T) {
		c, err := d.Claim(ctx, "m-4", "ops", time.Minute)
		require.NoError(t, err)
		require.NoError(t, d.Reject(ctx, c, "HTTP 404"))
		advance(time.Hour)
		_, err = d.Claim(ctx, "m-4", "ops", time.Minute)
		require.ErrorIs(t, err, ErrRejected)
		assert.ErrorContains(t, err, "HTTP 404")
	})

	t.Run("concurrent claims: exactly one is granted", func(t *testing.T) {
		const n = 8
		var wg sync.WaitGroup
		results := make([]error, n)
		for i := range n {
			wg.Go(func() { _, results[i] = d.Claim(ctx, "m-5", "ops", time.Minute) })
		}
		wg.Wait()
		granted := 0
		for _, err := range results {
			if err == nil {
				granted++
				continue
			}
			assert.ErrorIs(t, err, ErrClaimed)
		}
		assert.Equal(t, 1, granted)
	})
}

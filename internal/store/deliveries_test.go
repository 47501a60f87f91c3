package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deliveriesDB answers each call with the configured result and records the inputs.
type deliveriesDB struct {
	updateErr error
	getItem   map[string]types.AttributeValue
	getErr    error
	deleteErr error
	updates   []*dynamodb.UpdateItemInput
	gets      int
	deletes   []*dynamodb.DeleteItemInput
}

func (f *deliveriesDB) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	f.updates = append(f.updates, in)
	return &dynamodb.UpdateItemOutput{}, f.updateErr
}

func (f *deliveriesDB) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.gets++
	return &dynamodb.GetItemOutput{Item: f.getItem}, f.getErr
}

func (f *deliveriesDB) DeleteItem(_ context.Context, in *dynamodb.DeleteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	f.deletes = append(f.deletes, in)
	return &dynamodb.DeleteItemOutput{}, f.deleteErr
}

func deliveryItem(status, detail string, leaseUntil time.Time) map[string]types.AttributeValue {
	it := map[string]types.AttributeValue{
		"id": stringAV("m-1#ops"), "message_id": stringAV("m-1"), "channel": stringAV("ops"),
		"status": stringAV(status), "attempts": numberAV(1), "updated_at": stringAV("2026-11-21T10:00:00.000Z"),
		"expires_at": numberAV(1_800_000_000),
	}
	if detail != "" {
		it["detail"] = stringAV(detail)
	}
	if !leaseUntil.IsZero() {
		it["lease_until"] = numberAV(leaseUntil.UnixMilli())
		it["claim_token"] = stringAV("someone-else")
	}
	return it
}

func TestClaimRequest(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 21, 10, 3, 12, 345_678_000, time.UTC)
	db := &deliveriesDB{}
	d := NewDeliveries(db, "deliveries")
	d.now = func() time.Time { return now }

	c, err := d.Claim(context.Background(), "m-1", "ops", 30*time.Second)
	require.NoError(t, err)
	assert.Equal(t, "m-1#ops", c.ID)
	assert.Regexp(t, "^[0-9a-f]{32}$", c.Token)
	assert.Equal(t, now.Add(30*time.Second).Truncate(time.Millisecond), c.LeaseUntil)

	require.Len(t, db.updates, 1)
	in := db.updates[0]
	assert.Equal(t, "deliveries", aws.ToString(in.TableName))
	assert.Equal(t, map[string]types.AttributeValue{"id": stringAV("m-1#ops")}, in.Key)
	assert.Equal(t, "attribute_not_exists(#id) OR (#s = :claimed AND #lease < :now)", aws.ToString(in.ConditionExpression))
	assert.Equal(t, numberAV(now.UnixMilli()), in.ExpressionAttributeValues[":now"])
	assert.Equal(t, numberAV(c.LeaseUntil.UnixMilli()), in.ExpressionAttributeValues[":lease"])
	assert.Equal(t, numberAV(now.Add(DefaultDeliveryRetention).Unix()), in.ExpressionAttributeValues[":exp"], "TTL: the retention after now, epoch seconds")
	assert.Equal(t, stringAV(c.Token), in.ExpressionAttributeValues[":tok"])
	assert.Equal(t, types.ReturnValuesOnConditionCheckFailureAllOld, in.ReturnValuesOnConditionCheckFailure)

	again, err := d.Claim(context.Background(), "m-1", "ops", 30*time.Second)
	require.NoError(t, err)
	assert.NotEqual(t, c.Token, again.Token, "every claim has a token of its own")

	_, err = d.Claim(context.Background(), "m-1", "ops", 0)
	assert.ErrorContains(t, err, "not positive")
}

// TestClaimRefusals: a claim that is not granted says why, from the item DynamoDB returned with the
// failed condition or, when it returned none, from a consistent read.
func TestClaimRefusals(t *testing.T) {
	t.Parallel()
	lease := time.Date(2026, 11, 21, 10, 4, 0, 0, time.UTC)
	tests := []struct {
		name     string
		returned map[string]types.AttributeValue // the item in the ConditionalCheckFailedException
		read     map[string]types.AttributeValue // what GetItem finds
		want     error
		detail   string
		reads    int
	}{
		{name: "delivered", returned: deliveryItem(DeliveryDelivered, "", time.Time{}), want: ErrDelivered},
		{name: "rejected", returned: deliveryItem(DeliveryRejected, "HTTP 404", time.Time{}), want: ErrRejected, detail: "HTTP 404"},
		{name: "claimed by another", returned: deliveryItem(DeliveryClaimed, "", lease), want: ErrClaimed, detail: "2026-11-21T10:04:00.000Z"},
		{name: "no item returned: read it", read: deliveryItem(DeliveryDelivered, "", time.Time{}), want: ErrDelivered, reads: 1},
		{name: "no item returned, none stored: released meanwhile", want: ErrClaimed, reads: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := &deliveriesDB{updateErr: &types.ConditionalCheckFailedException{Item: tc.returned}, getItem: tc.read}
			_, err := NewDeliveries(db, "deliveries").Claim(context.Background(), "m-1", "ops", time.Minute)
			require.ErrorIs(t, err, tc.want)
			assert.Contains(t, err.Error(), "m-1#ops")
			assert.Contains(t, err.Error(), tc.detail)
			assert.Equal(t, tc.reads, db.gets)
		})
	}
	t.Run("other errors are wrapped", func(t *testing.T) {
		t.Parallel()
		boom := errors.New("throttled")
		_, err := NewDeliveries(&deliveriesDB{updateErr: boom}, "deliveries").Claim(context.Background(), "m-1", "ops", time.Minute)
		require.ErrorIs(t, err, boom)
		assert.NotErrorIs(t, err, ErrClaimed)
	})
}

func TestSettleAndRelease(t *testing.T) {
	t.Parallel()
	c := Claim{ID: "m-1#ops", Token: "tok"}
	lost := &types.ConditionalCheckFailedException{}
	tests := []struct {
		name    string
		call    func(*Deliveries) error
		dbErr   error
		want    error
		status  string // the status written; "" for Release
		detail  string
		deletes int
	}{
		{name: "complete", call: func(d *Deliveries) error { return d.Complete(context.Background(), c) }, status: DeliveryDelivered},
		{name: "reject", call: func(d *Deliveries) error { return d.Reject(context.Background(), c, "HTTP 410") }, status: DeliveryRejected, detail: "HTTP 410"},
		{name: "complete a lost claim", call: func(d *Deliveries) error { return d.Complete(context.Background(), c) }, dbErr: lost, want: ErrClaimLost, status: DeliveryDelivered},
		{name: "release", call: func(d *Deliveries) error { return d.Release(context.Background(), c) }, deletes: 1},
		{name: "release a lost claim", call: func(d *Deliveries) error { return d.Release(context.Background(), c) }, dbErr: lost, want: ErrClaimLost, deletes: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := &deliveriesDB{updateErr: tc.dbErr, deleteErr: tc.dbErr}
			err := tc.call(NewDeliveries(db, "deliveries"))
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
			} else {
				require.NoError(t, err)
			}
			cond := "#s = :claimed AND #tok = :tok"
			if tc.status != "" {
				require.Len(t, db.updates, 1)
				in := db.updates[0]
				assert.Equal(t, cond, aws.ToString(in.ConditionExpression), "only the holder of the claim settles it")
				assert.Equal(t, stringAV(tc.status), in.ExpressionAttributeValues[":status"])
				assert.Equal(t, stringAV("tok"), in.ExpressionAttributeValues[":tok"])
				if tc.detail != "" {
					assert.Equal(t, stringAV(tc.detail), in.ExpressionAttributeValues[":d"])
				} else {
					assert.NotContains(t, in.ExpressionAttributeValues, ":d")
				}
			}
			require.Len(t, db.deletes, tc.deletes)
			if tc.deletes > 0 {
				assert.Equal(t, cond, aws.ToString(db.deletes[0].ConditionExpression))
			}
		})
	}
}

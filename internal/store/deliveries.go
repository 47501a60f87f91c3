package store

// deliveries.go is the deliveries table (docs/design.md): the notifier's record of each notification per
// channel, so a message SNS delivers twice, or Lambda retries, reaches each channel once. An item is
// claimed (with a lease) before the post, then marked delivered or rejected; a failed post releases it.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Attribute names of the deliveries table.
const (
	AttrDeliveryID         = "id"          // hash key: DeliveryID
	AttrDeliveryStatus     = "status"      // DeliveryClaimed, DeliveryDelivered or DeliveryRejected
	AttrDeliveryToken      = "claim_token" // the holder of a claim
	AttrDeliveryLeaseUntil = "lease_until" // Number, epoch milliseconds: a claim older than this may be taken over
	AttrDeliveryExpiresAt  = "expires_at"  // TTL attribute, a Number of epoch seconds
)

// Statuses of a delivery.
const (
	DeliveryClaimed   = "claimed"   // a notifier is posting it
	DeliveryDelivered = "delivered" // the channel accepted it (2xx)
	DeliveryRejected  = "rejected"  // the channel refused it for good (a 4xx other than 408 and 429)
)

// DefaultDeliveryRetention is how long a delivery item lives: longer than SNS redelivers a message and
// Lambda retries an event (6 hours at most).
const DefaultDeliveryRetention = 7 * 24 * time.Hour

// Outcomes of a claim that was not granted, and of a claim that was lost.
var (
	// ErrDelivered: the message was delivered to the channel already; nothing is to be done.
	ErrDelivered = errors.New("notification already delivered to the channel")
	// ErrRejected: the channel refused the message for good; posting it again would be refused again.
	ErrRejected = errors.New("notification was rejected by the channel")
	// ErrClaimed: another invocation holds an unexpired claim (it is posting now).
	ErrClaimed = errors.New("notification is being delivered by another invocation")
	// ErrClaimLost: the claim is no longer ours (its lease expired and another invocation took it over).
	ErrClaimLost = errors.New("delivery claim no longer held")
)

// DeliveriesDB is the part of the DynamoDB API the deliveries table's repository calls (*dynamodb.Client implements it).
type DeliveriesDB interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// Delivery is a stored delivery item.
type Delivery struct {
	ID         string    `dynamodbav:"id"`
	MessageID  string    `dynamodbav:"message_id"`
	Channel    string    `dynamodbav:"channel"`
	Status     string    `dynamodbav:"status"`
	ClaimToken string    `dynamodbav:"claim_token,omitempty"`
	LeaseUntil int64     `dynamodbav:"lease_until,omitempty"` // epoch milliseconds, while claimed
	Attempts   int       `dynamodbav:"attempts"`              // claims granted so far
	Detail     string    `dynamodbav:"detail,omitempty"`      // why it was rejected
	UpdatedAt  string    `dynamodbav:"updated_at"`            // TimeFormat
	ExpiresAt  time.Time `dynamodbav:"expires_at,unixtime"`
}

// Claim is a granted claim: its holder may post, then Complete, Reject or Release it.
type Claim struct {
	ID         string
	Token      string
	LeaseUntil time.Time
}

// Deliveries is the repository of the deliveries table. Safe for concurrent use.
type Deliveries struct {
	db        DeliveriesDB
	table     string
	retention time.Duration
	now       func() time.Time
}

// NewDeliveries returns the repository over the deliveries table named table.
func NewDeliveries(db DeliveriesDB, table string) *Deliveries {
	return &Deliveries{db: db, table: table, retention: DefaultDeliveryRetention, now: time.Now}
}

// DeliveryID is the key of the delivery of an SNS message to a channel: "<MessageId>#<channel>".
func DeliveryID(messageID, channel string) string { return messageID + "#" + channel }

// Claim takes the delivery of messageID to channel for lease: granted when no item exists or the item
// is a claim whose lease has run out (its holder died). Otherwise it is ErrDelivered, ErrRejected or
// ErrClaimed, and nothing is written.
func (d *Deliveries) Claim(ctx context.Context, messageID, channel string, lease time.Duration) (Claim, error) {
	id := DeliveryID(messageID, channel)
	if lease <= 0 {
		return Claim{}, fmt.Errorf("claim delivery %s: lease %s is not positive", id, lease)
	}
	token, err := claimToken()
	if err != nil {
		return Claim{}, fmt.Errorf("claim delivery %s: %w", id, err)
	}
	now := d.now().UTC()
	c := Claim{ID: id, Token: token, LeaseUntil: now.Add(lease).Truncate(time.Millisecond)}
	_, err = d.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(d.table),
		Key:       map[string]types.AttributeValue{AttrDeliveryID: stringAV(id)},
		UpdateExpression: aws.String("SET #s = :claimed, #tok = :tok, #lease = :lease, message_id = :m, channel = :c, " +
			"updated_at = :u, #exp = :exp ADD attempts :one"),
		ConditionExpression: aws.String("attribute_not_exists(#id) OR (#s = :claimed AND #lease < :now)"),
		ExpressionAttributeNames: map[string]string{
			"#id": AttrDeliveryID, "#s": AttrDeliveryStatus, "#tok": AttrDeliveryToken,
			"#lease": AttrDeliveryLeaseUntil, "#exp": AttrDeliveryExpiresAt,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":claimed": stringAV(DeliveryClaimed), ":tok": stringAV(token),
			":lease": numberAV(c.LeaseUntil.UnixMilli()), ":now": numberAV(now.UnixMilli()),
			":m": stringAV(messageID), ":c": stringAV(channel), ":u": stringAV(FormatTime(now)),
			":exp": numberAV(now.Add(d.retention).Unix()), ":one": numberAV(1),
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		return Claim{}, d.refusal(ctx, id, failed.Item)
	case err != nil:
		return Claim{}, fmt.Errorf("claim delivery %s: %w", id, err)
	}
	return c, nil
}

// refusal says why a claim was not granted, from the item the condition failed on (read again when
// DynamoDB did not return it).
func (d *Deliveries) refusal(ctx context.Context, id string, item map[string]types.AttributeValue) error {
	if len(item) == 0 {
		got, err := d.get(ctx, id)
		switch {
		case errors.Is(err, ErrNotFound): // released between the claim and this read: try again later
			return fmt.Errorf("claim delivery %s: %w", id, ErrClaimed)
		case err != nil:
			return fmt.Errorf("claim delivery %s: not granted, and reading why failed: %w", id, err)
		}
		return refusalOf(got)
	}
	got, err := decodeDelivery(item)
	if err != nil {
		return fmt.Errorf("claim delivery %s: %w", id, err)
	}
	return refusalOf(got)
}

func refusalOf(it Delivery) error {
	switch it.Status {
	case DeliveryDelivered:
		return fmt.Errorf("claim delivery %s: %w", it.ID, ErrDelivered)
	case DeliveryRejected:
		return fmt.Errorf("claim delivery %s: %w (%s)", it.ID, ErrRejected, it.Detail)
	default:
		return fmt.Errorf("claim delivery %s: %w (lease until %s)", it.ID, ErrClaimed,
			FormatTime(time.UnixMilli(it.LeaseUntil)))
	}
}

// Complete marks a claimed delivery delivered: later claims of it are ErrDelivered.
func (d *Deliveries) Complete(ctx context.Context, c Claim) error {
	return d.settle(ctx, c, DeliveryDelivered, "")
}

// Reject records that the channel refused the message for good (detail says how, e.g. "HTTP 404"):
// later claims of it are ErrRejected.
func (d *Deliveries) Reject(ctx context.Context, c Claim, detail string) error {
	return d.settle(ctx, c, DeliveryRejected, detail)
}

func (d *Deliveries) settle(ctx context.Context, c Claim, status, detail string) error {
	set := "SET #s = :status, updated_at = :u REMOVE #tok, #lease"
	values := map[string]types.AttributeValue{
		":status": stringAV(status), ":u": stringAV(FormatTime(d.now())),
		":claimed": stringAV(DeliveryClaimed), ":tok": stringAV(c.Token),
	}
	if detail != "" {
		set = "SET #s = :status, updated_at = :u, detail = :d REMOVE #tok, #lease"
		values[":d"] = stringAV(detail)
	}
	_, err := d.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(d.table),
		Key:                 map[string]types.AttributeValue{AttrDeliveryID: stringAV(c.ID)},
		UpdateExpression:    aws.String(set),
		ConditionExpression: aws.String("#s = :claimed AND #tok = :tok"),
		ExpressionAttributeNames: map[string]string{
			"#s": AttrDeliveryStatus, "#tok": AttrDeliveryToken, "#lease": AttrDeliveryLeaseUntil,
		},
		ExpressionAttributeValues: values,
	})
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		return fmt.Errorf("mark delivery %s %s: %w", c.ID, status, ErrClaimLost)
	case err != nil:
		return fmt.Errorf("mark delivery %s %s: %w", c.ID, status, err)
	}
	return nil
}

// Release gives a claim up after a failed post, so a retry may claim the delivery at once rather than
// after the lease. A claim that is no longer ours is ErrClaimLost and left alone.
func (d *Deliveries) Release(ctx context.Context, c Claim) error {
	_, err := d.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(d.table),
		Key:                       map[string]types.AttributeValue{AttrDeliveryID: stringAV(c.ID)},
		ConditionExpression:       aws.String("#s = :claimed AND #tok = :tok"),
		ExpressionAttributeNames:  map[string]string{"#s": AttrDeliveryStatus, "#tok": AttrDeliveryToken},
		ExpressionAttributeValues: map[string]types.AttributeValue{":claimed": stringAV(DeliveryClaimed), ":tok": stringAV(c.Token)},
	})
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		return fmt.Errorf("release delivery %s: %w", c.ID, ErrClaimLost)
	case err != nil:
		return fmt.Errorf("release delivery %s: %w", c.ID, err)
	}
	return nil
}

// Get returns the delivery of messageID to channel; ErrNotFound when there is none.
func (d *Deliveries) Get(ctx context.Context, messageID, channel string) (Delivery, error) {
	return d.get(ctx, DeliveryID(messageID, channel))
}

func (d *Deliveries) get(ctx context.Context, id string) (Delivery, error) {
	out, err := d.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(d.table), Key: map[string]types.AttributeValue{AttrDeliveryID: stringAV(id)},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Delivery{}, fmt.Errorf("get delivery %s: %w", id, err)
	}
	if len(out.Item) == 0 {
		return Delivery{}, fmt.Errorf("get delivery %s: %w", id, ErrNotFound)
	}
	return decodeDelivery(out.Item)
}

func decodeDelivery(av map[string]types.AttributeValue) (Delivery, error) {
	var it Delivery
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return Delivery{}, fmt.Errorf("decode delivery item: %w", err)
	}
	it.ExpiresAt = it.ExpiresAt.UTC()
	return it, nil
}

// claimToken is a random 128-bit token naming one claim.
func claimToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("claim token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

package alarmlog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/webhealth/webhealth/internal/store"
)

// UnparsedTargetID is the hash key under which messages that are not our alarm notifications are kept.
const UnparsedTargetID = "_unparsed"

// Attribute names of the alarm table (docs/design.md).
const (
	AttrTargetID        = "target_id"
	AttrSK              = "sk"
	AttrMessageID       = "message_id"
	AttrAlarmName       = "alarm_name"
	AttrAlarmKind       = "alarm_kind"
	AttrNewState        = "new_state"
	AttrOldState        = "old_state"
	AttrReason          = "reason"
	AttrStateChangeTime = "state_change_time"
	AttrMetricName      = "metric_name"
	AttrRecordedAt      = "recorded_at"
	AttrExpiresAt       = "expires_at"
	AttrRaw             = "raw"
	AttrParseError      = "parse_error"
	AttrSubject         = "subject"
	AttrTopicARN        = "topic_arn"
)

// conditionNew makes a write a no-op when the item (same target_id and sk) is already stored.
const conditionNew = "attribute_not_exists(" + AttrSK + ")"

// PutItemAPI is the DynamoDB operation the handler uses.
type PutItemAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// Handler records the alarm notifications of an SNS event.
type Handler struct {
	db        PutItemAPI
	table     string
	retention time.Duration
	parser    *Parser
	now       func() time.Time
	log       *slog.Logger
}

// Option adjusts a Handler.
type Option func(*Handler)

// WithClock replaces time.Now (recorded_at, expires_at).
func WithClock(now func() time.Time) Option { return func(h *Handler) { h.now = now } }

// WithLogger replaces slog.Default().
func WithLogger(l *slog.Logger) Option { return func(h *Handler) { h.log = l } }

// New returns a handler writing to cfg.Table through db.
func New(db PutItemAPI, cfg Config, opts ...Option) *Handler {
	h := &Handler{
		db:        db,
		table:     cfg.Table,
		retention: time.Duration(cfg.RetentionDays) * 24 * time.Hour,
		parser:    NewParser(cfg.AlarmPrefix),
		now:       time.Now,
		log:       slog.Default(),
	}
	for _, o := range opts {
		o(h)
	}
	return h
}

// Handle stores one item per SNS record. It returns an error when an item could not be stored, so
// Lambda retries the event; items already stored are not duplicated by the retry.
func (h *Handler) Handle(ctx context.Context, ev events.SNSEvent) error {
	var errs []error
	for i := range ev.Records {
		if err := ctx.Err(); err != nil {
			errs = append(errs, fmt.Errorf("record %d of %d not stored: %w", i+1, len(ev.Records), err))
			break
		}
		if err := h.record(ctx, ev.Records[i].SNS); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (h *Handler) record(ctx context.Context, msg events.SNSEntity) error {
	now := h.now()
	msgID := messageKey(msg)
	change, parseErr := h.parser.Parse(msg.Message)

	var item map[string]types.AttributeValue
	logAttrs := []any{slog.String("message_id", msgID)}
	if parseErr != nil {
		item = h.rawItem(msg, msgID, parseErr, now)
		logAttrs = append(logAttrs, slog.String("topic_arn", msg.TopicArn), slog.String("subject", msg.Subject),
			slog.String("parse_error", parseErr.Error()))
	} else {
		item = h.changeItem(change, msgID, now)
		logAttrs = append(logAttrs, slog.String("target_id", change.TargetID), slog.String("alarm_name", change.AlarmName),
			slog.String("alarm_kind", change.Kind), slog.String("new_state", change.NewState), slog.String("old_state", change.OldState))
	}
	key := str(item[AttrTargetID]) + "/" + str(item[AttrSK])

	_, err := h.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(h.table),
		Item:                item,
		ConditionExpression: aws.String(conditionNew),
	})
	var dup *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &dup):
		h.log.InfoContext(ctx, "duplicate delivery: alarm record already stored", append(logAttrs, slog.String("key", key))...)
		return nil
	case err != nil:
		h.log.ErrorContext(ctx, "store alarm record failed", append(logAttrs, slog.String("key", key), slog.Any("error", err))...)
		return fmt.Errorf("put alarm record %s (message %s): %w", key, msgID, err)
	case parseErr != nil:
		h.log.WarnContext(ctx, "SNS message is not an alarm of a target: stored raw", append(logAttrs, slog.String("key", key))...)
	default:
		h.log.InfoContext(ctx, "alarm state change recorded", append(logAttrs, slog.String("key", key))...)
	}
	return nil
}

func (h *Handler) changeItem(c StateChange, msgID string, now time.Time) map[string]types.AttributeValue {
	changed := store.FormatTime(c.StateChangeTime)
	item := map[string]types.AttributeValue{
		AttrTargetID:        s(c.TargetID),
		AttrSK:              s(changed + "#" + msgID),
		AttrMessageID:       s(msgID),
		AttrAlarmName:       s(c.AlarmName),
		AttrAlarmKind:       s(c.Kind),
		AttrNewState:        s(c.NewState),
		AttrStateChangeTime: s(changed),
	}
	setIfNotEmpty(item, AttrOldState, c.OldState)
	setIfNotEmpty(item, AttrReason, c.Reason)
	setIfNotEmpty(item, AttrMetricName, c.MetricName)
	h.stamp(item, now)
	return item
}

func (h *Handler) rawItem(msg events.SNSEntity, msgID string, parseErr error, now time.Time) map[string]types.AttributeValue {
	item := map[string]types.AttributeValue{
		AttrTargetID:   s(UnparsedTargetID),
		AttrSK:         s(store.FormatTime(msg.Timestamp) + "#" + msgID),
		AttrMessageID:  s(msgID),
		AttrRaw:        s(strings.ToValidUTF8(msg.Message, "\uFFFD")),
		AttrParseError: s(strings.ToValidUTF8(parseErr.Error(), "\uFFFD")),
	}
	setIfNotEmpty(item, AttrSubject, strings.ToValidUTF8(msg.Subject, "\uFFFD"))
	setIfNotEmpty(item, AttrTopicARN, msg.TopicArn)
	h.stamp(item, now)
	return item
}

// stamp sets recorded_at and the TTL attribute expires_at (epoch seconds).
func (h *Handler) stamp(item map[string]types.AttributeValue, now time.Time) {
	item[AttrRecordedAt] = s(store.FormatTime(now))
	item[AttrExpiresAt] = &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(h.retention).Unix(), 10)}
}

// messageKey is the SNS MessageId, or, for a hand-made event without one, a digest of the message
// so a redelivery of it is still recognised.
func messageKey(msg events.SNSEntity) string {
	if msg.MessageID != "" {
		return msg.MessageID
	}
	sum := sha256.Sum256([]byte(msg.Message))
	return "sha256-" + hex.EncodeToString(sum[:16])
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func str(av types.AttributeValue) string {
	if v, ok := av.(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func setIfNotEmpty(item map[string]types.AttributeValue, name, v string) {
	if v != "" {
		item[name] = s(v)
	}
}

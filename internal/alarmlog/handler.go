// Package alarmlog records CloudWatch alarm state changes delivered by SNS into the alarm table
// (schema in docs/design.md), one item per state change, keyed so a target's history reads newest first.
//
// Delivery is at least once, so writes are conditional on the item not existing: a redelivered
// message is a no-op. Nothing is dropped: a message that is not one of our alarm notifications is
// stored raw under target_id "_unparsed" with the reason it could not be parsed. A state change of a
// target muted at its time is recorded with muted = true (nobody was told of it).
package alarmlog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/webhealth/webhealth/internal/alarmevent"
	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
)

// Recorder stores alarm records (*store.Alarms implements it); a record already stored is
// store.ErrAlreadyRecorded.
type Recorder interface {
	Record(ctx context.Context, it store.AlarmItem) error
	RecordUnparsed(ctx context.Context, it store.UnparsedAlarmItem) error
}

// Targets reads a target (*store.Targets implements it); one that does not exist is store.ErrNotFound.
type Targets interface {
	Get(ctx context.Context, id string) (target.Target, error)
}

// Handler records the alarm notifications of an SNS event.
type Handler struct {
	records   Recorder
	targets   Targets
	retention time.Duration
	parser    *alarmevent.Parser
	now       func() time.Time
	log       *slog.Logger
}

// Option adjusts a Handler.
type Option func(*Handler)

// WithClock replaces time.Now (recorded_at, expires_at).
func WithClock(now func() time.Time) Option { return func(h *Handler) { h.now = now } }

// WithLogger replaces slog.Default().
func WithLogger(l *slog.Logger) Option { return func(h *Handler) { h.log = l } }

// New returns a handler storing its records through records, reading the targets' mutes through targets.
func New(records Recorder, targets Targets, cfg Config, opts ...Option) *Handler {
	h := &Handler{
		records:   records,
		targets:   targets,
		retention: time.Duration(cfg.RetentionDays) * 24 * time.Hour,
		parser:    alarmevent.NewParser(cfg.AlarmPrefix),
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

	var (
		err     error
		readErr error // the target could not be read: the record is stored without muted
		logAttr = []any{slog.String("message_id", msgID)}
	)
	if parseErr != nil {
		it := h.rawItem(msg, msgID, parseErr, now)
		err = h.records.RecordUnparsed(ctx, it)
		logAttr = append(logAttr, slog.String("key", store.UnparsedTargetID+"/"+it.SK), slog.String("topic_arn", msg.TopicArn),
			slog.String("subject", msg.Subject), slog.String("parse_error", parseErr.Error()))
	} else {
		it := h.changeItem(change, msgID, now)
		it.Muted, readErr = h.muted(ctx, change)
		err = h.records.Record(ctx, it)
		logAttr = append(logAttr, slog.String("key", it.TargetID+"/"+it.SK), slog.String("target_id", change.TargetID),
			slog.String("alarm_name", change.AlarmName), slog.String("alarm_kind", change.Kind),
			slog.String("new_state", change.NewState), slog.String("old_state", change.OldState), slog.Bool("muted", it.Muted))
	}
	if readErr != nil {
		h.log.ErrorContext(ctx, "read target failed: alarm record stored without muted", append(logAttr, slog.Any("error", readErr))...)
		readErr = fmt.Errorf("message %s: %w", msgID, readErr)
	}
	switch {
	case errors.Is(err, store.ErrAlreadyRecorded):
		h.log.InfoContext(ctx, "duplicate delivery: alarm record already stored", logAttr...)
		return readErr
	case err != nil:
		h.log.ErrorContext(ctx, "store alarm record failed", append(logAttr, slog.Any("error", err))...)
		return errors.Join(fmt.Errorf("message %s: %w", msgID, err), readErr)
	case parseErr != nil:
		h.log.WarnContext(ctx, "SNS message is not an alarm of a target: stored raw", logAttr...)
	default:
		h.log.InfoContext(ctx, "alarm state change recorded", logAttr...)
	}
	return readErr
}

// muted reports whether the change's target was muted at the state change time. A target that is gone
// (deleted, its alarms not yet) was not muted. A failed read is returned: the record is stored anyway,
// without muted, and the invocation fails so the failure is seen (the function's errors alarm); Lambda's
// retry finds the record stored and cannot add muted to it.
func (h *Handler) muted(ctx context.Context, c alarmevent.StateChange) (bool, error) {
	t, err := h.targets.Get(ctx, c.TargetID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		h.log.InfoContext(ctx, "target not found (deleted?): recorded as not muted", slog.String("target_id", c.TargetID))
		return false, nil
	case err != nil:
		return false, fmt.Errorf("read target %s for its mute: %w", c.TargetID, err)
	}
	return t.Muted(c.StateChangeTime), nil
}

// changeItem is the item of a parsed state change. Times are stored in store.TimeFormat; the sort key
// starts with the state change time, and expires_at (TTL) is the retention after now.
func (h *Handler) changeItem(c alarmevent.StateChange, msgID string, now time.Time) store.AlarmItem {
	return store.AlarmItem{
		AlarmRecord: store.AlarmRecord{
			TargetID:        c.TargetID,
			SK:              store.AlarmSK(c.StateChangeTime, msgID),
			MessageID:       msgID,
			AlarmName:       c.AlarmName,
			AlarmKind:       c.Kind,
			NewState:        c.NewState,
			OldState:        c.OldState,
			Reason:          c.Reason,
			StateChangeTime: store.FormatTime(c.StateChangeTime),
			MetricName:      c.MetricName,
			RecordedAt:      store.FormatTime(now),
		},
		ExpiresAt: now.Add(h.retention),
	}
}

// rawItem is the item of a message that is not an alarm notification of a target; its sort key starts
// with the SNS timestamp. Text from the message is made valid UTF-8, as DynamoDB requires.
func (h *Handler) rawItem(msg events.SNSEntity, msgID string, parseErr error, now time.Time) store.UnparsedAlarmItem {
	return store.UnparsedAlarmItem{
		SK:         store.AlarmSK(msg.Timestamp, msgID),
		MessageID:  msgID,
		Subject:    strings.ToValidUTF8(msg.Subject, "\uFFFD"),
		TopicARN:   msg.TopicArn,
		Raw:        strings.ToValidUTF8(msg.Message, "\uFFFD"),
		ParseError: strings.ToValidUTF8(parseErr.Error(), "\uFFFD"),
		RecordedAt: store.FormatTime(now),
		ExpiresAt:  now.Add(h.retention),
	}
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

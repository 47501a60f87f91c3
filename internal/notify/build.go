package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/webhealth/webhealth/internal/alarmevent"
	"github.com/webhealth/webhealth/internal/contract"
	"github.com/webhealth/webhealth/internal/store"
)

// event reads an SNS message into the event to notify; ok is false when nobody is to be told (the
// reason is logged). A target alarm is read with the target; any other CloudWatch alarm is an ops
// alarm; anything else is dropped (the alarm logger keeps it).
func (h *Handler) event(ctx context.Context, message, msgID string, log *slog.Logger) (Event, bool, error) {
	change, err := h.parser.Parse(message)
	switch {
	case err == nil:
		return h.targetEvent(ctx, change, msgID, log)
	case errors.Is(err, alarmevent.ErrNoTarget), errors.Is(err, alarmevent.ErrUnknownKind):
		a, aerr := alarmevent.ParseAlarm(message)
		if aerr != nil { // Parse accepted what ParseAlarm refuses: cannot happen, but never drop silently
			log.WarnContext(ctx, "alarm notification not readable: nobody is notified", slog.Any("error", aerr))
			return Event{}, false, nil
		}
		return h.opsEvent(ctx, a, msgID, log)
	}
	log.WarnContext(ctx, "SNS message is not a CloudWatch alarm notification: nobody is notified", slog.String("parse_error", err.Error()))
	return Event{}, false, nil
}

func (h *Handler) opsEvent(ctx context.Context, a alarmevent.Alarm, msgID string, log *slog.Logger) (Event, bool, error) {
	log = log.With(slog.String("alarm_name", a.Name), slog.String("new_state", a.NewState), slog.String("old_state", a.OldState))
	ev := opsEvent(a.OldState, a.NewState)
	if ev == "" {
		log.InfoContext(ctx, "ops alarm state change notifies nobody")
		return Event{}, false, nil
	}
	return Event{
		Event: ev, State: a.NewState, PreviousState: a.OldState, Kind: KindOps,
		AlarmName: a.Name, AlarmURL: AlarmURL(h.cfg.ConsoleURL, h.cfg.Region, a.Name),
		Description: a.Description, Reason: a.Reason, ChangedAt: a.StateChangeTime,
		Region: h.cfg.Region, MessageID: msgID,
	}, true, nil
}

// targetEvent decides a target alarm's state change (docs/design.md, "Notifier"):
//   - an ALARM is told unless the target was muted at the state change's time (target.Target.Muted, the
//     rule the alarm logger records as "muted");
//   - a recovery (ALARM to OK, or INSUFFICIENT_DATA to OK right after ALARM to INSUFFICIENT_DATA) is told
//     when the ALARM it ends was told: that ALARM's record in the history is not "muted". So a DOWN told
//     before a mute still gets its RECOVERED during the mute (a PagerDuty incident is resolved), and an
//     ALARM that began muted gets none after it. Only when the history cannot say (the read failed, or
//     the ALARM is not in the pages read) is the recovery judged by the mute at its own time;
//   - any other INSUFFICIENT_DATA to OK is a new alarm's first evaluation: nobody.
func (h *Handler) targetEvent(ctx context.Context, c alarmevent.StateChange, msgID string, log *slog.Logger) (Event, bool, error) {
	log = log.With(slog.String("target_id", c.TargetID), slog.String("alarm_name", c.AlarmName),
		slog.String("new_state", c.NewState), slog.String("old_state", c.OldState))
	if why := h.route.Silenced(c.Kind); why != "" {
		log.InfoContext(ctx, why)
		return Event{}, false, nil
	}
	ev, maybeRecovery := h.route.TargetEvent(c.Kind, c.OldState, c.NewState)
	if ev == "" && !maybeRecovery {
		log.InfoContext(ctx, "alarm state change notifies nobody")
		return Event{}, false, nil
	}
	t, err := h.targets.Get(ctx, c.TargetID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		log.InfoContext(ctx, "the alarm's target no longer exists: nobody is notified")
		return Event{}, false, nil
	case err != nil:
		return Event{}, false, fmt.Errorf("read target %s: %w", c.TargetID, err)
	}
	mutedAtChange := t.Muted(c.StateChangeTime)
	muteAttrs := func() []any {
		return []any{slog.Time("muted_until", *t.MutedUntil), slog.String("mute_reason", t.MuteReason)}
	}
	e := Event{
		Event: ev, State: c.NewState, PreviousState: c.OldState, Kind: c.Kind,
		AlarmName: c.AlarmName, AlarmURL: AlarmURL(h.cfg.ConsoleURL, h.cfg.Region, c.AlarmName),
		Reason: c.Reason, ChangedAt: c.StateChangeTime, Region: h.cfg.Region, MessageID: msgID,
		Target: &t, LastCheck: t.LastCheck, Verdict: h.verdictFacts(c),
	}
	if ev != EventRecovered && !maybeRecovery {
		if mutedAtChange {
			log.InfoContext(ctx, "target is muted: nobody is notified", muteAttrs()...)
			return Event{}, false, nil
		}
		return e, true, nil
	}

	past, err := h.past(ctx, c, msgID)
	switch {
	case err != nil && maybeRecovery:
		return Event{}, false, fmt.Errorf("decide whether %s recovered: %w", c.AlarmName, err)
	case err == nil && maybeRecovery && !past.insufficientAfterAlarm:
		log.InfoContext(ctx, "first evaluation of the alarm (not a recovery): nobody is notified")
		return Event{}, false, nil
	case err == nil && past.alarmFound && past.alarmMuted:
		log.InfoContext(ctx, "the alarm began while the target was muted: nobody was told, so nobody is told of its end")
		return Event{}, false, nil
	case err == nil && past.alarmFound:
		if mutedAtChange || t.Muted(h.now()) {
			log.InfoContext(ctx, "target is muted, but the alarm that ends was told: its recovery is told", muteAttrs()...)
		}
		e.Event, e.Since = EventRecovered, past.alarmSince
		return e, true, nil
	}
	// The history does not say whether the ALARM was told: judge the recovery by its own time.
	if err != nil {
		log.WarnContext(ctx, "reading the alarm history failed: the recovery is judged by the mute at its time and sent without its start", slog.Any("error", err))
	} else {
		log.InfoContext(ctx, "the alarm's ALARM is not in the history read: the recovery is judged by the mute at its time")
	}
	if mutedAtChange {
		log.InfoContext(ctx, "target is muted: nobody is notified", muteAttrs()...)
		return Event{}, false, nil
	}
	e.Event = EventRecovered
	return e, true, nil
}

// past is what the history says about an alarm before a state change.
type past struct {
	// insufficientAfterAlarm: the alarm's previous change was ALARM to INSUFFICIENT_DATA, so an
	// INSUFFICIENT_DATA to OK change ends an alarm people were told about.
	insufficientAfterAlarm bool
	alarmFound             bool      // the alarm's last ALARM is in the history read
	alarmSince             time.Time // when that ALARM began
	alarmMuted             bool      // that ALARM was recorded muted: nobody was told of it
}

// past reads the target's history, newest first, for the alarm's changes before c (other than the
// message itself, which the alarm logger may have recorded already), until its last ALARM.
func (h *Handler) past(ctx context.Context, c alarmevent.StateChange, msgID string) (past, error) {
	var p past
	first := true
	token := ""
	for range historyPages {
		page, err := h.history.History(ctx, c.TargetID, store.MaxPageSize, token)
		if err != nil {
			return past{}, err
		}
		for _, r := range page.Items {
			if r.AlarmName != c.AlarmName || r.MessageID == msgID {
				continue
			}
			at, err := time.Parse(time.RFC3339Nano, r.StateChangeTime)
			if err != nil || !at.Before(c.StateChangeTime) {
				continue
			}
			if first {
				p.insufficientAfterAlarm = r.NewState == alarmevent.StateInsufficientData && r.OldState == alarmevent.StateAlarm
				first = false
			}
			if r.NewState == alarmevent.StateAlarm {
				p.alarmFound, p.alarmSince, p.alarmMuted = true, at.UTC(), r.Muted
				return p, nil
			}
		}
		if page.NextToken == "" {
			break
		}
		token = page.NextToken
	}
	return p, nil
}

// verdictFacts are the regions' facts of a verdict or degraded alarm's change (nil for the other kinds):
// the environment's regions and quorum, and for a verdict ALARM the RegionsDown of its newest datapoint.
func (h *Handler) verdictFacts(c alarmevent.StateChange) *VerdictFacts {
	if c.Kind != contract.AlarmKindVerdict && c.Kind != contract.AlarmKindDegraded {
		return nil
	}
	v := &VerdictFacts{Regions: len(h.cfg.Regions.Regions), Quorum: h.cfg.Regions.Quorum}
	if n, ok := c.NewestDatapoint(); ok && c.Kind == contract.AlarmKindVerdict && c.NewState == alarmevent.StateAlarm &&
		n >= 1 && n <= float64(v.Regions) && n == float64(int(n)) {
		v.Down = int(n)
	}
	return v
}

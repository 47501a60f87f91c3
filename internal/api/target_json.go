package api

import (
	"time"

	"github.com/webhealth/webhealth/internal/target"
)

// targetJSON is a target as the API answers it (docs/design.md, "Target"): target.Target, with its
// times shadowed by textTime. encoding/json re-scans what a json.Marshaler such as time.Time returns;
// a TextMarshaler's output is only quoted. A field added to the model is answered without a change here.
type targetJSON struct {
	target.Target
	CreatedAt  textTime       `json:"created_at"`
	UpdatedAt  textTime       `json:"updated_at"`
	LastCheck  *lastCheckJSON `json:"last_check,omitempty"`
	MutedUntil *textTime      `json:"muted_until"` // null when not muted
}

// lastCheckJSON is target.LastCheck as the API answers it, its time shadowed likewise.
type lastCheckJSON struct {
	target.LastCheck
	CheckedAt textTime `json:"checked_at"`
}

// textTime encodes a time as time.Time's JSON does (RFC 3339 with nanoseconds, quoted), through
// encoding.TextMarshaler.
type textTime time.Time

func (t textTime) MarshalText() ([]byte, error) { return time.Time(t).MarshalText() }

func targetBody(t target.Target) targetJSON { return toTargetJSON(t, new(lastCheckJSON)) }

// toTargetJSON converts t; its last_check, if any, is written to check.
func toTargetJSON(t target.Target, check *lastCheckJSON) targetJSON {
	out := targetJSON{Target: t, CreatedAt: textTime(t.CreatedAt), UpdatedAt: textTime(t.UpdatedAt)}
	if t.MutedUntil != nil {
		out.MutedUntil = (*textTime)(t.MutedUntil)
	}
	if c := t.LastCheck; c != nil {
		*check = lastCheckJSON{LastCheck: *c, CheckedAt: textTime(c.CheckedAt)}
		out.LastCheck = check
	}
	return out
}

// targetsBody converts a page of targets (their last checks in one allocation); nil stays nil
// (listReply answers []).
func targetsBody(ts []target.Target) []targetJSON {
	if ts == nil {
		return nil
	}
	out := make([]targetJSON, len(ts))
	checks := make([]lastCheckJSON, len(ts))
	for i := range ts {
		out[i] = toTargetJSON(ts[i], &checks[i])
	}
	return out
}

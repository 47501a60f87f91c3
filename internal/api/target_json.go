package api

import (
	"encoding/json"
	"time"

	"github.com/webhealth/webhealth/internal/target"
	"github.com/webhealth/webhealth/internal/verdict"
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
	// Regions are each region's latest check (GET /urls/{id} only); Status the verdict of them (GET
	// /urls/{id} and the items of GET /urls). Absent from the answers of writes.
	Regions regionsJSON    `json:"regions,omitempty"`
	Status  verdict.Status `json:"status,omitempty"`
}

// regionJSON is one region's latest check as GET /urls/{id} answers it: last_check null when it has none.
type regionJSON struct {
	region    string
	LastCheck *lastCheckJSON `json:"last_check"`
	Stale     bool           `json:"stale"`
}

// regionsJSON is an object keyed by region, in REGIONS order (a Go map would sort its keys).
type regionsJSON []regionJSON

// MarshalJSON writes {"<region>": {"last_check": ..., "stale": ...}, ...} in order.
func (rs regionsJSON) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, r := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		key, err := json.Marshal(r.region)
		if err != nil {
			return nil, err
		}
		val, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, key...), ':'), val...)
	}
	return append(b, '}'), nil
}

// regionsBody converts a verdict's region checks.
func regionsBody(rcs []verdict.RegionCheck) regionsJSON {
	out := make(regionsJSON, len(rcs))
	for i, rc := range rcs {
		out[i] = regionJSON{region: rc.Region, Stale: rc.Stale}
		if rc.Check != nil {
			out[i].LastCheck = &lastCheckJSON{LastCheck: *rc.Check, CheckedAt: textTime(rc.Check.CheckedAt)}
		}
	}
	return out
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

package api

import (
	"time"

	"github.com/webhealth/webhealth/internal/target"
)

// targetJSON is a target as the API answers it (docs/design.md, "Target"): the fields, names and order
// of target.Target's JSON, with the times encoded as text. encoding/json re-scans and compacts what a
// json.Marshaler returns (time.Time is one; that was 40% of the time encoding a page of targets took
// in the profile); a TextMarshaler's output is only quoted. TestTargetJSONMatchesTarget pins the bytes to json.Marshal of
// target.Target, every field set, so a field added there and not here fails it.
type targetJSON struct {
	ID                 string         `json:"id"`
	URL                string         `json:"url"`
	Name               string         `json:"name"`
	Enabled            bool           `json:"enabled"`
	ExpectedStatus     []int          `json:"expected_status"`
	LatencyThresholdMS int            `json:"latency_threshold_ms"`
	TimeoutMS          int            `json:"timeout_ms"`
	Method             string         `json:"method"`
	BodyContains       string         `json:"body_contains"`
	CreatedAt          textTime       `json:"created_at"`
	UpdatedAt          textTime       `json:"updated_at"`
	Version            int64          `json:"version"`
	LastCheck          *lastCheckJSON `json:"last_check,omitempty"`
}

// lastCheckJSON is target.LastCheck as the API answers it.
type lastCheckJSON struct {
	CheckedAt         textTime `json:"checked_at"`
	Available         bool     `json:"available"`
	StatusCode        int      `json:"status_code,omitempty"`
	LatencyMS         float64  `json:"latency_ms"`
	DNSMS             float64  `json:"dns_ms"`
	ConnectMS         float64  `json:"connect_ms"`
	TLSMS             float64  `json:"tls_ms"`
	TTFBMS            float64  `json:"ttfb_ms"`
	CertDaysRemaining *int     `json:"cert_days_remaining,omitempty"`
	Attempts          int      `json:"attempts"`
	Error             string   `json:"error,omitempty"`
}

// textTime encodes a time as time.Time's JSON does (RFC 3339 with nanoseconds, quoted), through
// encoding.TextMarshaler.
type textTime time.Time

func (t textTime) MarshalText() ([]byte, error) { return time.Time(t).MarshalText() }

func targetBody(t target.Target) targetJSON { return toTargetJSON(t, new(lastCheckJSON)) }

// toTargetJSON converts t; its last_check, if any, is written to check.
func toTargetJSON(t target.Target, check *lastCheckJSON) targetJSON {
	out := targetJSON{
		ID:                 t.ID,
		URL:                t.URL,
		Name:               t.Name,
		Enabled:            t.Enabled,
		ExpectedStatus:     t.ExpectedStatus,
		LatencyThresholdMS: t.LatencyThresholdMS,
		TimeoutMS:          t.TimeoutMS,
		Method:             t.Method,
		BodyContains:       t.BodyContains,
		CreatedAt:          textTime(t.CreatedAt),
		UpdatedAt:          textTime(t.UpdatedAt),
		Version:            t.Version,
	}
	if c := t.LastCheck; c != nil {
		*check = lastCheckJSON{
			CheckedAt:         textTime(c.CheckedAt),
			Available:         c.Available,
			StatusCode:        c.StatusCode,
			LatencyMS:         c.LatencyMS,
			DNSMS:             c.DNSMS,
			ConnectMS:         c.ConnectMS,
			TLSMS:             c.TLSMS,
			TTFBMS:            c.TTFBMS,
			CertDaysRemaining: c.CertDaysRemaining,
			Attempts:          c.Attempts,
			Error:             c.Error,
		}
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

package target

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Resolve validates spec against the rules and returns the target fields with defaults applied.
// The returned Target has no ID, timestamps or version: the store assigns those.
// urlPolicy checks literal-IP hosts (see CheckURL); now is the time of the write, which a mute must
// end after and at most MaxMuteDuration after.
func Resolve(spec Spec, urlPolicy AddrChecker, now time.Time) (Target, error) {
	var t Target
	u, err := CheckURL(spec.URL, urlPolicy)
	if err != nil {
		return Target{}, err
	}
	t.URL = u.String()

	t.Name = DisplayHost(u)
	if spec.Name != nil {
		name, err := checkText("name", *spec.Name, MaxNameLength)
		if err != nil {
			return Target{}, err
		}
		if name != "" {
			t.Name = name
		}
	}

	t.Enabled = true
	if spec.Enabled != nil {
		t.Enabled = *spec.Enabled
	}

	t.ExpectedStatus = []int{DefaultExpectedStatus}
	if spec.ExpectedStatus != nil {
		if len(spec.ExpectedStatus) == 0 || len(spec.ExpectedStatus) > MaxExpectedStatus {
			return Target{}, invalid("expected_status", "must list 1 to %d status codes", MaxExpectedStatus)
		}
		codes := slices.Clone(spec.ExpectedStatus)
		for _, c := range codes {
			if c < 100 || c > 599 {
				return Target{}, invalid("expected_status", "%d is not an HTTP status code (100-599)", c)
			}
		}
		slices.Sort(codes)
		t.ExpectedStatus = slices.Compact(codes)
	}

	t.TimeoutMS = DefaultTimeoutMS
	if spec.TimeoutMS != nil {
		if *spec.TimeoutMS < MinTimeoutMS || *spec.TimeoutMS > MaxTimeoutMS {
			return Target{}, invalid("timeout_ms", "must be between %d and %d", MinTimeoutMS, MaxTimeoutMS)
		}
		t.TimeoutMS = *spec.TimeoutMS
	}

	t.LatencyThresholdMS = DefaultLatencyThresholdMS
	if spec.LatencyThresholdMS != nil {
		if *spec.LatencyThresholdMS < MinLatencyThresholdMS || *spec.LatencyThresholdMS > MaxLatencyThresholdMS {
			return Target{}, invalid("latency_threshold_ms", "must be between %d and %d", MinLatencyThresholdMS, MaxLatencyThresholdMS)
		}
		t.LatencyThresholdMS = *spec.LatencyThresholdMS
	}
	if t.LatencyThresholdMS > t.TimeoutMS {
		return Target{}, invalid("latency_threshold_ms", "must not exceed timeout_ms (%d)", t.TimeoutMS)
	}

	t.Method = DefaultMethod
	if spec.Method != nil {
		m := strings.ToUpper(strings.TrimSpace(*spec.Method))
		if m != "GET" && m != "HEAD" {
			return Target{}, invalid("method", "must be GET or HEAD")
		}
		t.Method = m
	}

	if spec.BodyContains != nil {
		bc := *spec.BodyContains
		switch {
		case len(bc) > MaxBodyContainsLength:
			return Target{}, invalid("body_contains", "must be at most %d bytes", MaxBodyContainsLength)
		case bc != "" && t.Method == "HEAD":
			return Target{}, invalid("body_contains", "cannot be checked with method HEAD, which has no body")
		}
		t.BodyContains = bc
	}

	if err := resolveMute(spec, now, &t); err != nil {
		return Target{}, err
	}
	if d := spec.CertExpiryThresholdDays; d != nil {
		if *d < MinCertExpiryDays || *d > MaxCertExpiryDays {
			return Target{}, invalid("cert_expiry_threshold_days", "must be between %d and %d days, or null for the environment's default", MinCertExpiryDays, MaxCertExpiryDays)
		}
		t.CertExpiryThresholdDays = new(*d)
	}
	return t, nil
}

// resolveMute sets muted_until (UTC) and mute_reason. A mute must end in the future and at most
// MaxMuteDuration from now, so a forgotten one ends by itself; a reason without a mute is refused
// rather than kept with nothing to explain.
func resolveMute(spec Spec, now time.Time, t *Target) error {
	if spec.MutedUntil != nil {
		until, err := time.Parse(time.RFC3339, *spec.MutedUntil)
		if err != nil {
			return invalid("muted_until", "%q is not an RFC 3339 time such as 2026-11-21T18:00:00Z", *spec.MutedUntil)
		}
		until = until.UTC()
		switch {
		case !until.After(now):
			return invalid("muted_until", "%s is not in the future (now is %s); send null to unmute",
				until.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
		case until.After(now.Add(MaxMuteDuration)):
			return invalid("muted_until", "%s is more than %d days ahead; mute until %s at the latest",
				until.Format(time.RFC3339), int(MaxMuteDuration/(24*time.Hour)), now.Add(MaxMuteDuration).UTC().Format(time.RFC3339))
		}
		t.MutedUntil = &until
	}
	if spec.MuteReason != nil {
		reason, err := checkText("mute_reason", *spec.MuteReason, MaxMuteReasonLength)
		if err != nil {
			return err
		}
		if reason != "" && t.MutedUntil == nil {
			return invalid("mute_reason", "is allowed only with muted_until")
		}
		t.MuteReason = reason
	}
	return nil
}

// checkText returns a name or a mute reason (field) trimmed, or why it is refused: at most maxLen
// characters. Both reach alarm descriptions, notifications and logs, so they may not carry what
// changes how the text around them reads: control characters (C0, DEL, C1: NUL, ESC, CR, LF, TAB...),
// line and paragraph separators, and the bidi embeddings, overrides and isolates. The bidi marks
// (U+200E, U+200F, U+061C) stay allowed: they only set the direction of neighbouring neutral
// characters, and mixed-script names need them. Other format characters (ZWJ in emoji and scripts)
// are allowed too.
func checkText(field, raw string, maxLen int) (string, error) {
	if !utf8.ValidString(raw) {
		return "", invalid(field, "must be valid UTF-8")
	}
	name := strings.TrimSpace(raw)
	if utf8.RuneCountInString(name) > maxLen {
		return "", invalid(field, "must be at most %d characters", maxLen)
	}
	// Positions count characters of the name as sent, from 1.
	pos := utf8.RuneCountInString(raw[:len(raw)-len(strings.TrimLeftFunc(raw, unicode.IsSpace))])
	for _, r := range name {
		pos++
		if what := refusedInName(r); what != "" {
			return "", invalid(field, "must not contain %s: %U at character %d", what, r, pos)
		}
	}
	return name, nil
}

// refusedInName says what kind of character r is when a name may not carry it, else "".
func refusedInName(r rune) string {
	switch {
	case unicode.IsControl(r):
		return "control characters"
	case r == '\u2028' || r == '\u2029':
		return "line or paragraph separators"
	case (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069'):
		return "bidirectional embedding, override or isolate characters"
	}
	return ""
}

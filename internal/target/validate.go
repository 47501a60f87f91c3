package target

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Resolve validates spec against the rules and returns the target fields with defaults applied.
// The returned Target has no ID, timestamps or version: the store assigns those.
// urlPolicy checks literal-IP hosts (see CheckURL).
func Resolve(spec Spec, urlPolicy AddrChecker) (Target, error) {
	var t Target
	u, err := CheckURL(spec.URL, urlPolicy)
	if err != nil {
		return Target{}, err
	}
	t.URL = u.String()

	t.Name = DisplayHost(u)
	if spec.Name != nil {
		name, err := checkName(*spec.Name)
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
	return t, nil
}

// checkName returns the name trimmed, or why it is refused. A name reaches alarm descriptions,
// notifications and logs, so it may not carry what changes how the text around it reads: control
// characters (C0, DEL, C1: NUL, ESC, CR, LF, TAB...), line and paragraph separators, and the bidi
// embeddings, overrides and isolates. The bidi marks (U+200E, U+200F, U+061C) stay allowed: they
// only set the direction of neighbouring neutral characters, and mixed-script names need them.
// Other format characters (ZWJ in emoji and scripts) are allowed too.
func checkName(raw string) (string, error) {
	if !utf8.ValidString(raw) {
		return "", invalid("name", "must be valid UTF-8")
	}
	name := strings.TrimSpace(raw)
	if utf8.RuneCountInString(name) > MaxNameLength {
		return "", invalid("name", "must be at most %d characters", MaxNameLength)
	}
	// Positions count characters of the name as sent, from 1.
	pos := utf8.RuneCountInString(raw[:len(raw)-len(strings.TrimLeftFunc(raw, unicode.IsSpace))])
	for _, r := range name {
		pos++
		if what := refusedInName(r); what != "" {
			return "", invalid("name", "must not contain %s: %U at character %d", what, r, pos)
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

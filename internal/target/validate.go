package target

import (
	"slices"
	"strings"
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

	t.Name = u.Hostname()
	if spec.Name != nil {
		name := strings.TrimSpace(*spec.Name)
		switch {
		case !utf8.ValidString(name):
			return Target{}, invalid("name", "must be valid UTF-8")
		case utf8.RuneCountInString(name) > MaxNameLength:
			return Target{}, invalid("name", "must be at most %d characters", MaxNameLength)
		case name != "":
			t.Name = name
		}
	}

	t.Enabled = true
	if spec.Enabled != nil {
		t.Enabled = *spec.Enabled
	}

	t.ExpectedStatus = []int{200}
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

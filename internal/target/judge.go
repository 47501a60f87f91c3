package target

import (
	"fmt"
	"slices"
	"strings"
)

// Judge is the verdict on t from what a check observed: available when a complete response arrived
// whose status is expected and whose body holds body_contains (when set); otherwise Error says why.
// It is pure: the same target and observation always give the same LastCheck.
func Judge(t Target, o Observation) LastCheck {
	lc := LastCheck{
		CheckedAt: o.CheckedAt, StatusCode: o.StatusCode,
		LatencyMS: o.LatencyMS, DNSMS: o.DNSMS, ConnectMS: o.ConnectMS, TLSMS: o.TLSMS, TTFBMS: o.TTFBMS,
		CertDaysRemaining: o.CertDaysRemaining, Attempts: o.Attempts,
	}
	expected := t.ExpectedStatus
	if len(expected) == 0 {
		expected = []int{DefaultExpectedStatus}
	}
	switch {
	case o.Failure != FailureNone:
		lc.Error = o.FailureText
		if strings.TrimSpace(lc.Error) == "" {
			lc.Error = "check failed: " + string(o.Failure)
		}
	case o.StatusCode == 0:
		lc.Error = "no response"
	case !slices.Contains(expected, o.StatusCode):
		lc.Error = fmt.Sprintf("status %d not in expected %v", o.StatusCode, expected)
	case t.BodyContains != "" && !o.BodyFound:
		lc.Error = fmt.Sprintf("body does not contain %q (searched the first %d bytes)", t.BodyContains, o.BodyBytes)
	default:
		lc.Available = true
	}
	if !lc.Available && o.Interrupted() {
		lc.Error += " (" + o.Interruption + ")"
	}
	return lc
}

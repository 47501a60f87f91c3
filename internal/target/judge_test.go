package target

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestJudge(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 21, 10, 1, 0, 0, time.UTC)
	days := 30
	base := Target{ID: "0f8fad5bd9cb469fa16570867728950e", URL: "https://example.com/", ExpectedStatus: []int{200}, Method: "GET"}
	seen := Observation{CheckedAt: at, StatusCode: 200, LatencyMS: 42.5, DNSMS: 1, ConnectMS: 2, TLSMS: 3, TTFBMS: 20,
		CertDaysRemaining: &days, BodyBytes: 512, Attempts: 1}
	with := func(mods ...func(*Observation)) Observation {
		o := seen
		for _, m := range mods {
			m(&o)
		}
		return o
	}
	target := func(mods ...func(*Target)) Target {
		tg := base
		for _, m := range mods {
			m(&tg)
		}
		return tg
	}
	tests := []struct {
		name      string
		target    Target
		obs       Observation
		available bool
		err       string
	}{
		{name: "expected status", target: base, obs: seen, available: true},
		{name: "unexpected status", target: base, obs: with(func(o *Observation) { o.StatusCode = 503 }), err: "status 503 not in expected [200]"},
		{name: "one of several expected", target: target(func(t *Target) { t.ExpectedStatus = []int{200, 503} }),
			obs: with(func(o *Observation) { o.StatusCode = 503 }), available: true},
		{name: "several expected, none seen", target: target(func(t *Target) { t.ExpectedStatus = []int{200, 204} }),
			obs: with(func(o *Observation) { o.StatusCode = 404 }), err: "status 404 not in expected [200 204]"},
		{name: "no expected status: 200 by default", target: target(func(t *Target) { t.ExpectedStatus = nil }), obs: seen, available: true},
		{name: "no expected status, 204 seen", target: target(func(t *Target) { t.ExpectedStatus = nil }),
			obs: with(func(o *Observation) { o.StatusCode = 204 }), err: "status 204 not in expected [200]"},
		{name: "body_contains found", target: target(func(t *Target) { t.BodyContains = "ok" }),
			obs: with(func(o *Observation) { o.BodyFound = true }), available: true},
		{name: "body_contains missing", target: target(func(t *Target) { t.BodyContains = "ok" }), obs: seen,
			err: `body does not contain "ok" (searched the first 512 bytes)`},
		{name: "a found flag without body_contains changes nothing", target: base, obs: with(func(o *Observation) { o.BodyFound = true }), available: true},
		{name: "status judged before the body", target: target(func(t *Target) { t.BodyContains = "ok" }),
			obs: with(func(o *Observation) { o.StatusCode = 500 }), err: "status 500 not in expected [200]"},
		{name: "transport failure", target: base,
			obs: Observation{CheckedAt: at, Failure: FailureConnect, FailureText: "dial tcp 127.0.0.1:1: connect: connection refused", Attempts: 2},
			err: "dial tcp 127.0.0.1:1: connect: connection refused"},
		{name: "failure with the last response kept", target: base,
			obs: with(func(o *Observation) {
				o.StatusCode, o.Failure, o.FailureText = 302, FailureRedirects, "stopped after 5 redirects (the limit)"
			}),
			err: "stopped after 5 redirects (the limit)"},
		{name: "failure without text", target: base, obs: Observation{Failure: FailureTLS}, err: "check failed: tls"},
		{name: "no response and no failure", target: base, obs: Observation{CheckedAt: at}, err: "no response"},
		{name: "interrupted down check says so", target: base,
			obs: with(func(o *Observation) {
				o.StatusCode, o.Interruption = 503, "retry skipped: no time left before the caller's deadline"
			}),
			err: "status 503 not in expected [200] (retry skipped: no time left before the caller's deadline)"},
		{name: "interrupted timeout", target: base,
			obs: Observation{Failure: FailureTimeout, FailureText: "timeout after 30000ms", Interruption: "check interrupted by the caller's deadline"},
			err: "timeout after 30000ms (check interrupted by the caller's deadline)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Judge(tc.target, tc.obs)
			assert.Equal(t, LastCheck{
				CheckedAt: tc.obs.CheckedAt, Available: tc.available, StatusCode: tc.obs.StatusCode, LatencyMS: tc.obs.LatencyMS,
				DNSMS: tc.obs.DNSMS, ConnectMS: tc.obs.ConnectMS, TLSMS: tc.obs.TLSMS, TTFBMS: tc.obs.TTFBMS,
				CertDaysRemaining: tc.obs.CertDaysRemaining, Attempts: tc.obs.Attempts, Error: tc.err,
			}, got)
		})
	}
}

// FuzzJudge: Judge never panics, is available exactly when it gives no error (and then the check
// failed in no way and its status is an expected one), and a down verdict always says why.
func FuzzJudge(f *testing.F) {
	f.Add(200, "200,204", "", false, int64(0), "", "", "")
	f.Add(503, "200", "ok", true, int64(10), "", "", "retry skipped")
	f.Add(0, "", "", false, int64(0), "connect", "", "")
	f.Add(302, "302", "x", false, int64(5), "redirects", "stopped after 5 redirects (the limit)", "")
	f.Fuzz(func(t *testing.T, status int, expected, bodyContains string, found bool, bodyBytes int64, failure, failureText, interruption string) {
		var codes []int
		for _, c := range strings.Split(expected, ",") {
			n := 0
			for _, r := range c {
				n = n*10 + int(r%10)
			}
			if c != "" {
				codes = append(codes, n)
			}
		}
		tg := Target{ExpectedStatus: codes, BodyContains: bodyContains}
		o := Observation{StatusCode: status, BodyFound: found, BodyBytes: bodyBytes, Failure: Failure(failure),
			FailureText: failureText, Interruption: interruption, Attempts: 1}
		lc := Judge(tg, o)
		assert.Equal(t, lc.Available, lc.Error == "", "available iff there is no error: %+v", lc)
		if lc.Available {
			assert.Equal(t, FailureNone, o.Failure)
			want := codes
			if len(want) == 0 {
				want = []int{DefaultExpectedStatus}
			}
			assert.True(t, slices.Contains(want, status), "available with status %d not in %v", status, want)
			assert.True(t, bodyContains == "" || found)
		} else {
			assert.NotEmpty(t, strings.TrimSpace(lc.Error), "a down verdict says why")
		}
		assert.Equal(t, status, lc.StatusCode)
		assert.Equal(t, lc, Judge(tg, o), "pure")
	})
}

package target

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/netguard"
)

func ptr[T any](v T) *T { return &v }

// testNow is the time of the writes in these tests.
var testNow = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func TestResolveDefaults(t *testing.T) {
	t.Parallel()
	got, err := Resolve(Spec{URL: "https://Example.com"}, netguard.New(false), testNow)
	require.NoError(t, err)
	assert.Equal(t, Target{
		URL:                "https://example.com/",
		Name:               "example.com",
		Enabled:            true,
		ExpectedStatus:     []int{200},
		LatencyThresholdMS: DefaultLatencyThresholdMS,
		TimeoutMS:          DefaultTimeoutMS,
		Method:             "GET",
	}, got)
}

func TestResolveExplicit(t *testing.T) {
	t.Parallel()
	got, err := Resolve(Spec{
		URL:                     "https://example.com/health",
		Name:                    ptr("  Health  "),
		Enabled:                 ptr(false),
		ExpectedStatus:          []int{204, 200, 204},
		LatencyThresholdMS:      ptr(250),
		TimeoutMS:               ptr(500),
		Method:                  ptr("head"),
		BodyContains:            ptr(""),
		MutedUntil:              ptr("2026-11-21T12:30:00+01:00"),
		MuteReason:              ptr("  deploy window  "),
		CertExpiryThresholdDays: ptr(30),
	}, nil, testNow)
	require.NoError(t, err)
	assert.Equal(t, "Health", got.Name)
	assert.False(t, got.Enabled)
	assert.Equal(t, []int{200, 204}, got.ExpectedStatus, "sorted, duplicates dropped")
	assert.Equal(t, 250, got.LatencyThresholdMS)
	assert.Equal(t, 500, got.TimeoutMS)
	assert.Equal(t, "HEAD", got.Method)
	require.NotNil(t, got.MutedUntil)
	assert.Equal(t, time.Date(2026, 11, 21, 11, 30, 0, 0, time.UTC), *got.MutedUntil, "in UTC")
	assert.Equal(t, time.UTC, got.MutedUntil.Location())
	assert.Equal(t, "deploy window", got.MuteReason, "trimmed like a name")
	assert.Equal(t, ptr(30), got.CertExpiryThresholdDays)
}

func TestResolveMute(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		until      *string
		reason     *string
		wantUntil  *time.Time
		wantReason string
	}{
		{name: "absent: not muted"},
		{name: "one second ahead", until: ptr("2026-11-21T10:00:01Z"), wantUntil: ptr(testNow.Add(time.Second))},
		{name: "exactly 30 days ahead", until: ptr("2026-12-21T10:00:00Z"), wantUntil: ptr(testNow.Add(target30Days))},
		{name: "fractional seconds kept", until: ptr("2026-11-21T10:00:00.250Z"), wantUntil: ptr(testNow.Add(250 * time.Millisecond))},
		{name: "an offset is converted to UTC", until: ptr("2026-11-21T06:00:00-05:00"), wantUntil: ptr(testNow.Add(time.Hour))},
		{name: "with a reason", until: ptr("2026-11-22T00:00:00Z"), reason: ptr("db migration ✓"),
			wantUntil: ptr(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)), wantReason: "db migration ✓"},
		{name: "an empty reason alone is no reason", reason: ptr("  ")},
		{name: "reason of 256 characters", until: ptr("2026-11-22T00:00:00Z"), reason: ptr(strings.Repeat("é", MaxMuteReasonLength)),
			wantUntil: ptr(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)), wantReason: strings.Repeat("é", MaxMuteReasonLength)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Resolve(Spec{URL: "https://example.com/", MutedUntil: tc.until, MuteReason: tc.reason}, nil, testNow)
			require.NoError(t, err)
			assert.Equal(t, tc.wantUntil, got.MutedUntil)
			assert.Equal(t, tc.wantReason, got.MuteReason)
		})
	}
}

const target30Days = 30 * 24 * time.Hour

func TestMuted(t *testing.T) {
	t.Parallel()
	until := testNow.Add(time.Hour)
	tests := []struct {
		name  string
		until *time.Time
		at    time.Time
		want  bool
	}{
		{name: "not muted", at: testNow},
		{name: "before the end", until: &until, at: testNow, want: true},
		{name: "a nanosecond before the end", until: &until, at: until.Add(-time.Nanosecond), want: true},
		{name: "at the end: expired", until: &until, at: until},
		{name: "after the end", until: &until, at: until.Add(time.Minute)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg := Target{MutedUntil: tc.until}
			assert.Equal(t, tc.want, tg.Muted(tc.at))
		})
	}
}

func TestResolveRejects(t *testing.T) {
	t.Parallel()
	base := func(mut func(*Spec)) Spec {
		s := Spec{URL: "https://example.com/"}
		mut(&s)
		return s
	}
	cases := []struct {
		name  string
		spec  Spec
		field string
	}{
		{"long name", base(func(s *Spec) { s.Name = ptr(strings.Repeat("n", MaxNameLength+1)) }), "name"},
		{"empty expected", base(func(s *Spec) { s.ExpectedStatus = []int{} }), "expected_status"},
		{"too many expected", base(func(s *Spec) { s.ExpectedStatus = make([]int, MaxExpectedStatus+1) }), "expected_status"},
		{"status 99", base(func(s *Spec) { s.ExpectedStatus = []int{99} }), "expected_status"},
		{"status 600", base(func(s *Spec) { s.ExpectedStatus = []int{200, 600} }), "expected_status"},
		{"timeout low", base(func(s *Spec) { s.TimeoutMS = ptr(MinTimeoutMS - 1) }), "timeout_ms"},
		{"timeout high", base(func(s *Spec) { s.TimeoutMS = ptr(MaxTimeoutMS + 1) }), "timeout_ms"},
		{"threshold zero", base(func(s *Spec) { s.LatencyThresholdMS = ptr(0) }), "latency_threshold_ms"},
		{"threshold high", base(func(s *Spec) { s.LatencyThresholdMS = ptr(MaxLatencyThresholdMS + 1) }), "latency_threshold_ms"},
		{"threshold over timeout", base(func(s *Spec) { s.LatencyThresholdMS = ptr(2000); s.TimeoutMS = ptr(1000) }), "latency_threshold_ms"},
		{"method", base(func(s *Spec) { s.Method = ptr("POST") }), "method"},
		{"body too long", base(func(s *Spec) { s.BodyContains = ptr(strings.Repeat("b", MaxBodyContainsLength+1)) }), "body_contains"},
		{"body with head", base(func(s *Spec) { s.Method = ptr("HEAD"); s.BodyContains = ptr("ok") }), "body_contains"},
		{"muted until now", base(func(s *Spec) { s.MutedUntil = ptr("2026-11-21T10:00:00Z") }), "muted_until"},
		{"muted until the past", base(func(s *Spec) { s.MutedUntil = ptr("2026-11-20T10:00:00Z") }), "muted_until"},
		{"muted a second over 30 days", base(func(s *Spec) { s.MutedUntil = ptr("2026-12-21T10:00:01Z") }), "muted_until"},
		{"muted until not a time", base(func(s *Spec) { s.MutedUntil = ptr("tomorrow") }), "muted_until"},
		{"muted until without a zone", base(func(s *Spec) { s.MutedUntil = ptr("2026-11-22T10:00:00") }), "muted_until"},
		{"muted until empty", base(func(s *Spec) { s.MutedUntil = ptr("") }), "muted_until"},
		{"reason without muted_until", base(func(s *Spec) { s.MuteReason = ptr("maintenance") }), "mute_reason"},
		{"reason too long", base(func(s *Spec) {
			s.MutedUntil, s.MuteReason = ptr("2026-11-22T10:00:00Z"), ptr(strings.Repeat("r", MaxMuteReasonLength+1))
		}), "mute_reason"},
		{"reason with a line break", base(func(s *Spec) {
			s.MutedUntil, s.MuteReason = ptr("2026-11-22T10:00:00Z"), ptr("ok\nSubject: forged")
		}), "mute_reason"},
		{"reason with a bidi override", base(func(s *Spec) {
			s.MutedUntil, s.MuteReason = ptr("2026-11-22T10:00:00Z"), ptr("a\u202eb")
		}), "mute_reason"},
		{"reason not UTF-8", base(func(s *Spec) { s.MutedUntil, s.MuteReason = ptr("2026-11-22T10:00:00Z"), ptr("\xff") }), "mute_reason"},
		{"cert threshold zero", base(func(s *Spec) { s.CertExpiryThresholdDays = ptr(0) }), "cert_expiry_threshold_days"},
		{"cert threshold 366", base(func(s *Spec) { s.CertExpiryThresholdDays = ptr(MaxCertExpiryDays + 1) }), "cert_expiry_threshold_days"},
		{"cert threshold negative", base(func(s *Spec) { s.CertExpiryThresholdDays = ptr(-14) }), "cert_expiry_threshold_days"},
		{"url", Spec{}, "url"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Resolve(tc.spec, nil, testNow)
			var fe *FieldError
			require.True(t, errors.As(err, &fe), "want a FieldError, got %v", err)
			assert.Equal(t, tc.field, fe.Field)
		})
	}
}

func TestResolveCertExpiryThreshold(t *testing.T) {
	t.Parallel()
	for _, days := range []int{MinCertExpiryDays, DefaultCertExpiryDays, MaxCertExpiryDays} {
		got, err := Resolve(Spec{URL: "https://example.com/", CertExpiryThresholdDays: &days}, nil, testNow)
		require.NoError(t, err, days)
		assert.Equal(t, &days, got.CertExpiryThresholdDays)
		assert.NotSame(t, &days, got.CertExpiryThresholdDays, "the target does not share the spec's memory")
	}
	got, err := Resolve(Spec{URL: "https://example.com/"}, nil, testNow)
	require.NoError(t, err)
	assert.Nil(t, got.CertExpiryThresholdDays, "absent: the environment's default")
}

// FuzzResolveMute: any muted_until either is refused on that field or becomes a UTC time after now and
// at most 30 days ahead; a reason is kept only with a mute.
func FuzzResolveMute(f *testing.F) {
	f.Add("2026-11-21T11:00:00Z", "deploy")
	f.Add("2026-12-21T10:00:00Z", "")
	f.Add("2026-11-21T10:00:00.000000001Z", "x")
	f.Add("9999-12-31T23:59:59+23:59", "")
	f.Add("2026-11-21T10:00:00-00:00", "\u202e")
	f.Fuzz(func(t *testing.T, until, reason string) {
		got, err := Resolve(Spec{URL: "https://example.com/", MutedUntil: &until, MuteReason: &reason}, nil, testNow)
		if err != nil {
			var fe *FieldError
			require.ErrorAs(t, err, &fe)
			require.Contains(t, []string{"muted_until", "mute_reason"}, fe.Field)
			return
		}
		require.NotNil(t, got.MutedUntil)
		require.Equal(t, time.UTC, got.MutedUntil.Location())
		require.True(t, got.MutedUntil.After(testNow), "%s", got.MutedUntil)
		require.False(t, got.MutedUntil.After(testNow.Add(MaxMuteDuration)), "%s", got.MutedUntil)
		require.True(t, got.Muted(testNow))
		require.Equal(t, strings.TrimSpace(reason), got.MuteReason)
	})
}

func TestIDs(t *testing.T) {
	t.Parallel()
	a, err := NewID()
	require.NoError(t, err)
	b, err := NewID()
	require.NoError(t, err)
	assert.NotEqual(t, a, b)
	assert.True(t, ValidID(a))
	for _, bad := range []string{"", "ABC", strings.Repeat("g", 32), strings.Repeat("A", 32), a + "0", a[:31], a[:31] + "\n",
		a[:31] + "/", a[:31] + ":", a[:31] + "`", "../" + a[3:]} {
		assert.False(t, ValidID(bad), bad)
	}
}

func BenchmarkResolve(b *testing.B) {
	policy := netguard.New(false)
	spec := Spec{URL: "HTTPS://Example.com:443/health?x=1#f", ExpectedStatus: []int{200, 204}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Resolve(spec, policy, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

package target

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/netguard"
)

func ptr[T any](v T) *T { return &v }

func TestResolveDefaults(t *testing.T) {
	t.Parallel()
	got, err := Resolve(Spec{URL: "https://Example.com"}, netguard.New(false))
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
		URL:                "https://example.com/health",
		Name:               ptr("  Health  "),
		Enabled:            ptr(false),
		ExpectedStatus:     []int{204, 200, 204},
		LatencyThresholdMS: ptr(250),
		TimeoutMS:          ptr(500),
		Method:             ptr("head"),
		BodyContains:       ptr(""),
	}, nil)
	require.NoError(t, err)
	assert.Equal(t, "Health", got.Name)
	assert.False(t, got.Enabled)
	assert.Equal(t, []int{200, 204}, got.ExpectedStatus, "sorted, duplicates dropped")
	assert.Equal(t, 250, got.LatencyThresholdMS)
	assert.Equal(t, 500, got.TimeoutMS)
	assert.Equal(t, "HEAD", got.Method)
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
		{"url", Spec{}, "url"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Resolve(tc.spec, nil)
			var fe *FieldError
			require.True(t, errors.As(err, &fe), "want a FieldError, got %v", err)
			assert.Equal(t, tc.field, fe.Field)
		})
	}
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
		if _, err := Resolve(spec, policy); err != nil {
			b.Fatal(err)
		}
	}
}

package target

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/netguard"
)

func ptr[T any](v T) *T { return &v }

func TestCheckURLNormalizes(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"https://example.com", "https://example.com/"},
		{"HTTPS://Example.COM:443/Path?q=1#frag", "https://example.com/Path?q=1"},
		{"http://example.com:80/a", "http://example.com/a"},
		{"http://example.com:443/a", "http://example.com:443/a"},
		{"https://example.com:80/a", "https://example.com:80/a"},
		{"https://example.com:8443", "https://example.com:8443/"},
		{"  https://example.com/x  ", "https://example.com/x"},
		{"http://[2606:2800:220:1::1]:80/", "http://[2606:2800:220:1::1]/"},
		{"https://例え.jp/", "https://%E4%BE%8B%E3%81%88.jp/"},
		{"https://example.com/a%20b", "https://example.com/a%20b"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := NormalizeURL(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestCheckURLRejects(t *testing.T) {
	t.Parallel()
	public := netguard.New(false)
	cases := []struct {
		name, in, msg string
	}{
		{"empty", "", "required"},
		{"too long", "https://example.com/" + strings.Repeat("a", MaxURLLength), "at most"},
		{"ftp", "ftp://example.com/", "scheme must be http or https"},
		{"no scheme", "example.com/path", "scheme must be http or https"},
		{"javascript", "javascript:alert(1)", "scheme must be http or https"},
		{"opaque", "http:example.com", "absolute"},
		{"no host", "https:///path", "must have a host"},
		{"userinfo", "https://user:pass@example.com/", "user information"},
		{"user only", "https://user@example.com/", "user information"},
		{"bad port", "https://example.com:99999/", "port"},
		{"zero port", "https://example.com:0/", "port"},
		{"space", "https://exa mple.com/", "spaces or control"},
		{"control", "https://example.com/\x00", "spaces or control"},
		{"loopback", "http://127.0.0.1/", "not allowed"},
		{"loopback v6", "http://[::1]:8080/", "not allowed"},
		{"private", "http://10.0.0.5/", "not allowed"},
		{"link-local", "http://169.254.1.1/", "not allowed"},
		{"metadata", "http://169.254.169.254/latest/meta-data/", "refused always"},
		{"metadata v6", "http://[fd00:ec2::254]/", "refused always"},
		{"zone", "http://[fe80::1%25eth0]/", "zone"},
		{"decimal ip", "http://2130706433/", "numeric address"},
		{"short ip", "http://127.1/", "numeric address"},
		{"hex ip", "http://0x7f.0.0.1/", "numeric address"},
		{"bad host char", "http://exa$mple.com/", "not allowed in a host name"},
		{"empty label", "http://example..com/", "empty label"},
		{"bad utf8", "https://example.com/\xff", "UTF-8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := CheckURL(tc.in, public)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalid)
			var fe *FieldError
			require.True(t, errors.As(err, &fe))
			assert.Equal(t, "url", fe.Field)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestCheckURLPrivateAllowed(t *testing.T) {
	t.Parallel()
	private := netguard.New(true)
	for _, in := range []string{"http://127.0.0.1:8080/health", "http://10.1.2.3/", "http://[::1]/"} {
		_, err := CheckURL(in, private)
		assert.NoError(t, err, in)
	}
	_, err := CheckURL("http://169.254.169.254/", private)
	assert.ErrorContains(t, err, "refused always", "metadata stays refused with private targets allowed")
}

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

func TestURLKeyStableAcrossSpellings(t *testing.T) {
	t.Parallel()
	a, err := NormalizeURL("HTTP://Example.com:80/x#top")
	require.NoError(t, err)
	b, err := NormalizeURL("http://example.com/x")
	require.NoError(t, err)
	assert.Equal(t, URLKey(a), URLKey(b))
	c, err := NormalizeURL("http://example.com/y")
	require.NoError(t, err)
	assert.NotEqual(t, URLKey(a), URLKey(c))
}

// FuzzCheckURL: whatever the input, a URL that passes is normalized idempotently, keeps an
// http(s) scheme and a host, carries no userinfo or fragment, and never names a refused literal address.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{
		"https://example.com", "HTTP://EXAMPLE.com:80/a#b", "http://[::1]/", "http://169.254.169.254/",
		"https://u:p@host/", "http://127.1/", "http://[fe80::1%25en0]/", "https://example.com:8443/p?q=1",
		"http://[::ffff:169.254.169.254]/", "http://0x7f.1/", "https://例え.jp/",
	} {
		f.Add(s)
	}
	policy := netguard.New(false)
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := CheckURL(raw, policy)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error not marked invalid: %v", err)
			}
			return
		}
		norm := u.String()
		if u.Scheme != "http" && u.Scheme != "https" {
			t.Fatalf("scheme %q passed", u.Scheme)
		}
		if u.Hostname() == "" || u.User != nil || u.Fragment != "" {
			t.Fatalf("bad normalized URL %q", norm)
		}
		if ip, err := netip.ParseAddr(u.Hostname()); err == nil {
			if policy.CheckAddr(ip) != nil {
				t.Fatalf("refused address %s passed", ip)
			}
		}
		again, err := CheckURL(norm, policy)
		if err != nil {
			t.Fatalf("normalized %q no longer valid: %v", norm, err)
		}
		if again.String() != norm {
			t.Fatalf("normalization not idempotent: %q -> %q", norm, again.String())
		}
	})
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

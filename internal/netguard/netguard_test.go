package netguard

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckAddr(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		ip      string
		public  error // policy without private targets
		private error // policy with private targets allowed
	}{
		{"public v4", "93.184.216.34", nil, nil},
		{"public v6", "2606:2800:220:1:248:1893:25c8:1946", nil, nil},
		{"loopback v4", "127.0.0.1", ErrProhibited, nil},
		{"loopback v4 other", "127.1.2.3", ErrProhibited, nil},
		{"loopback v6", "::1", ErrProhibited, nil},
		{"rfc1918 10/8", "10.1.2.3", ErrProhibited, nil},
		{"rfc1918 172.16/12", "172.31.255.1", ErrProhibited, nil},
		{"rfc1918 192.168/16", "192.168.0.10", ErrProhibited, nil},
		{"cgnat", "100.64.0.1", ErrProhibited, nil},
		{"link-local v4", "169.254.10.10", ErrProhibited, nil},
		{"link-local v6", "fe80::1", ErrProhibited, nil},
		{"ula v6", "fd12:3456::1", ErrProhibited, nil},
		{"multicast v4", "224.0.0.1", ErrProhibited, ErrProhibited},
		{"multicast v6", "ff02::1", ErrProhibited, ErrProhibited},
		{"unspecified v4", "0.0.0.0", ErrProhibited, ErrProhibited},
		{"unspecified v6", "::", ErrProhibited, ErrProhibited},
		{"broadcast/reserved", "255.255.255.255", ErrProhibited, ErrProhibited},
		{"documentation", "192.0.2.1", ErrProhibited, ErrProhibited},
		{"mapped loopback", "::ffff:127.0.0.1", ErrProhibited, nil},
		{"mapped private", "::ffff:10.0.0.1", ErrProhibited, nil},
		{"imds v4", "169.254.169.254", ErrMetadata, ErrMetadata},
		{"imds v4 mapped", "::ffff:169.254.169.254", ErrMetadata, ErrMetadata},
		{"imds v6", "fd00:ec2::254", ErrMetadata, ErrMetadata},
		{"ecs credentials", "169.254.170.2", ErrMetadata, ErrMetadata},
		{"amazon dns", "169.254.169.253", ErrMetadata, ErrMetadata},
	}
	public, private := New(false), New(true)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ip := netip.MustParseAddr(tc.ip)
			check := func(p *Policy, want error) {
				t.Helper()
				err := p.CheckAddr(ip)
				if want == nil {
					assert.NoError(t, err)
					return
				}
				assert.ErrorIs(t, err, want)
			}
			check(public, tc.public)
			check(private, tc.private)
		})
	}
}

func TestControlRefusesAtDialTime(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(srv.Close)

	get := func(p *Policy) error {
		d := &net.Dialer{Timeout: 2 * time.Second, Control: p.Control}
		client := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		require.NoError(t, err)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	err := get(New(false))
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrProhibited), "dial to loopback must be refused, got %v", err)
	assert.NoError(t, get(New(true)), "private targets allowed: loopback test server reachable")
}

func TestControlRejectsOtherNetworks(t *testing.T) {
	t.Parallel()
	p := New(true)
	assert.ErrorIs(t, p.Control("udp4", "127.0.0.1:53", nil), ErrProhibited)
	assert.ErrorIs(t, p.Control("tcp4", "not-an-address", nil), ErrProhibited)
	assert.NoError(t, p.Control("tcp6", "[::1]:8080", nil))
	assert.ErrorIs(t, p.Control("tcp6", "[fd00:ec2::254]:80", nil), ErrMetadata)
}

func BenchmarkCheckAddr(b *testing.B) {
	p := New(false)
	ip := netip.MustParseAddr("93.184.216.34")
	b.ReportAllocs()
	for b.Loop() {
		_ = p.CheckAddr(ip)
	}
}

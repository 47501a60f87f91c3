package netguard

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// answers resolves host names from a table, like a DNS server under an attacker's control.
type answers map[string][]string

func (a answers) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	ips, ok := a[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []net.IPAddr
	for _, s := range ips {
		out = append(out, net.IPAddr{IP: net.ParseIP(s)})
	}
	return out, nil
}

// TestDialerGuardsResolvedAddresses: every address a name resolves to is checked when it is dialled;
// a refused one is a *RefusedError naming it, and no connection reaches the listener.
func TestDialerGuardsResolvedAddresses(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	var accepted atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			_ = c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	resolver := answers{
		"loopback.test": {"127.0.0.1"},
		"metadata.test": {"169.254.169.254"},
		"mixed.test":    {"10.0.0.1", "127.0.0.1"},
		"empty.test":    {},
	}
	tests := []struct {
		name         string
		allowPrivate bool
		address      string
		refused      string // the address named by the RefusedError; "" when the dial succeeds
		metadata     bool
		noAddresses  bool
	}{
		{name: "loopback by name, private refused", address: "loopback.test:" + port, refused: "127.0.0.1"},
		{name: "loopback literal, private refused", address: "127.0.0.1:" + port, refused: "127.0.0.1"},
		{name: "metadata by name, private allowed", allowPrivate: true, address: "metadata.test:80", refused: "169.254.169.254", metadata: true},
		{name: "metadata literal, private refused", address: "169.254.169.254:80", refused: "169.254.169.254", metadata: true},
		{name: "every answer refused: the first is named", address: "mixed.test:" + port, refused: "10.0.0.1"},
		{name: "a name without addresses", allowPrivate: true, address: "empty.test:80", noAddresses: true},
		{name: "loopback by name, private allowed", allowPrivate: true, address: "loopback.test:" + port},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := &Dialer{Control: New(tc.allowPrivate).Control, Resolver: resolver, Deadline: time.Now().Add(5 * time.Second)}
			before := accepted.Load()
			conn, err := d.DialContext(context.Background(), "tcp", tc.address)
			switch {
			case tc.noAddresses:
				assert.ErrorIs(t, err, ErrNoAddresses)
			case tc.refused != "":
				var refused *RefusedError
				require.True(t, errors.As(err, &refused), "want a RefusedError, got %v", err)
				assert.Equal(t, tc.refused, refused.Addr)
				assert.Equal(t, tc.metadata, errors.Is(err, ErrMetadata), err.Error())
				assert.Contains(t, err.Error(), "address "+tc.refused+" refused by the SSRF guard")
				assert.Equal(t, before, accepted.Load(), "a refused dial makes no connection")
			default:
				require.NoError(t, err)
				_ = conn.Close()
				assert.Eventually(t, func() bool { return accepted.Load() == before+1 }, 2*time.Second, 10*time.Millisecond)
			}
		})
	}
}

func TestDialerNeedsControl(t *testing.T) {
	t.Parallel()
	_, err := (&Dialer{}).DialContext(context.Background(), "tcp", "127.0.0.1:1")
	assert.ErrorContains(t, err, "needs a Control")
}

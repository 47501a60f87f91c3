package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/webhealth/webhealth/internal/netguard"
)

// errNoAddresses is a host name that resolved to nothing.
var errNoAddresses = errors.New("no addresses")

// dialer resolves the host with the configured resolver and dials each address in turn; the
// net.Dialer's Control runs the guard on the address actually connected to.
func (p *Prober) dialer(attemptCtx context.Context, deadline time.Time) func(context.Context, string, string) (net.Conn, error) {
	d := &net.Dialer{Control: p.opts.Guard.Control, Deadline: deadline, KeepAlive: -1}
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		// The transport dials on a context detached from the request; tie it back to the attempt.
		ctx, cancel := context.WithDeadline(ctx, deadline)
		defer cancel()
		stop := context.AfterFunc(attemptCtx, cancel)
		defer stop()

		host, port, err := net.SplitHostPort(address)
		if err != nil {
			return nil, err
		}
		if ip := net.ParseIP(host); ip != nil {
			return dialChecked(ctx, d, network, ip, host, port)
		}
		addrs, err := p.opts.Resolver.LookupIPAddr(ctx, host)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", host, err)
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("resolve %s: %w", host, errNoAddresses)
		}
		var firstErr error
		for _, a := range addrs {
			ipStr := a.IP.String()
			if a.Zone != "" {
				ipStr += "%" + a.Zone
			}
			conn, err := dialChecked(ctx, d, network, a.IP, ipStr, port)
			if err == nil {
				return conn, nil
			}
			if firstErr == nil {
				firstErr = err
			}
			if ctx.Err() != nil {
				break
			}
		}
		return nil, firstErr
	}
}

func dialChecked(ctx context.Context, d *net.Dialer, network string, ip net.IP, host, port string) (net.Conn, error) {
	conn, err := d.DialContext(ctx, network, net.JoinHostPort(host, port))
	if err != nil && (errors.Is(err, netguard.ErrProhibited) || errors.Is(err, netguard.ErrMetadata)) {
		return nil, &RefusedError{Addr: ip.String(), Err: err}
	}
	return conn, err
}

// RefusedError is a dial the SSRF guard refused; no connection was made.
type RefusedError struct {
	Addr string
	Err  error
}

func (e *RefusedError) Error() string {
	why := "a private, loopback, link-local or reserved address (private targets are not allowed)"
	if errors.Is(e.Err, netguard.ErrMetadata) {
		why = "a cloud metadata address (refused always)"
	}
	return fmt.Sprintf("address %s refused by the SSRF guard: %s", e.Addr, why)
}

func (e *RefusedError) Unwrap() error { return e.Err }

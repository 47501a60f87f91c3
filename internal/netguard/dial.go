package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"
)

// ErrNoAddresses is a host name that resolved to nothing.
var ErrNoAddresses = errors.New("no addresses")

// Resolver looks up a host name's addresses (net.Resolver implements it; tests inject fixed answers).
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// Dialer connects through the SSRF guard: it resolves the host with Resolver and dials each address in
// turn, and the net.Dialer's Control runs the guard on the address actually connected to, so DNS
// rebinding cannot slip an internal address past it. The crawler's probe and the notifier's webhooks
// dial with it.
type Dialer struct {
	// Control checks each address before the connection is made (Policy.Control); required.
	Control func(network, address string, c syscall.RawConn) error
	// Resolver resolves host names (nil: net.DefaultResolver).
	Resolver Resolver
	// Deadline bounds every dial (zero: only the context does).
	Deadline time.Time
	// KeepAlive is the TCP keep-alive period (0: Go's default; negative: off).
	KeepAlive time.Duration
}

// DialContext is an http.Transport DialContext. A dial the guard refuses is a *RefusedError and
// makes no connection.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if d.Control == nil {
		return nil, errors.New("netguard: a Dialer needs a Control (the SSRF policy)")
	}
	nd := &net.Dialer{Control: d.Control, Deadline: d.Deadline, KeepAlive: d.KeepAlive}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip != nil {
		return dialChecked(ctx, nd, network, ip, host, port)
	}
	resolver := d.Resolver
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	addrs, err := resolver.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("resolve %s: %w", host, ErrNoAddresses)
	}
	var firstErr error
	for _, a := range addrs {
		ipStr := a.IP.String()
		if a.Zone != "" {
			ipStr += "%" + a.Zone
		}
		conn, err := dialChecked(ctx, nd, network, a.IP, ipStr, port)
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

func dialChecked(ctx context.Context, d *net.Dialer, network string, ip net.IP, host, port string) (net.Conn, error) {
	conn, err := d.DialContext(ctx, network, net.JoinHostPort(host, port))
	if err != nil && (errors.Is(err, ErrProhibited) || errors.Is(err, ErrMetadata)) {
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
	if errors.Is(e.Err, ErrMetadata) {
		why = "a cloud metadata address (refused always)"
	}
	return fmt.Sprintf("address %s refused by the SSRF guard: %s", e.Addr, why)
}

func (e *RefusedError) Unwrap() error { return e.Err }

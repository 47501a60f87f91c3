package probe

import (
	"context"
	"net"
	"time"

	"github.com/webhealth/webhealth/internal/netguard"
)

// errNoAddresses is a host name that resolved to nothing.
var errNoAddresses = netguard.ErrNoAddresses

// RefusedError is a dial the SSRF guard refused; no connection was made.
type RefusedError = netguard.RefusedError

// dialer dials through netguard's guarded Dialer with the configured resolver, each dial bounded by the
// attempt: the transport dials on a context detached from the request, so it is tied back here.
func (p *Prober) dialer(attemptCtx context.Context, deadline time.Time) func(context.Context, string, string) (net.Conn, error) {
	d := &netguard.Dialer{Control: p.opts.Guard.Control, Resolver: p.opts.Resolver, Deadline: deadline, KeepAlive: -1}
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		ctx, cancel := context.WithDeadline(ctx, deadline)
		defer cancel()
		stop := context.AfterFunc(attemptCtx, cancel)
		defer stop()
		return d.DialContext(ctx, network, address)
	}
}

// Package probe observes one target: one HTTP check with a fresh connection per attempt (so DNS,
// connect and TLS timings are real), phases measured with net/http/httptrace, every dial checked by
// the SSRF guard on the resolved address (redirect hops included), a bounded body read with a
// streaming body_contains match, bounded redirects, TLS certificate expiry, and one quick retry when
// the first attempt is judged down without timing out. It observes; target.Judge gives the verdict.
package probe

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/webhealth/webhealth/internal/target"
)

// Guard checks every address the prober dials, after DNS resolution (netguard.Policy implements it).
type Guard interface {
	Control(network, address string, c syscall.RawConn) error
}

// Resolver looks up a host name's addresses (net.Resolver implements it; tests inject fixed answers).
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// Defaults of Options (and of the crawler's MAX_BODY_BYTES, MAX_REDIRECTS and RETRY_DELAY).
const (
	DefaultMaxBodyBytes = 1 << 20
	DefaultMaxRedirects = 5
	DefaultRetryDelay   = 500 * time.Millisecond
)

// Options configure a Prober.
type Options struct {
	// Guard checks each dialled address; required (netguard.New(allowPrivate)).
	Guard Guard
	// MaxBodyBytes is the most body bytes read per attempt (0: DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// MaxRedirects is how many redirects are followed; one more is a failure (negative: none followed).
	MaxRedirects int
	// RetryDelay is the pause before the single retry (0: no pause).
	RetryDelay time.Duration
	// UserAgent is sent with every request, e.g. "webhealth/1.2.3".
	UserAgent string
	// RootCAs verifies servers' certificates (nil: the system roots). Tests inject their own CA.
	RootCAs *x509.CertPool
	// Resolver resolves host names (nil: net.DefaultResolver).
	Resolver Resolver
}

// Prober probes targets; safe for concurrent use.
type Prober struct {
	opts Options
	// bufs recycles the body read buffers (*[copyBufferSize]byte): one per attempt would be most of
	// what a probe allocates.
	bufs sync.Pool
}

// New validates opts and returns a Prober.
func New(opts Options) (*Prober, error) {
	if opts.Guard == nil {
		return nil, errors.New("probe: a Guard is required (the SSRF policy)")
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.RetryDelay < 0 {
		return nil, fmt.Errorf("probe: negative retry delay %s", opts.RetryDelay)
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "webhealth"
	}
	if opts.Resolver == nil {
		opts.Resolver = net.DefaultResolver
	}
	p := &Prober{opts: opts}
	p.bufs.New = func() any { return new([copyBufferSize]byte) }
	return p, nil
}

// Probe checks t: one attempt, and one retry after RetryDelay when target.Judge finds the first down.
// Each attempt is bounded by t.TimeoutMS and by ctx's deadline. An attempt that timed out is final (a
// hanging target costs at most its timeout), as is a refused one; a retry is started only when
// RetryDelay plus the target's whole timeout fits before ctx's deadline, else the first attempt stands.
// The observation is of the last attempt.
func (p *Prober) Probe(ctx context.Context, t target.Target) target.Observation {
	obs := p.attempt(ctx, t)
	obs.Attempts = 1
	if obs.Interrupted() || obs.Failure == target.FailureRefused || obs.Failure == target.FailureTimeout || target.Judge(t, obs).Available {
		return obs
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < p.opts.RetryDelay+Timeout(t) {
		return obs // no time for a whole retry: the first attempt is the verdict
	}
	timer := time.NewTimer(p.opts.RetryDelay)
	select {
	case <-ctx.Done():
		timer.Stop()
		return obs // the caller gave up during the pause: the first attempt stands
	case <-timer.C:
	}
	obs = p.attempt(ctx, t)
	obs.Attempts = 2
	return obs
}

// Timeout is how long one attempt at t may take: its timeout_ms, or target.DefaultTimeoutMS.
func Timeout(t target.Target) time.Duration {
	if t.TimeoutMS <= 0 {
		return target.DefaultTimeoutMS * time.Millisecond
	}
	return time.Duration(t.TimeoutMS) * time.Millisecond
}

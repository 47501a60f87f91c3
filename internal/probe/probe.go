// Package probe runs one HTTP check of one target: a fresh connection per attempt (so DNS, connect
// and TLS timings are real), phases measured with net/http/httptrace, every dial checked by the SSRF
// guard on the resolved address (redirect hops included), a bounded body read with a streaming
// body_contains match, bounded redirects, TLS certificate expiry, and one quick retry before a
// target is reported unavailable.
package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/webhealth/webhealth/internal/netguard"
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

// Defaults of Options.
const (
	DefaultMaxBodyBytes = 1 << 20
	DefaultMaxRedirects = 5
	DefaultRetryDelay   = 500 * time.Millisecond

	// minAttempt is the least time worth starting an attempt with (the shortest target timeout):
	// a retry with less time than RetryDelay+minAttempt left is not started.
	minAttempt = target.MinTimeoutMS * time.Millisecond

	maxHeaderBytes = 64 << 10
	copyBufferSize = 32 << 10
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
	// bufs recycles the body read buffers (*[copyBufferSize]byte): allocating one per attempt was
	// most of a probe's allocated bytes, and the garbage collection it caused a fifth of its CPU.
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

// Result is the outcome of probing one target (all attempts). Durations are of the attempt reported
// (the last one made) in milliseconds.
type Result struct {
	CheckedAt  time.Time
	Available  bool
	StatusCode int // 0 when no response was received
	// LatencyMS is the whole attempt: connect, request, response headers and the (bounded) body.
	LatencyMS float64
	// DNSMS, ConnectMS and TLSMS add up the lookups, TCP connects and TLS handshakes of every hop
	// (redirects open new connections); zero when the phase did not happen (literal IP, plain http).
	DNSMS, ConnectMS, TLSMS float64
	// TTFBMS is from the start of the attempt to the first byte of the final response.
	TTFBMS float64
	// CertDaysRemaining is whole days until the target's leaf certificate (verified chain) expires;
	// nil for plain http or when no handshake succeeded.
	CertDaysRemaining *int
	Attempts          int
	BodyBytes         int64  // body bytes read (at most MaxBodyBytes)
	Error             string // why the target is not available; empty when it is
	// Interrupted is set when the caller's context ended the check (its deadline, not the target's
	// own timeout), or left no time for the retry: the result says nothing about the target.
	Interrupted bool
	// Refused is set when the SSRF guard refused an address the check needed.
	Refused bool
}

// LastCheck maps the result to the stored last_check.
func (r Result) LastCheck() target.LastCheck {
	return target.LastCheck{
		CheckedAt: r.CheckedAt, Available: r.Available, StatusCode: r.StatusCode,
		LatencyMS: r.LatencyMS, DNSMS: r.DNSMS, ConnectMS: r.ConnectMS, TLSMS: r.TLSMS, TTFBMS: r.TTFBMS,
		CertDaysRemaining: r.CertDaysRemaining, Attempts: r.Attempts, Error: r.Error,
	}
}

// Probe checks t: one attempt, and one retry after RetryDelay when the first is not available.
// Each attempt is bounded by t.TimeoutMS and by ctx's deadline.
func (p *Prober) Probe(ctx context.Context, t target.Target) Result {
	res := p.attempt(ctx, t)
	res.Attempts = 1
	if res.Available || res.Interrupted || res.Refused {
		return res // a refused address is refused again: no retry
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < p.opts.RetryDelay+minAttempt {
		res.Interrupted = true
		res.Error += " (retry skipped: no time left before the caller's deadline)"
		return res
	}
	timer := time.NewTimer(p.opts.RetryDelay)
	select {
	case <-ctx.Done():
		timer.Stop()
		res.Interrupted = true
		return res
	case <-timer.C:
	}
	res = p.attempt(ctx, t)
	res.Attempts = 2
	return res
}

// attempt makes one request on fresh connections and judges the response.
func (p *Prober) attempt(parent context.Context, t target.Target) Result {
	start := time.Now()
	res := Result{CheckedAt: start.UTC()}
	timeout := time.Duration(t.TimeoutMS) * time.Millisecond
	if timeout <= 0 {
		timeout = target.DefaultTimeoutMS * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()

	tr := &tracer{}
	ctx = httptrace.WithClientTrace(ctx, tr.clientTrace())
	method := t.Method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, t.URL, nil)
	if err != nil {
		res.Error = fmt.Sprintf("bad request: %v", err)
		return res
	}
	req.Header.Set("User-Agent", p.opts.UserAgent)
	req.Header.Set("Accept", "*/*")

	transport := p.transport(ctx)
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, CheckRedirect: p.checkRedirect}

	resp, err := client.Do(req)
	var body bodyResult
	if err == nil {
		body, err = p.readBody(resp.Body, t.BodyContains, method)
		_ = resp.Body.Close() // the body is read (or abandoned) already; closing only frees the connection
		res.StatusCode = resp.StatusCode
	} else if resp != nil { // CheckRedirect refused to follow: the last response is kept
		res.StatusCode = resp.StatusCode
	}
	end := time.Now()
	tr.fill(&res, start, end)
	res.BodyBytes = body.n

	expected := expectedOrDefault(t.ExpectedStatus)
	switch {
	case err != nil:
		res.Error, res.Refused = p.describe(err, t, timeout)
		if parent.Err() != nil && !res.Refused {
			res.Interrupted = true
			res.Error = "check interrupted by the caller's deadline: " + res.Error
		}
	case !slices.Contains(expected, resp.StatusCode):
		res.Error = fmt.Sprintf("status %d not in expected %v", resp.StatusCode, expected)
	case t.BodyContains != "" && !body.found:
		res.Error = fmt.Sprintf("body does not contain %q (searched the first %d bytes)", t.BodyContains, body.n)
	default:
		res.Available = true
	}
	return res
}

func expectedOrDefault(codes []int) []int {
	if len(codes) == 0 {
		return []int{http.StatusOK}
	}
	return codes
}

// transport returns a one-attempt transport: no keep-alives, no proxy (a proxy would dial on the
// prober's behalf and bypass the guard), every dial through the guard, bounded by ctx.
func (p *Prober) transport(ctx context.Context) *http.Transport {
	deadline, ok := ctx.Deadline()
	var handshake time.Duration // 0: no limit besides ctx
	if ok {
		handshake = max(time.Until(deadline), time.Millisecond)
	}
	return &http.Transport{
		Proxy:             nil,
		DialContext:       p.dialer(ctx, deadline),
		DisableKeepAlives: true,
		ForceAttemptHTTP2: true,
		// The transport detaches dials and handshakes from the request's cancellation; this bounds them.
		TLSHandshakeTimeout:    handshake,
		ResponseHeaderTimeout:  0, // the request context bounds it
		MaxResponseHeaderBytes: maxHeaderBytes,
		TLSClientConfig: &tls.Config{
			RootCAs:    p.opts.RootCAs,
			MinVersion: tls.VersionTLS12,
		},
	}
}

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
			return nil, fmt.Errorf("resolve %s: no addresses", host)
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

// errTooManyRedirects is returned by checkRedirect.
var errTooManyRedirects = errors.New("too many redirects")

func (p *Prober) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > p.opts.MaxRedirects {
		return errTooManyRedirects
	}
	// Keep the User-Agent on every hop (the client copies headers, but be explicit).
	req.Header.Set("User-Agent", p.opts.UserAgent)
	return nil
}

// describe turns a request failure into the text stored in last_check, and says whether the guard refused it.
func (p *Prober) describe(err error, t target.Target, timeout time.Duration) (string, bool) {
	var refused *RefusedError
	switch {
	case errors.As(err, &refused):
		return refused.Error(), true
	case errors.Is(err, errTooManyRedirects):
		return fmt.Sprintf("stopped after %d redirects (the limit)", max(p.opts.MaxRedirects, 0)), false
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fmt.Sprintf("timeout after %dms", timeout.Milliseconds()), false
	case errors.Is(err, context.Canceled):
		return "canceled", false
	}
	msg := err.Error()
	// url.Error repeats the method and URL; the target is known, keep the cause.
	var uerr *url.Error
	if errors.As(err, &uerr) {
		msg = uerr.Err.Error()
		if uerr.URL != t.URL {
			msg = fmt.Sprintf("%s (at %s)", msg, uerr.URL)
		}
	}
	return msg, false
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

type bodyResult struct {
	n     int64
	found bool
}

// readBody reads at most MaxBodyBytes, searching for needle across chunk boundaries without keeping the body.
func (p *Prober) readBody(body io.Reader, needle, method string) (bodyResult, error) {
	if method == http.MethodHead {
		return bodyResult{}, nil
	}
	m := newMatcher(needle)
	buf := p.bufs.Get().(*[copyBufferSize]byte)
	defer p.bufs.Put(buf)
	n, err := io.CopyBuffer(m, io.LimitReader(body, p.opts.MaxBodyBytes), buf[:])
	if err != nil {
		return bodyResult{n: n, found: m.found}, fmt.Errorf("read body: %w", err)
	}
	return bodyResult{n: n, found: m.found}, nil
}

// matcher is an io.Writer that reports whether needle occurred in everything written, keeping only
// the last len(needle)-1 bytes between writes.
type matcher struct {
	needle []byte
	tail   []byte
	window []byte
	found  bool
}

func newMatcher(needle string) *matcher {
	m := &matcher{needle: []byte(needle)}
	if len(needle) > 1 {
		m.tail = make([]byte, 0, len(needle)-1)
		m.window = make([]byte, 0, 2*(len(needle)-1))
	}
	return m
}

func (m *matcher) Write(p []byte) (int, error) {
	if m.found || len(m.needle) == 0 {
		return len(p), nil
	}
	k := len(m.needle) - 1
	if k > 0 && len(m.tail) > 0 {
		// An occurrence straddling the previous write and this one lies within tail + p[:k].
		m.window = append(append(m.window[:0], m.tail...), p[:min(k, len(p))]...)
		if bytes.Contains(m.window, m.needle) {
			m.found = true
			return len(p), nil
		}
	}
	if bytes.Contains(p, m.needle) {
		m.found = true
		return len(p), nil
	}
	if k > 0 {
		if len(p) >= k {
			m.tail = append(m.tail[:0], p[len(p)-k:]...)
		} else {
			m.tail = append(m.tail, p...)
			if over := len(m.tail) - k; over > 0 {
				m.tail = append(m.tail[:0], m.tail[over:]...)
			}
		}
	}
	return len(p), nil
}

// phase adds up the durations of one kind of step (DNS lookups, connects, TLS handshakes) over the
// hops of an attempt.
type phase struct {
	start time.Time
	total time.Duration
}

func (p *phase) begin() { p.start = time.Now() }

func (p *phase) end() {
	if !p.start.IsZero() {
		p.total += time.Since(p.start)
		p.start = time.Time{}
	}
}

// tracer collects httptrace events of one attempt; the transport may call hooks from its dial goroutine.
type tracer struct {
	mu             sync.Mutex
	dns, conn, tls phase
	firstByte      time.Time
	cert           *x509.Certificate
}

// locked runs f under the tracer's lock.
func (tr *tracer) locked(f func()) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	f()
}

func (tr *tracer) clientTrace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		DNSStart:          func(httptrace.DNSStartInfo) { tr.locked(tr.dns.begin) },
		DNSDone:           func(httptrace.DNSDoneInfo) { tr.locked(tr.dns.end) },
		ConnectStart:      func(string, string) { tr.locked(tr.conn.begin) },
		ConnectDone:       func(string, string, error) { tr.locked(tr.conn.end) },
		TLSHandshakeStart: func() { tr.locked(tr.tls.begin) },
		TLSHandshakeDone: func(cs tls.ConnectionState, err error) {
			tr.locked(func() {
				tr.tls.end()
				// The first successful handshake is the target's own host: its certificate is the one reported.
				if err == nil && tr.cert == nil && len(cs.VerifiedChains) > 0 && len(cs.VerifiedChains[0]) > 0 {
					tr.cert = cs.VerifiedChains[0][0]
				}
			})
		},
		GotFirstResponseByte: func() { tr.locked(func() { tr.firstByte = time.Now() }) },
	}
}

func (tr *tracer) fill(r *Result, start, end time.Time) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	r.LatencyMS = ms(end.Sub(start))
	r.DNSMS, r.ConnectMS, r.TLSMS = ms(tr.dns.total), ms(tr.conn.total), ms(tr.tls.total)
	if !tr.firstByte.IsZero() {
		r.TTFBMS = ms(tr.firstByte.Sub(start))
	}
	if tr.cert != nil {
		days := int(math.Floor(tr.cert.NotAfter.Sub(end).Hours() / 24))
		r.CertDaysRemaining = &days
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

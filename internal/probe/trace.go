package probe

import (
	"crypto/tls"
	"crypto/x509"
	"math"
	"net/http/httptrace"
	"sync"
	"time"

	"github.com/webhealth/webhealth/internal/target"
)

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

// fill writes the attempt's timings (from start to end) and certificate days into o.
func (tr *tracer) fill(o *target.Observation, start, end time.Time) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	o.LatencyMS = ms(end.Sub(start))
	o.DNSMS, o.ConnectMS, o.TLSMS = ms(tr.dns.total), ms(tr.conn.total), ms(tr.tls.total)
	if !tr.firstByte.IsZero() {
		o.TTFBMS = ms(tr.firstByte.Sub(start))
	}
	if tr.cert != nil {
		days := int(math.Floor(tr.cert.NotAfter.Sub(end).Hours() / 24))
		o.CertDaysRemaining = &days
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

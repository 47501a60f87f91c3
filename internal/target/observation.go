package target

import "time"

// Observation is what one check of a target saw, before any judgement (Judge gives the verdict): the
// response and timings of its last attempt, or how that attempt failed, and how the check went.
type Observation struct {
	CheckedAt time.Time
	// StatusCode is the final response's status; 0 when no response arrived.
	StatusCode int
	// LatencyMS is the whole attempt: connect, request, response headers and the (bounded) body.
	LatencyMS float64
	// DNSMS, ConnectMS and TLSMS add up the lookups, TCP connects and TLS handshakes of every hop
	// (redirects open new connections); zero when the phase did not happen (literal IP, plain http).
	DNSMS, ConnectMS, TLSMS float64
	// TTFBMS runs from the start of the attempt to the first byte of the final response.
	TTFBMS float64
	// CertDaysRemaining is whole days until the leaf certificate (verified chain) expires; nil for
	// plain http or when no handshake succeeded.
	CertDaysRemaining *int
	// BodyBytes is how many body bytes were read (the probe reads a bounded number); BodyFound is
	// whether the target's body_contains occurred in them (false when it is empty or nothing was read).
	BodyBytes int64
	BodyFound bool
	// Failure is why the attempt has no complete response (FailureNone when it has one), FailureText
	// the same in words.
	Failure     Failure
	FailureText string
	Attempts    int
	// Interruption says how the caller's context cut the check short (its deadline, not the target's
	// own timeout) or left no time for the retry; empty when it did not. An interrupted check says
	// nothing about the target.
	Interruption string
}

// Interrupted reports whether the caller's context cut the check short (see Interruption).
func (o Observation) Interrupted() bool { return o.Interruption != "" }

// Failure classifies an attempt that got no complete response.
type Failure string

// Failures, from the most to the least specific.
const (
	FailureNone      Failure = ""
	FailureRefused   Failure = "refused"   // the SSRF guard refused an address: no connection was made
	FailureTimeout   Failure = "timeout"   // the target's timeout (or the caller's deadline) passed
	FailureRedirects Failure = "redirects" // more redirects than allowed
	FailureDNS       Failure = "dns"       // the host name did not resolve
	FailureConnect   Failure = "connect"   // no TCP connection
	FailureTLS       Failure = "tls"       // the TLS handshake or the certificate failed
	FailureOther     Failure = "other"     // anything else (a malformed response, a body read error...)
)

package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"time"

	"github.com/webhealth/webhealth/internal/target"
)

const maxHeaderBytes = 64 << 10

// errTooManyRedirects is returned by checkRedirect.
var errTooManyRedirects = errors.New("too many redirects")

// attempt makes one request on fresh connections and observes the response.
func (p *Prober) attempt(parent context.Context, t target.Target) target.Observation {
	start := time.Now()
	obs := target.Observation{CheckedAt: start.UTC()}
	timeout := Timeout(t)
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()

	tr := &tracer{}
	ctx = httptrace.WithClientTrace(ctx, tr.clientTrace())
	method := t.Method
	if method == "" {
		method = target.DefaultMethod
	}
	req, err := http.NewRequestWithContext(ctx, method, t.URL, nil)
	if err != nil {
		obs.Failure, obs.FailureText = target.FailureOther, fmt.Sprintf("bad request: %v", err)
		return obs
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
		obs.StatusCode = resp.StatusCode
	} else if resp != nil { // CheckRedirect refused to follow: the last response is kept
		obs.StatusCode = resp.StatusCode
	}
	tr.fill(&obs, start, time.Now())
	obs.BodyBytes, obs.BodyFound = body.n, body.found
	if err != nil {
		obs.Failure, obs.FailureText = p.classify(err, t, timeout)
		if parent.Err() != nil && obs.Failure != target.FailureRefused {
			obs.Interruption = "check interrupted by the caller's deadline"
		}
	}
	return obs
}

// transport returns a one-attempt transport: HTTP/1.1, no keep-alives, no proxy (a proxy would
// dial on the prober's behalf and bypass the guard), every dial through the guard, bounded by ctx.
func (p *Prober) transport(ctx context.Context) *http.Transport {
	deadline, ok := ctx.Deadline()
	var handshake time.Duration // 0: no limit besides ctx
	if ok {
		handshake = max(time.Until(deadline), time.Millisecond)
	}
	// HTTP/1.1 only, whatever the server offers: a check is one request on a fresh connection, and
	// an HTTP/2 session (preface, settings, a read loop) adds CPU per probe that no verdict uses.
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	return &http.Transport{
		Proxy:             nil,
		DialContext:       p.dialer(ctx, deadline),
		DisableKeepAlives: true,
		Protocols:         &protocols,
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

func (p *Prober) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > p.opts.MaxRedirects {
		return errTooManyRedirects
	}
	// Keep the User-Agent on every hop (the client copies headers, but be explicit).
	req.Header.Set("User-Agent", p.opts.UserAgent)
	return nil
}

package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/webhealth/webhealth/internal/netguard"
)

// Defaults of a Poster.
const (
	DefaultAttempts       = 3
	DefaultBackoff        = 500 * time.Millisecond
	DefaultAttemptTimeout = 10 * time.Second
	// maxRetryAfter caps a server's Retry-After: a longer wait is left to Lambda's retry.
	maxRetryAfter = 10 * time.Second
	// minAttempt is the least time worth starting an attempt with.
	minAttempt = 500 * time.Millisecond
	// maxDetail is how much of a refusing answer's body is kept for the logs and the delivery record.
	maxDetail = 256
)

// StatusError is a webhook's answer that is not 2xx.
type StatusError struct {
	Code   int
	Detail string // the start of the answer's body, printable
}

func (e *StatusError) Error() string {
	if e.Detail == "" {
		return "HTTP " + strconv.Itoa(e.Code)
	}
	return fmt.Sprintf("HTTP %d: %s", e.Code, e.Detail)
}

// Permanent reports whether posting again cannot help: a 3xx (redirects are not followed) or a 4xx
// other than 408 and 429.
func (e *StatusError) Permanent() bool {
	return e.Code < 400 || (e.Code < 500 && e.Code != http.StatusRequestTimeout && e.Code != http.StatusTooManyRequests)
}

// ErrRefused: the webhook's address is refused by the SSRF guard (or its URL by the scheme rule); no
// connection was made. Retrying cannot help until the secret changes.
var ErrRefused = errors.New("webhook refused")

// Poster posts JSON to webhooks with retries: a timeout, a connection failure, a 408, 429 or 5xx is
// retried with exponential backoff and jitter (a few attempts, within the caller's deadline); anything
// else is returned at once. Every dial goes through the SSRF guard. Safe for concurrent use.
type Poster struct {
	client         *http.Client
	allowHTTP      bool
	attempts       int
	backoff        time.Duration
	attemptTimeout time.Duration
	userAgent      string
	sleep          func(ctx context.Context, d time.Duration) error
}

// PosterOptions configure a Poster; zero values take the defaults.
type PosterOptions struct {
	// Guard checks every dialled address (netguard.New(allowPrivate)); required.
	Guard *netguard.Policy
	// Resolver resolves host names (nil: net.DefaultResolver).
	Resolver       netguard.Resolver
	Attempts       int
	Backoff        time.Duration
	AttemptTimeout time.Duration
	UserAgent      string
	// TLSConfig verifies servers (nil: the system roots, TLS 1.2 at least). Tests inject their CA.
	TLSConfig *tls.Config
}

// NewPoster returns a Poster. Plain http is allowed only when the guard allows private addresses (a
// local stack).
func NewPoster(o PosterOptions) (*Poster, error) {
	if o.Guard == nil {
		return nil, errors.New("notify: a Poster needs a Guard (the SSRF policy)")
	}
	if o.Attempts <= 0 {
		o.Attempts = DefaultAttempts
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = DefaultAttemptTimeout
	}
	if o.UserAgent == "" {
		o.UserAgent = "webhealth-notifier"
	}
	if o.TLSConfig == nil {
		o.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	dialer := &netguard.Dialer{Control: o.Guard.Control, Resolver: o.Resolver}
	transport := &http.Transport{
		Proxy:                  nil, // a proxy would dial on our behalf, past the guard
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		TLSClientConfig:        o.TLSConfig,
		TLSHandshakeTimeout:    o.AttemptTimeout,
		MaxResponseHeaderBytes: 64 << 10,
		IdleConnTimeout:        90 * time.Second,
	}
	return &Poster{
		client: &http.Client{
			Transport:     transport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		allowHTTP:      o.Guard.AllowsPrivate(),
		attempts:       o.Attempts,
		backoff:        o.Backoff,
		attemptTimeout: o.AttemptTimeout,
		userAgent:      o.UserAgent,
		sleep:          sleepCtx,
	}, nil
}

// CheckURL accepts an absolute https URL with a host (http too where private addresses are allowed).
// The error never repeats the URL: a webhook URL is a secret.
func (p *Poster) CheckURL(endpoint string) error {
	u, err := url.Parse(endpoint)
	switch {
	case err != nil:
		return fmt.Errorf("%w: the URL does not parse", ErrRefused)
	case u.Host == "":
		return fmt.Errorf("%w: the URL has no host", ErrRefused)
	case u.Scheme == "https", u.Scheme == "http" && p.allowHTTP:
		return nil
	case u.Scheme == "http":
		return fmt.Errorf("%w: the URL is http; webhooks must be https (http only where private targets are allowed)", ErrRefused)
	}
	return fmt.Errorf("%w: the URL's scheme is %q, not https", ErrRefused, u.Scheme)
}

// Post sends body to endpoint and returns nil on a 2xx. It returns a *StatusError for any other
// answer (after the retries for a retryable one), an error wrapping ErrRefused for an address or URL
// the guard refuses, or the last transport error. Errors never contain the URL.
func (p *Poster) Post(ctx context.Context, endpoint string, body []byte) (attempts int, err error) {
	if err := p.CheckURL(endpoint); err != nil {
		return 0, err
	}
	for attempt := 1; ; attempt++ {
		retryAfter, err := p.once(ctx, endpoint, body)
		if err == nil || !retryable(err) || attempt >= p.attempts {
			return attempt, err
		}
		wait := p.backoff<<(attempt-1) + rand.N(p.backoff) // #nosec G404 -- jitter, so concurrent notifiers do not retry in step; not a secret
		if retryAfter >= 0 {
			wait = min(retryAfter, maxRetryAfter)
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait+minAttempt {
			return attempt, fmt.Errorf("%w (no time left for another attempt)", err)
		}
		if serr := p.sleep(ctx, wait); serr != nil {
			return attempt, err
		}
	}
}

// once makes one attempt; retryAfter is the server's Retry-After on a 429 or 503, negative when it
// gave none.
func (p *Poster) once(ctx context.Context, endpoint string, body []byte) (retryAfter time.Duration, err error) {
	retryAfter = -1
	ctx, cancel := context.WithTimeout(ctx, p.attemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return retryAfter, fmt.Errorf("%w: the URL does not make a request", ErrRefused)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", p.userAgent)
	resp, err := p.client.Do(req)
	if err != nil {
		return retryAfter, redact(err)
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // so the connection can be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return retryAfter, nil
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"))
	}
	return retryAfter, &StatusError{Code: resp.StatusCode, Detail: printable(string(head), maxDetail)}
}

// retryable: transport failures other than a refusal, and the retryable statuses.
func retryable(err error) bool {
	var se *StatusError
	switch {
	case errors.As(err, &se):
		return !se.Permanent()
	case errors.Is(err, ErrRefused), errors.Is(err, context.Canceled):
		return false
	}
	return true
}

// redact drops the URL from a transport error (url.Error repeats it) and marks guard refusals.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var refused *netguard.RefusedError
	if errors.As(err, &refused) {
		return fmt.Errorf("%w: %v", ErrRefused, refused)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("timeout: %w", err)
	}
	return err
}

// parseRetryAfter reads Retry-After in seconds or as an HTTP date; negative when absent or unreadable.
func parseRetryAfter(v string) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(min(s, 3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return -1
}

// printable keeps the first n runes of s with control characters as spaces.
func printable(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return truncate(strings.TrimSpace(s), n)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

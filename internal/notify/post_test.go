package notify_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/netguard"
	"github.com/webhealth/webhealth/internal/notify"
)

func TestPostRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		statuses  []int
		wantErr   string // "" = delivered
		permanent bool
		attempts  int
		waits     int // backoff waits
	}{
		{name: "2xx at once", statuses: []int{202}, attempts: 1},
		{name: "5xx then 2xx", statuses: []int{503, 502, 204}, attempts: 3, waits: 2},
		{name: "429 then 2xx", statuses: []int{429, 200}, attempts: 2, waits: 1},
		{name: "408 then 2xx", statuses: []int{408, 200}, attempts: 2, waits: 1},
		{name: "5xx every time", statuses: []int{500, 500, 500, 500}, wantErr: "HTTP 500: internal server error", attempts: 3, waits: 2},
		{name: "4xx is not retried", statuses: []int{400}, wantErr: "HTTP 400: bad request", permanent: true, attempts: 1},
		{name: "410 is not retried", statuses: []int{410}, wantErr: "HTTP 410: gone", permanent: true, attempts: 1},
		{name: "a redirect is not followed", statuses: []int{302}, wantErr: "HTTP 302: found", permanent: true, attempts: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rcv := newReceiver(t)
			rcv.answer("/hook", tc.statuses...)
			p := mustPoster(t, notify.PosterOptions{Guard: netguard.New(true), Backoff: 10 * time.Millisecond})
			var waits []time.Duration
			notify.SetPosterSleep(p, func(d time.Duration) { waits = append(waits, d) })
			attempts, err := p.Post(context.Background(), rcv.URL+"/hook", []byte(`{"a":1}`))
			assert.Equal(t, tc.attempts, attempts)
			assert.Len(t, rcv.got("/hook"), tc.attempts)
			require.Len(t, waits, tc.waits)
			for i, w := range waits { // exponential with jitter below one backoff; Retry-After: 0 on a 429 waits nothing
				if tc.statuses[i] == http.StatusTooManyRequests {
					assert.Zero(t, w)
					continue
				}
				base := 10 * time.Millisecond << i
				assert.True(t, w >= base && w < base+10*time.Millisecond, "wait %d: %s", i, w)
			}
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tc.wantErr, err.Error())
			var se *notify.StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tc.permanent, se.Permanent())
		})
	}
}

func TestPostTimeoutsAndDeadlines(t *testing.T) {
	t.Parallel()
	t.Run("a slow webhook times out and is retried", func(t *testing.T) {
		t.Parallel()
		rcv := newReceiver(t)
		rcv.slow("/hook", time.Second)
		p := mustPoster(t, notify.PosterOptions{Guard: netguard.New(true), Backoff: time.Millisecond, AttemptTimeout: 50 * time.Millisecond, Attempts: 2})
		attempts, err := p.Post(context.Background(), rcv.URL+"/hook", []byte(`{}`))
		assert.Equal(t, 2, attempts)
		require.Error(t, err)
		assert.True(t, strings.HasPrefix(err.Error(), "timeout"), err.Error())
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
	t.Run("no attempt is started without the time for it", func(t *testing.T) {
		t.Parallel()
		rcv := newReceiver(t)
		rcv.answer("/hook", 503, 503)
		p := mustPoster(t, notify.PosterOptions{Guard: netguard.New(true), Backoff: 2 * time.Second})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		start := time.Now()
		attempts, err := p.Post(ctx, rcv.URL+"/hook", []byte(`{}`))
		assert.Less(t, time.Since(start), time.Second, "the backoff would outlast the deadline: stop at once")
		assert.Equal(t, 1, attempts)
		assert.ErrorContains(t, err, "HTTP 503: service unavailable (no time left for another attempt)")
	})
	t.Run("a connection refused is retried", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		p := mustPoster(t, notify.PosterOptions{Guard: netguard.New(true), Backoff: time.Millisecond})
		attempts, err := p.Post(context.Background(), url+"/hook", []byte(`{}`))
		assert.Equal(t, notify.DefaultAttempts, attempts)
		assert.ErrorContains(t, err, "connection refused")
		assert.NotContains(t, err.Error(), "/hook", "the URL is not repeated")
	})
}

// TestPostSSRF: the guard is applied to the address dialled, after resolution; plain http only where
// private addresses are allowed; nothing refused is ever dialled or retried.
func TestPostSSRF(t *testing.T) {
	t.Parallel()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	port := srv.Listener.Addr().String()[strings.LastIndex(srv.Listener.Addr().String(), ":")+1:]
	resolver := fixedResolver{"rebind.test": "127.0.0.1", "imds.test": "169.254.169.254", "imds6.test": "fd00:ec2::254"}
	tests := []struct {
		name         string
		allowPrivate bool
		url          string
		want         string
	}{
		{name: "metadata literal", allowPrivate: true, url: "http://169.254.169.254/latest/meta-data/", want: "address 169.254.169.254 refused by the SSRF guard: a cloud metadata address (refused always)"},
		{name: "metadata by name", allowPrivate: true, url: "http://imds.test/", want: "address 169.254.169.254 refused"},
		{name: "metadata v6 by name", url: "https://imds6.test/", want: "address fd00:ec2::254 refused"},
		{name: "loopback, private not allowed", url: "https://127.0.0.1:" + port + "/hook", want: "address 127.0.0.1 refused by the SSRF guard: a private"},
		{name: "rebinding to loopback", url: "https://rebind.test:" + port + "/hook", want: "address 127.0.0.1 refused"},
		{name: "http, private not allowed", url: "http://hooks.example.com/x", want: "webhooks must be https"},
		{name: "no host", url: "https:///x", want: "the URL has no host"},
		{name: "another scheme", url: "ftp://hooks.example.com/x", want: `scheme is "ftp"`},
		{name: "not a URL", url: "https://hooks.example.com/%zz", want: "the URL does not parse"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := mustPoster(t, notify.PosterOptions{Guard: netguard.New(tc.allowPrivate), Resolver: resolver, Backoff: time.Millisecond})
			attempts, err := p.Post(context.Background(), tc.url, []byte(`{}`))
			require.Error(t, err)
			assert.ErrorIs(t, err, notify.ErrRefused)
			assert.Contains(t, err.Error(), tc.want)
			assert.LessOrEqual(t, attempts, 1, "a refusal is not retried")
			assert.NotContains(t, err.Error(), "/hook")
		})
	}
	t.Run("nothing reached the server", func(t *testing.T) {
		assert.Zero(t, conns.Load())
	})
	t.Run("private allowed: loopback over http is reached", func(t *testing.T) {
		p := mustPoster(t, notify.PosterOptions{Guard: netguard.New(true), Resolver: resolver})
		_, err := p.Post(context.Background(), "http://rebind.test:"+port+"/hook", []byte(`{}`))
		require.NoError(t, err)
		assert.EqualValues(t, 1, conns.Load())
	})
}

func TestNewPosterNeedsGuard(t *testing.T) {
	t.Parallel()
	_, err := notify.NewPoster(notify.PosterOptions{})
	assert.ErrorContains(t, err, "needs a Guard")
}

// TestPostConcurrently: one Poster serves the channels of many invocations at once.
func TestPostConcurrently(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	p := mustPoster(t, notify.PosterOptions{Guard: netguard.New(true)})
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Go(func() { _, errs[i] = p.Post(context.Background(), rcv.URL+"/hook", []byte(`{}`)) })
	}
	wg.Wait()
	assert.NoError(t, errors.Join(errs...))
	assert.Len(t, rcv.got("/hook"), 16)
}

// TestPostRetryAfter: a 429's or 503's Retry-After sets the wait, capped so the invocation's own
// deadline and Lambda's retry take over from a long one.
func TestPostRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		retryAfter string
		want       time.Duration
	}{
		{name: "seconds", status: 429, retryAfter: "3", want: 3 * time.Second},
		{name: "503 too", status: 503, retryAfter: "1", want: time.Second},
		{name: "capped", status: 429, retryAfter: "120", want: 10 * time.Second},
		{name: "an HTTP date in the past", status: 429, retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT", want: 0},
		{name: "unreadable: the backoff", status: 429, retryAfter: "soon", want: -1},
		{name: "500 ignores it", status: 500, retryAfter: "3", want: -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == 1 {
					w.Header().Set("Retry-After", tc.retryAfter)
					w.WriteHeader(tc.status)
				}
			}))
			t.Cleanup(srv.Close)
			p := mustPoster(t, notify.PosterOptions{Guard: netguard.New(true), Backoff: 10 * time.Millisecond})
			var waits []time.Duration
			notify.SetPosterSleep(p, func(d time.Duration) { waits = append(waits, d) })
			_, err := p.Post(context.Background(), srv.URL, []byte(`{}`))
			require.NoError(t, err)
			require.Len(t, waits, 1)
			if tc.want < 0 {
				assert.True(t, waits[0] >= 10*time.Millisecond && waits[0] < 20*time.Millisecond, "backoff: %s", waits[0])
				return
			}
			assert.Equal(t, tc.want, waits[0])
		})
	}
}

package probe

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/netguard"
	"github.com/webhealth/webhealth/internal/target"
)

func TestNewRequiresGuard(t *testing.T) {
	t.Parallel()
	_, err := New(Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Guard")
}

func TestProbeStatusAndBody(t *testing.T) {
	t.Parallel()
	bin := httpbinServer(t)
	p := newProber(t, privateOK())

	tests := []struct {
		name      string
		target    target.Target
		available bool
		status    int
		errText   string
	}{
		{name: "status 200 expected", target: tgt(bin.URL + "/status/200"), available: true, status: 200},
		{name: "status 503 not expected", target: tgt(bin.URL + "/status/503"), status: 503, errText: "status 503 not in expected [200]"},
		{name: "status 503 expected", target: tgt(bin.URL+"/status/503", func(t *target.Target) { t.ExpectedStatus = []int{200, 503} }), available: true, status: 503},
		{name: "status 404 with several expected", target: tgt(bin.URL+"/status/404", func(t *target.Target) { t.ExpectedStatus = []int{200, 204} }), status: 404, errText: "status 404 not in expected [200 204]"},
		{name: "HEAD", target: tgt(bin.URL+"/head", func(t *target.Target) { t.Method = http.MethodHead }), available: true, status: 200},
		{name: "user agent sent and body_contains found", target: tgt(bin.URL+"/user-agent", func(t *target.Target) { t.BodyContains = `"webhealth/test"` }), available: true, status: 200},
		{name: "body_contains missing", target: tgt(bin.URL+"/get", func(t *target.Target) { t.BodyContains = "no such text" }), status: 200, errText: `body does not contain "no such text"`},
		{name: "gzip body decoded before matching", target: tgt(bin.URL+"/gzip", func(t *target.Target) { t.BodyContains = `"gzipped": true` }), available: true, status: 200},
		{name: "connection refused", target: tgt("http://127.0.0.1:1/"), errText: "refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			obs, res := check(p, context.Background(), tc.target)
			assert.Equal(t, tc.available, res.Available, res.Error)
			assert.Equal(t, tc.status, res.StatusCode)
			if tc.errText == "" {
				assert.Empty(t, res.Error)
				assert.Equal(t, 1, res.Attempts)
			} else {
				assert.Contains(t, res.Error, tc.errText)
				assert.Equal(t, 2, res.Attempts, "a failed check is retried once")
			}
			assert.False(t, obs.Interrupted())
			assert.False(t, res.CheckedAt.IsZero())
		})
	}
}

func TestMatcherAcrossChunkBoundaries(t *testing.T) {
	t.Parallel()
	body := []byte(strings.Repeat("x", 50) + "service is HEALTHY today" + strings.Repeat("y", 50))
	tests := []struct {
		name   string
		needle string
		found  bool
	}{
		{name: "present", needle: "HEALTHY", found: true},
		{name: "single byte", needle: "H", found: true},
		{name: "at the very start", needle: "xxx", found: true},
		{name: "at the very end", needle: "yyy", found: true},
		{name: "absent", needle: "DOWN", found: false},
		{name: "almost present", needle: "HEALTHY tomorrow", found: false},
		{name: "empty needle", needle: "", found: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Every chunk size, so the needle is split at every possible position.
			for size := 1; size <= len(body); size++ {
				m := newMatcher(tc.needle)
				for off := 0; off < len(body); off += size {
					_, err := m.Write(body[off:min(off+size, len(body))])
					require.NoError(t, err)
				}
				require.Equal(t, tc.found, m.found, "chunk size %d", size)
			}
		})
	}
}

func TestBodyContainsSplitAcrossNetworkWrites(t *testing.T) {
	t.Parallel()
	// The server sends the marker in two flushed writes with a pause, so the client reads it in two chunks.
	srv := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fl := w.(http.Flusher)
		_, _ = w.Write(bytes.Repeat([]byte("a"), 40000))
		_, _ = w.Write([]byte("status: HEAL"))
		fl.Flush()
		time.Sleep(30 * time.Millisecond)
		_, _ = w.Write([]byte("THY\n"))
	}))
	p := newProber(t, privateOK())
	obs, res := check(p, context.Background(), tgt(srv.URL, func(t *target.Target) { t.BodyContains = "status: HEALTHY" }))
	assert.True(t, res.Available, res.Error)
	assert.Equal(t, int64(40000+len("status: HEALTHY\n")), obs.BodyBytes)
}

func TestBodyReadIsBounded(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10
	var written atomic.Int64
	endless := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("z"), 32<<10)
		for range 32768 { // up to 1 GiB, unless the client hangs up
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	late := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(bytes.Repeat([]byte("a"), 2*limit))
		_, _ = w.Write([]byte("MARKER"))
	}))
	p := newProber(t, privateOK(), func(o *Options) { o.MaxBodyBytes = limit })

	t.Run("huge body read up to the bound only", func(t *testing.T) {
		obs, res := check(p, context.Background(), tgt(endless.URL))
		assert.True(t, res.Available, res.Error)
		assert.Equal(t, int64(limit), obs.BodyBytes)
		// The server stops once the connection is closed; socket buffers hold a few MiB at most.
		assert.Less(t, written.Load(), int64(256<<20), "the body was drained instead of abandoned")
	})
	t.Run("marker past the bound is not searched", func(t *testing.T) {
		obs, res := check(p, context.Background(), tgt(late.URL, func(t *target.Target) { t.BodyContains = "MARKER" }))
		assert.False(t, res.Available)
		assert.Equal(t, int64(limit), obs.BodyBytes)
		assert.Contains(t, res.Error, fmt.Sprintf("searched the first %d bytes", limit))
	})
}

func TestRedirects(t *testing.T) {
	t.Parallel()
	bin := httpbinServer(t)
	p := newProber(t, privateOK(), func(o *Options) { o.MaxRedirects = 3 })
	none := newProber(t, privateOK(), func(o *Options) { o.MaxRedirects = 0 })

	tests := []struct {
		name      string
		prober    *Prober
		path      string
		available bool
		errText   string
	}{
		{name: "relative redirects within the limit", prober: p, path: "/redirect/3", available: true},
		{name: "absolute redirects within the limit", prober: p, path: "/absolute-redirect/2", available: true},
		{name: "one over the limit", prober: p, path: "/redirect/4", errText: "stopped after 3 redirects"},
		{name: "no redirects allowed", prober: none, path: "/redirect/1", errText: "stopped after 0 redirects"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, res := check(tc.prober, context.Background(), tgt(bin.URL+tc.path))
			assert.Equal(t, tc.available, res.Available, res.Error)
			if tc.errText != "" {
				assert.Contains(t, res.Error, tc.errText)
				assert.Equal(t, http.StatusFound, res.StatusCode, "the last response received is recorded")
			} else {
				assert.Equal(t, http.StatusOK, res.StatusCode)
			}
		})
	}
}

func TestRedirectIntoBlockedRangeIsRefused(t *testing.T) {
	t.Parallel()
	bin := httpbinServer(t)
	internal := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("secret"))
	}))
	redirectTo := func(dest string) string { return bin.URL + "/redirect-to?url=" + url.QueryEscape(dest) }

	t.Run("metadata refused even with private targets allowed", func(t *testing.T) {
		t.Parallel()
		p := newProber(t, privateOK())
		obs, res := check(p, context.Background(), tgt(redirectTo("http://169.254.169.254/latest/meta-data/")))
		assert.False(t, res.Available)
		assert.Equal(t, target.FailureRefused, obs.Failure)
		assert.Contains(t, res.Error, "address 169.254.169.254 refused by the SSRF guard: a cloud metadata address")
		assert.Equal(t, 1, res.Attempts, "a refused address is not retried")
	})
	t.Run("public target redirecting to loopback", func(t *testing.T) {
		t.Parallel()
		// Only the redirecting server's own address passes; everything else is judged as on AWS.
		guard := onlyAddr{allowed: bin.Listener.Addr().String(), policy: netguard.New(false)}
		p := newProber(t, guard)
		obs, res := check(p, context.Background(), tgt(redirectTo(internal.URL+"/admin")))
		assert.False(t, res.Available)
		assert.Equal(t, target.FailureRefused, obs.Failure)
		assert.Contains(t, res.Error, "address 127.0.0.1 refused by the SSRF guard")
		assert.Zero(t, internal.conns.Load(), "the internal server must never see a connection")
	})
}

func TestSSRFGuardAtDialTime(t *testing.T) {
	t.Parallel()
	empty := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	loop4 := newCountingServer(t, empty)
	l6, err := net.Listen("tcp6", "[::1]:0")
	require.NoError(t, err, "IPv6 loopback is needed for the ::1 cases")
	loop6 := newCountingServerOn(t, l6, empty)
	_, port4, _ := net.SplitHostPort(loop4.Listener.Addr().String())
	_, port6, _ := net.SplitHostPort(l6.Addr().String())

	// Host names resolving into each refused range (what DNS rebinding would do), and literal addresses.
	resolver := fixedResolver{
		"loopback.test":      {"127.0.0.1"},
		"loopback6.test":     {"::1"},
		"ten.test":           {"10.1.2.3"},
		"172.test":           {"172.16.5.4"},
		"192.test":           {"192.168.1.1"},
		"linklocal.test":     {"169.254.10.10"},
		"metadata.test":      {"169.254.169.254"},
		"metadata6.test":     {"fd00:ec2::254"},
		"cgnat.test":         {"100.64.0.1"},
		"multicast.test":     {"224.0.0.1"},
		"unspecified.test":   {"0.0.0.0"},
		"unspecified6.test":  {"::"},
		"ula.test":           {"fd12:3456:789a::1"},
		"linklocal6.test":    {"fe80::1"},
		"mapped.test":        {"::ffff:127.0.0.1"},
		"all-internal.test":  {"10.0.0.1", "127.0.0.1"},
		"rebind-public.test": {"127.0.0.1"},
	}
	tests := []struct {
		name string
		url  string
		addr string // the address named in the error
	}{
		{name: "loopback v4", url: "http://loopback.test:" + port4 + "/", addr: "127.0.0.1"},
		{name: "loopback v4 literal", url: "http://127.0.0.1:" + port4 + "/", addr: "127.0.0.1"},
		{name: "loopback v6", url: "http://loopback6.test:" + port6 + "/", addr: "::1"},
		{name: "loopback v6 literal", url: "http://[::1]:" + port6 + "/", addr: "::1"},
		{name: "IPv4-mapped loopback", url: "http://mapped.test:" + port4 + "/", addr: "127.0.0.1"},
		{name: "RFC 1918 10/8", url: "http://ten.test/", addr: "10.1.2.3"},
		{name: "RFC 1918 172.16/12", url: "http://172.test/", addr: "172.16.5.4"},
		{name: "RFC 1918 192.168/16", url: "http://192.test/", addr: "192.168.1.1"},
		{name: "link-local", url: "http://linklocal.test/", addr: "169.254.10.10"},
		{name: "metadata by name", url: "http://metadata.test/latest/meta-data/", addr: "169.254.169.254"},
		{name: "metadata literal", url: "http://169.254.169.254/latest/meta-data/", addr: "169.254.169.254"},
		{name: "metadata v6", url: "http://metadata6.test/", addr: "fd00:ec2::254"},
		{name: "CGNAT", url: "http://cgnat.test/", addr: "100.64.0.1"},
		{name: "multicast", url: "http://multicast.test/", addr: "224.0.0.1"},
		{name: "unspecified v4", url: "http://unspecified.test:" + port4 + "/", addr: "0.0.0.0"},
		{name: "unspecified v6", url: "http://unspecified6.test:" + port6 + "/", addr: "::"},
		{name: "ULA", url: "http://ula.test/", addr: "fd12:3456:789a::1"},
		{name: "IPv6 link-local", url: "http://linklocal6.test/", addr: "fe80::1"},
		{name: "every answer internal", url: "http://all-internal.test:" + port4 + "/", addr: "10.0.0.1"},
	}
	p := newProber(t, netguard.New(false), func(o *Options) { o.Resolver = resolver })
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			obs, res := check(p, context.Background(), tgt(tc.url))
			assert.False(t, res.Available)
			assert.Equal(t, target.FailureRefused, obs.Failure, res.Error)
			assert.Contains(t, res.Error, "address "+tc.addr+" refused by the SSRF guard")
			assert.Zero(t, res.StatusCode)
			assert.Equal(t, 1, res.Attempts)
		})
	}
	t.Run("no connection reached the loopback servers", func(t *testing.T) {
		// Runs after the parallel cases above have finished.
		assert.Zero(t, loop4.conns.Load())
		assert.Zero(t, loop6.conns.Load())
	})

	t.Run("private allowed: loopback reachable, metadata still refused", func(t *testing.T) {
		local := newProber(t, netguard.New(true), func(o *Options) { o.Resolver = resolver })
		obs, res := check(local, context.Background(), tgt("http://loopback.test:"+port4+"/"))
		assert.True(t, res.Available, res.Error)
		obs, res = check(local, context.Background(), tgt("http://[::1]:"+port6+"/"))
		assert.True(t, res.Available, res.Error)
		for _, u := range []string{"http://metadata.test/", "http://169.254.169.254/", "http://metadata6.test/", "http://[fd00:ec2::254]/"} {
			obs, res = check(local, context.Background(), tgt(u))
			assert.Equal(t, target.FailureRefused, obs.Failure, u)
			assert.Contains(t, res.Error, "cloud metadata address (refused always)", u)
		}
	})
}

func TestTLSCertificateDays(t *testing.T) {
	t.Parallel()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
	srv45, pool45 := tlsServer(t, time.Now().Add(45*24*time.Hour+time.Hour), ok)
	srv3, pool3 := tlsServer(t, time.Now().Add(3*24*time.Hour+time.Hour), ok)

	t.Run("45 days left", func(t *testing.T) {
		t.Parallel()
		p := newProber(t, privateOK(), func(o *Options) { o.RootCAs = pool45 })
		_, res := check(p, context.Background(), tgt(srv45.URL))
		require.True(t, res.Available, res.Error)
		require.NotNil(t, res.CertDaysRemaining)
		assert.Equal(t, 45, *res.CertDaysRemaining)
		assert.Positive(t, res.TLSMS)
	})
	t.Run("3 days left", func(t *testing.T) {
		t.Parallel()
		p := newProber(t, privateOK(), func(o *Options) { o.RootCAs = pool3 })
		_, res := check(p, context.Background(), tgt(srv3.URL))
		require.True(t, res.Available, res.Error)
		require.NotNil(t, res.CertDaysRemaining)
		assert.Equal(t, 3, *res.CertDaysRemaining)
	})
	t.Run("untrusted certificate is a failure without days", func(t *testing.T) {
		t.Parallel()
		p := newProber(t, privateOK()) // system roots do not know the test CA
		_, res := check(p, context.Background(), tgt(srv45.URL))
		assert.False(t, res.Available)
		assert.Contains(t, res.Error, "certificate")
		assert.Nil(t, res.CertDaysRemaining)
	})
	t.Run("plain http has no certificate days", func(t *testing.T) {
		t.Parallel()
		bin := httpbinServer(t)
		_, res := check(newProber(t, privateOK()), context.Background(), tgt(bin.URL+"/get"))
		require.True(t, res.Available, res.Error)
		assert.Nil(t, res.CertDaysRemaining)
		assert.Zero(t, res.TLSMS)
	})
}

// TestFailureClassification: each way an attempt fails is told apart, with its text.
func TestFailureClassification(t *testing.T) {
	t.Parallel()
	bin := httpbinServer(t)
	tlsSrv, _ := tlsServer(t, time.Now().Add(24*time.Hour), http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	garbage, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = garbage.Close() })
	go func() {
		for {
			c, err := garbage.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				// Answer once the client has spoken (a request, a TLS hello): bytes sent earlier reach an
				// idle connection, which net/http reports otherwise ("unsolicited response").
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				if _, err := c.Read(make([]byte, 4096)); err != nil {
					return
				}
				_, _ = c.Write([]byte("HELLO\r\n\r\n"))
			}()
		}
	}()
	hang := hangingServer(t)
	resolver := fixedResolver{"empty.test": {}}
	p := newProber(t, privateOK(), func(o *Options) { o.Resolver = resolver; o.MaxRedirects = 1 })
	tests := []struct {
		name    string
		target  target.Target
		failure target.Failure
		text    string
	}{
		{name: "refused by the guard", target: tgt("http://169.254.169.254/"), failure: target.FailureRefused, text: "refused by the SSRF guard"},
		{name: "redirect limit", target: tgt(bin.URL + "/redirect/2"), failure: target.FailureRedirects, text: "stopped after 1 redirects (the limit)"},
		{name: "timeout", target: tgt(hang.URL, func(t *target.Target) { t.TimeoutMS = 100 }), failure: target.FailureTimeout, text: "timed out after 100 ms"},
		{name: "unknown host", target: tgt("http://nowhere.test/"), failure: target.FailureDNS, text: "no such host"},
		{name: "host without addresses", target: tgt("http://empty.test/"), failure: target.FailureDNS, text: "resolve empty.test: no addresses"},
		{name: "connection refused", target: tgt("http://127.0.0.1:1/"), failure: target.FailureConnect, text: "refused"},
		{name: "untrusted certificate", target: tgt(tlsSrv.URL), failure: target.FailureTLS, text: "certificate"},
		{name: "https to a server that is not TLS", target: tgt("https://" + garbage.Addr().String() + "/"), failure: target.FailureTLS, text: "tls"},
		// net/http replaces this handshake error with a text of its own, not wrapping the TLS error.
		{name: "https to a plain http server", target: tgt(strings.Replace(bin.URL, "http://", "https://", 1)), failure: target.FailureOther,
			text: "server gave HTTP response to HTTPS client"},
		{name: "malformed response", target: tgt("http://" + garbage.Addr().String() + "/"), failure: target.FailureOther, text: "malformed HTTP"},
		{name: "bad method", target: tgt(bin.URL, func(t *target.Target) { t.Method = "GE T" }), failure: target.FailureOther, text: "bad request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			obs, res := check(p, context.Background(), tc.target)
			assert.Equal(t, tc.failure, obs.Failure, obs.FailureText)
			assert.Contains(t, obs.FailureText, tc.text)
			assert.Equal(t, obs.FailureText, res.Error, "the verdict's error is the failure's text")
			assert.False(t, res.Available)
			assert.False(t, obs.Interrupted())
		})
	}
}

func TestRetry(t *testing.T) {
	t.Parallel()
	flaky := func(failures int64) (*countingServer, *atomic.Int64) {
		var n atomic.Int64
		srv := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) <= failures {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			_, _ = w.Write([]byte("ok"))
		}))
		return srv, &n
	}
	p := newProber(t, privateOK())

	t.Run("fails once then succeeds", func(t *testing.T) {
		t.Parallel()
		srv, n := flaky(1)
		_, res := check(p, context.Background(), tgt(srv.URL))
		assert.True(t, res.Available, res.Error)
		assert.Equal(t, 2, res.Attempts)
		assert.Equal(t, int64(2), n.Load())
		assert.Equal(t, int64(2), srv.conns.Load(), "each attempt opens its own connection")
	})
	t.Run("always failing", func(t *testing.T) {
		t.Parallel()
		srv, n := flaky(1000)
		obs, res := check(p, context.Background(), tgt(srv.URL))
		assert.False(t, res.Available)
		assert.Equal(t, 2, res.Attempts)
		assert.Equal(t, int64(2), n.Load(), "exactly one retry")
		assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
		assert.False(t, obs.Interrupted())
	})
	t.Run("first attempt succeeds: no retry", func(t *testing.T) {
		t.Parallel()
		srv, n := flaky(0)
		_, res := check(p, context.Background(), tgt(srv.URL))
		assert.True(t, res.Available)
		assert.Equal(t, 1, res.Attempts)
		assert.Equal(t, int64(1), n.Load())
	})
	t.Run("no retry when the context has no time for a whole one: the first attempt stands", func(t *testing.T) {
		t.Parallel()
		srv, n := flaky(1000)
		// 10 s left: enough for RetryDelay, not for RetryDelay plus the target's 30 s timeout.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		obs, res := check(p, ctx, tgt(srv.URL, func(t *target.Target) { t.TimeoutMS = 30000 }))
		assert.False(t, res.Available)
		assert.Equal(t, 1, res.Attempts)
		assert.Equal(t, int64(1), n.Load())
		assert.False(t, obs.Interrupted(), "the first attempt is a verdict on the target")
		assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	})
	t.Run("retry when the context fits delay and timeout", func(t *testing.T) {
		t.Parallel()
		srv, n := flaky(1000)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		obs, res := check(p, ctx, tgt(srv.URL, func(t *target.Target) { t.TimeoutMS = 5000 }))
		assert.Equal(t, 2, res.Attempts)
		assert.Equal(t, int64(2), n.Load())
		assert.False(t, obs.Interrupted())
	})
	t.Run("a pause cut by the caller leaves the first attempt standing", func(t *testing.T) {
		t.Parallel()
		srv, n := flaky(1000)
		slow := newProber(t, privateOK(), func(o *Options) { o.RetryDelay = time.Second })
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		obs, res := check(slow, ctx, tgt(srv.URL, func(t *target.Target) { t.TimeoutMS = 1000 }))
		assert.False(t, res.Available)
		assert.Equal(t, 1, res.Attempts)
		assert.Equal(t, int64(1), n.Load())
		assert.False(t, obs.Interrupted())
	})
}

func TestTimeouts(t *testing.T) {
	t.Parallel()
	hang := hangingServer(t)
	p := newProber(t, privateOK())

	t.Run("target timeout: down after one attempt, never retried", func(t *testing.T) {
		t.Parallel()
		obs, res := check(p, context.Background(), tgt(hang.URL, func(t *target.Target) { t.TimeoutMS = 100 }))
		assert.False(t, res.Available)
		assert.False(t, obs.Interrupted(), "the target's own timeout is a verdict")
		assert.Equal(t, target.FailureTimeout, obs.Failure)
		assert.Equal(t, 1, res.Attempts, "a hanging target costs at most its timeout")
		assert.Equal(t, "timed out after 100 ms", res.Error)
		assert.GreaterOrEqual(t, res.LatencyMS, 100.0)
	})
	t.Run("timeout with a retry that would not fit: still down, not interrupted", func(t *testing.T) {
		t.Parallel()
		// The caller's deadline leaves room for the first attempt and part of a second: the check
		// used to start the retry, have it cut, and report nothing on the target.
		ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
		defer cancel()
		obs, res := check(p, ctx, tgt(hang.URL, func(t *target.Target) { t.TimeoutMS = 400 }))
		assert.False(t, res.Available)
		assert.False(t, obs.Interrupted(), obs.Interruption)
		assert.Equal(t, 1, res.Attempts)
		assert.Equal(t, "timed out after 400 ms", res.Error)
		assert.NoError(t, ctx.Err(), "the check ended with the target's timeout, not the caller's")
	})
	t.Run("caller deadline before the target timeout: interrupted", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		obs, res := check(p, ctx, tgt(hang.URL, func(t *target.Target) { t.TimeoutMS = 30000 }))
		assert.False(t, res.Available)
		assert.True(t, obs.Interrupted())
		assert.Equal(t, 1, res.Attempts)
		assert.Contains(t, res.Error, "interrupted by the caller's deadline")
	})
}

func TestPhasesOnARealConnection(t *testing.T) {
	t.Parallel()
	srv, pool := tlsServer(t, time.Now().Add(90*24*time.Hour), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(5 * time.Millisecond) // server think time, so TTFB is visibly after the handshake
		_, _ = w.Write([]byte("ok"))
	}))
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	// "localhost" goes through the system resolver, so the DNS phase is real too.
	p := newProber(t, privateOK(), func(o *Options) { o.RootCAs = pool })
	obs, res := check(p, context.Background(), tgt("https://localhost:"+port+"/"))
	require.True(t, res.Available, res.Error)
	assert.Positive(t, res.DNSMS, "dns")
	assert.Positive(t, res.ConnectMS, "connect")
	assert.Positive(t, res.TLSMS, "tls")
	assert.Positive(t, res.TTFBMS, "ttfb")
	assert.GreaterOrEqual(t, res.TTFBMS, res.TLSMS)
	assert.GreaterOrEqual(t, res.LatencyMS, res.TTFBMS)
	assert.Equal(t, int64(2), obs.BodyBytes)

	assert.Equal(t, target.LastCheck{
		CheckedAt: obs.CheckedAt, Available: true, StatusCode: 200, LatencyMS: obs.LatencyMS,
		DNSMS: obs.DNSMS, ConnectMS: obs.ConnectMS, TLSMS: obs.TLSMS, TTFBMS: obs.TTFBMS,
		CertDaysRemaining: obs.CertDaysRemaining, Attempts: 1,
	}, res, "the verdict carries the observation's timings")
}

func BenchmarkProbe(b *testing.B) {
	srv := newCountingServer(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(bytes.Repeat([]byte("ok "), 1000))
	}))
	p := newProber(b, privateOK())
	tg := tgt(srv.URL, func(t *target.Target) { t.BodyContains = "ok ok" })
	ctx := context.Background()
	for b.Loop() {
		if _, res := check(p, ctx, tg); !res.Available {
			b.Fatal(res.Error)
		}
	}
}

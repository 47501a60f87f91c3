package loopback

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestWrap(t *testing.T) {
	t.Parallel()
	g := New(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4567})
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	stageOnly := func(r *http.Request) bool { return !strings.HasPrefix(r.URL.Path, "/_local/") }
	h := g.Wrap(ok, stageOnly)
	tests := []struct {
		name    string
		host    string
		path    string
		headers map[string]string
		want    int
	}{
		{name: "own address", host: "127.0.0.1:4567", path: "/_local/health", want: http.StatusNoContent},
		{name: "localhost", host: "localhost:4567", path: "/_local/health", want: http.StatusNoContent},
		{name: "localhost upper case", host: "LOCALHOST:4567", path: "/_local/health", want: http.StatusNoContent},
		{name: "IPv6 loopback", host: "[::1]:4567", path: "/_local/health", want: http.StatusNoContent},
		{name: "rebound name", host: "attacker.example:4567", path: "/_local/health", want: http.StatusForbidden},
		{name: "rebound name on the stage", host: "attacker.example:4567", path: "/abc/v1/urls", want: http.StatusForbidden},
		{name: "no port", host: "127.0.0.1", path: "/_local/health", want: http.StatusForbidden},
		{name: "other port", host: "127.0.0.1:80", path: "/_local/health", want: http.StatusForbidden},
		{name: "own origin", host: "127.0.0.1:4567", path: "/_local/schedules/fire",
			headers: map[string]string{"Origin": "http://127.0.0.1:4567"}, want: http.StatusNoContent},
		{name: "foreign origin on a control endpoint", host: "127.0.0.1:4567", path: "/_local/schedules/fire",
			headers: map[string]string{"Origin": "https://attacker.example"}, want: http.StatusForbidden},
		{name: "null origin", host: "127.0.0.1:4567", path: "/_local/schedules/fire",
			headers: map[string]string{"Origin": "null"}, want: http.StatusForbidden},
		{name: "cross-site fetch without origin", host: "127.0.0.1:4567", path: "/_local/health",
			headers: map[string]string{"Sec-Fetch-Site": "cross-site"}, want: http.StatusForbidden},
		{name: "typed into the address bar", host: "127.0.0.1:4567", path: "/_local/health",
			headers: map[string]string{"Sec-Fetch-Site": "none"}, want: http.StatusNoContent},
		{name: "foreign origin on an API stage (CORS is the function's)", host: "127.0.0.1:4567", path: "/abc/v1/urls",
			headers: map[string]string{"Origin": "https://console.example"}, want: http.StatusNoContent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "http://"+tc.host+tc.path, nil)
			req.Host = tc.host
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			assert.Equal(t, tc.want, rec.Code)
		})
	}
}

func TestWrapWithoutExceptionsRefusesEveryCrossSiteRequest(t *testing.T) {
	t.Parallel()
	g := New(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9})
	h := g.Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}), nil)
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:9/2018-06-01/runtime/invocation/next", nil)
	req.Host = "127.0.0.1:9"
	req.Header.Set("Origin", "https://attacker.example")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusForbidden, rec.Code)
}

package probe

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/netguard"
	"github.com/webhealth/webhealth/internal/target"
)

func TestUserAgent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ version, region, want string }{
		{"1.4.0", "eu-west-1", "webhealth/1.4.0 (region eu-west-1; +https://github.com/webhealth/webhealth)"},
		{"2.0.0-rc.1+build.5", "us-gov-west-1", "webhealth/2.0.0-rc.1+build.5 (region us-gov-west-1; +https://github.com/webhealth/webhealth)"},
		{"dev", "", "webhealth/dev (+https://github.com/webhealth/webhealth)"},
		{"", "ap-southeast-1", "webhealth (region ap-southeast-1; +https://github.com/webhealth/webhealth)"},
		{"1.0\r\nX-Injected: 1", "eu-west-1\n", "webhealth (+https://github.com/webhealth/webhealth)"},
		{"1.0 beta", "eu west", "webhealth (+https://github.com/webhealth/webhealth)"},
		{strings.Repeat("1", 65), "eu-west-1", "webhealth (region eu-west-1; +https://github.com/webhealth/webhealth)"},
	} {
		assert.Equal(t, tc.want, UserAgent(tc.version, tc.region), "%q %q", tc.version, tc.region)
	}
}

func TestProbeSendsTheUserAgent(t *testing.T) {
	t.Parallel()
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r.UserAgent() }))
	t.Cleanup(srv.Close)
	p, err := New(Options{Guard: netguard.New(true), UserAgent: UserAgent("1.4.0", "eu-west-1")})
	require.NoError(t, err)
	obs := p.Probe(t.Context(), target.Target{ID: strings.Repeat("a", 32), URL: srv.URL + "/", Enabled: true, TimeoutMS: 2000})
	require.Equal(t, 200, obs.StatusCode)
	assert.Equal(t, "webhealth/1.4.0 (region eu-west-1; +https://github.com/webhealth/webhealth)", <-got)
}

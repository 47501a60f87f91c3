//go:build e2e

package test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAPIKeyRequired: every route refuses a request without the API key or with a wrong one (403, and
// the request does nothing: no create, no replace, no delete), while a CORS preflight (OPTIONS) needs none.
func TestAPIKeyRequired(t *testing.T) {
	t.Parallel()
	s := testStack(t)
	api := s.api
	ref, _ := api.createTarget(t, map[string]any{"url": s.inertURL("auth-ref"), "name": "e2e auth reference", "enabled": false})
	refPath := "/urls/" + ref.ID
	newURL := s.inertURL("auth-new")

	requests := []apiRequest{
		{Method: http.MethodGet, Path: "/urls"},
		{Method: http.MethodPost, Path: "/urls", Body: mustJSON(t, map[string]any{"url": newURL, "enabled": false})},
		{Method: http.MethodGet, Path: refPath},
		{Method: http.MethodPut, Path: refPath, Body: mustJSON(t, map[string]any{"url": newURL, "name": "replaced without a key", "enabled": false})},
		{Method: http.MethodDelete, Path: refPath},
		{Method: http.MethodGet, Path: refPath + "/alarms"},
	}
	for _, key := range []struct {
		name  string
		noKey bool
		key   string
	}{
		{name: "no key", noKey: true},
		{name: "wrong key", key: "e2e-wrong-key-" + uniqueName()},
		{name: "empty key", key: " "},
	} {
		t.Run(key.name, func(t *testing.T) {
			for _, r := range requests {
				r.NoKey, r.Key = key.noKey, key.key
				resp := api.do(t, r)
				assert.Equal(t, http.StatusForbidden, resp.Status, "%s %s with %s: %s", r.Method, r.Path, key.name, resp.Body)
				assert.NotContains(t, string(resp.Body), ref.ID, "a refused request must not reveal data")
			}
		})
	}

	t.Run("refused requests changed nothing", func(t *testing.T) {
		assert.Equal(t, ref, withoutLastCheck(api.getTarget(t, ref.ID)))
		assertNoTargetWithURL(t, api, newURL)
	})

	t.Run("the right key is accepted", func(t *testing.T) {
		resp := api.do(t, apiRequest{Method: http.MethodGet, Path: refPath})
		require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	})

	t.Run("a CORS preflight needs no key", func(t *testing.T) {
		resp := api.do(t, apiRequest{Method: http.MethodOptions, Path: "/urls", NoKey: true, Headers: map[string]string{
			"Origin": "https://console.example", "Access-Control-Request-Method": "POST",
		}})
		assert.Less(t, resp.Status, 300, "OPTIONS without a key: %s", resp)
		assert.NotEqual(t, http.StatusForbidden, resp.Status)
	})
}

//go:build e2e

package test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/gruntwork-io/terratest/modules/random"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var smokeIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// TestSmoke checks a deployed webhealth API from the outside, as the pipeline's test stage does after every
// apply (`make smoke TAG=<tag>` passes API_URL and API_KEY from the workload's outputs): the API key is
// required, the list answers, and a target can be created, read and deleted. The target it creates is
// disabled (the crawler never probes it) and unique per run, and is deleted even when a check fails.
// SMOKE_TARGET_BASE (default https://example.com/webhealth-smoke) is the URL the unique target path goes under.
func TestSmoke(t *testing.T) {
	t.Parallel()
	api := smokeAPIFromEnv(t)

	t.Run("without an API key the API refuses", func(t *testing.T) {
		body := api.eventually(t, http.MethodGet, "/urls", false, http.StatusForbidden)
		assert.NotContains(t, body, `"items"`, "a refused request must not carry the list")
	})

	t.Run("with the API key the list answers with a JSON list", func(t *testing.T) {
		body := api.eventually(t, http.MethodGet, "/urls?limit=5", true, http.StatusOK)
		items := smokeDecodeList(t, body)
		assert.LessOrEqual(t, len(items), 5, "limit=5 must bound the page")
	})

	t.Run("a target can be created, read and deleted", func(t *testing.T) {
		targetURL := smokeTargetURL(t)
		payload, err := json.Marshal(map[string]any{
			"url":     targetURL,
			"name":    "webhealth smoke " + strings.ToLower(random.UniqueId()),
			"enabled": false,
		})
		require.NoError(t, err)

		status, body := api.do(t, http.MethodPost, "/urls", payload, true)
		require.Equal(t, http.StatusCreated, status, "POST /urls: %s", body)
		created := smokeDecodeTarget(t, body)
		require.Regexp(t, smokeIDPattern, created.ID, "created target id")

		deleted := false
		t.Cleanup(func() {
			if !deleted {
				if status, body := api.do(t, http.MethodDelete, "/urls/"+created.ID, nil, true); status != http.StatusNoContent && status != http.StatusNotFound {
					t.Errorf("cleanup: DELETE /urls/%s answered %d: %s", created.ID, status, body)
				}
			}
		})
		assert.Equal(t, targetURL, created.URL, "the stored URL (already normalized)")
		assert.False(t, created.Enabled, "the smoke target must stay disabled")
		assert.Equal(t, int64(1), created.Version, "a new target starts at version 1")

		got := smokeDecodeTarget(t, api.eventually(t, http.MethodGet, "/urls/"+created.ID, true, http.StatusOK))
		assert.Equal(t, created, got, "GET returns what POST stored")

		status, body = api.do(t, http.MethodDelete, "/urls/"+created.ID, nil, true)
		require.Equal(t, http.StatusNoContent, status, "DELETE /urls/%s: %s", created.ID, body)
		deleted = true

		status, body = api.do(t, http.MethodGet, "/urls/"+created.ID, nil, true)
		assert.Equal(t, http.StatusNotFound, status, "GET after DELETE: %s", body)
	})
}

// smokeTargetURL is a URL no other run uses, so the create can never collide with an existing target
// (two targets may not share a normalized URL).
func smokeTargetURL(t *testing.T) string {
	t.Helper()
	base := strings.TrimRight(os.Getenv("SMOKE_TARGET_BASE"), "/")
	if base == "" {
		base = "https://example.com/webhealth-smoke"
	}
	return fmt.Sprintf("%s/%s", base, strings.ToLower(random.UniqueId()))
}

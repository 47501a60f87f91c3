//go:build e2e

package test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	http_helper "github.com/gruntwork-io/terratest/modules/http-helper"
	"github.com/stretchr/testify/require"
)

const (
	// A fresh API Gateway deployment can answer 403/5xx for a little while after apply.
	smokeRetries      = 20
	smokeRetryDelay   = 3 * time.Second
	smokeTimeoutSecs  = 15
	smokeAPIKeyHeader = "x-api-key"
)

// smokeAPI is the deployed API under test: its stage invoke URL and an API key of its usage plan.
type smokeAPI struct {
	baseURL string
	key     string
}

// smokeAPIFromEnv reads API_URL and API_KEY (make smoke takes them from the workload's terraform outputs);
// without them it takes the end-to-end suite's stack (the local stack of make up, or E2E_WORKLOAD_DIR),
// and fails the test with what to set when there is none.
func smokeAPIFromEnv(t *testing.T) smokeAPI {
	t.Helper()
	apiURL, key := strings.TrimSpace(os.Getenv("API_URL")), strings.TrimSpace(os.Getenv("API_KEY"))
	if apiURL == "" || key == "" {
		if s, err := loadStackOnce(); err == nil {
			apiURL, key = s.api.baseURL, s.api.key
		}
	}
	if apiURL == "" || key == "" {
		t.Fatalf("API_URL and API_KEY must be set (the stage invoke URL and an API key, as in `terraform output -json` of terraform/workload: api_url, api_key); `make smoke TAG=<tag>` sets them")
	}
	u, err := url.Parse(apiURL)
	require.NoError(t, err, "API_URL %q", apiURL)
	require.Contains(t, []string{"http", "https"}, u.Scheme, "API_URL %q must be an http(s) URL", apiURL)
	require.NotEmpty(t, u.Host, "API_URL %q has no host", apiURL)
	return smokeAPI{baseURL: strings.TrimRight(apiURL, "/"), key: key}
}

func (a smokeAPI) options(method, path string, body []byte, withKey bool) http_helper.HttpDoOptions {
	headers := map[string]string{"Accept": "application/json"}
	if withKey {
		headers[smokeAPIKeyHeader] = a.key
	}
	opts := http_helper.HttpDoOptions{Method: method, Url: a.baseURL + path, Headers: headers, Timeout: smokeTimeoutSecs}
	if body != nil {
		headers["Content-Type"] = "application/json"
		opts.Body = bytes.NewReader(body)
	}
	return opts
}

// do sends one request, without retry: for calls that must not be repeated (POST) or that follow a call
// which already proved the API answers.
func (a smokeAPI) do(t *testing.T, method, path string, body []byte, withKey bool) (int, string) {
	t.Helper()
	status, respBody, err := http_helper.HTTPDoWithOptionsE(t, a.options(method, path, body, withKey))
	require.NoError(t, err, "%s %s", method, path)
	return status, respBody
}

// eventually repeats an idempotent request until it answers want (terratest retry), and returns the body.
func (a smokeAPI) eventually(t *testing.T, method, path string, withKey bool, want int) string {
	t.Helper()
	body, err := http_helper.HTTPDoWithRetryWithOptionsE(t, a.options(method, path, nil, withKey), want, smokeRetries, smokeRetryDelay)
	require.NoError(t, err, "%s %s never answered %d", method, path, want)
	return body
}

// smokeTarget is the part of the API's target JSON the smoke test checks.
type smokeTarget struct {
	ID      string `json:"id"`
	URL     string `json:"url"`
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
	Version int64  `json:"version"`
}

func smokeDecodeTarget(t *testing.T, body string) smokeTarget {
	t.Helper()
	var tg smokeTarget
	require.NoError(t, json.Unmarshal([]byte(body), &tg), "target JSON: %s", body)
	return tg
}

// smokeDecodeList decodes a list answer {"items": [...], "next_token": "..."} and fails unless items is a
// JSON array.
func smokeDecodeList(t *testing.T, body string) []json.RawMessage {
	t.Helper()
	var page struct {
		Items *[]json.RawMessage `json:"items"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &page), "list JSON: %s", body)
	require.NotNil(t, page.Items, "the list answer has no items array: %s", body)
	return *page.Items
}

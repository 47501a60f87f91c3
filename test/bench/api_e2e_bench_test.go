//go:build bench

package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/webhealth/webhealth/internal/testutil/percentile"
	"github.com/webhealth/webhealth/test/internal/localenv"
)

// apiListPage is the page size of the list benchmark, and how many targets it stores first so the
// page is full.
const apiListPage = 50

// apiTimeout bounds one request; the local stack runs DynamoDB on moto, a few ms to a few hundred.
const apiTimeout = 30 * time.Second

// BenchmarkAPIEndToEnd measures the URL API as a client sees it: HTTP through API Gateway (the local
// runtime on the local stack) to the urlapi function and DynamoDB (moto) and back, one request at a time
// on a kept-alive connection, p50/p99 over b.N requests per operation:
//   - create: POST /urls, a new URL each request (201);
//   - get: GET /urls/{id} of one stored target;
//   - list: GET /urls?limit=50 with at least 50 targets stored.
//
// The API comes from API_URL and API_KEY, else from <repo>/.local/env (written by make up). Without an
// API that answers, the benchmark skips saying so. Every target it creates is deleted when it ends.
// Locally the figures are bound by moto, not by the function.
func BenchmarkAPIEndToEnd(b *testing.B) {
	c := apiClientFromEnv(b)
	runID := strconv.FormatInt(time.Now().UnixNano(), 36)

	b.Run("op=create", func(b *testing.B) {
		c.createTargets(b, runID+"-create-warm", 1) // the first request may start a function instance
		var lat []time.Duration
		for i := 0; b.Loop(); i++ {
			body := apiSpec(fmt.Sprintf("%s-create-%d", runID, i))
			start := time.Now()
			resp, err := c.do(b.Context(), http.MethodPost, "/urls", body)
			lat = append(lat, time.Since(start))
			c.keepCreated(b, resp, err)
		}
		percentile.Report(b, lat, time.Millisecond, "ms")
	})

	b.Run("op=get", func(b *testing.B) {
		id := c.createTargets(b, runID+"-get", 1)[0]
		var lat []time.Duration
		for b.Loop() {
			start := time.Now()
			resp, err := c.do(b.Context(), http.MethodGet, "/urls/"+id, nil)
			lat = append(lat, time.Since(start))
			apiRequireStatus(b, resp, err, http.StatusOK)
		}
		percentile.Report(b, lat, time.Millisecond, "ms")
	})

	b.Run("op=list", func(b *testing.B) {
		c.createTargets(b, runID+"-list", apiListPage)
		path := "/urls?limit=" + strconv.Itoa(apiListPage)
		resp, err := c.do(b.Context(), http.MethodGet, path, nil)
		apiRequireStatus(b, resp, err, http.StatusOK)
		var page struct {
			Items []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(resp.body, &page); err != nil || len(page.Items) != apiListPage {
			b.Fatalf("GET %s should answer a full page of %d targets: %v: %.300s", path, apiListPage, err, resp.body)
		}
		var lat []time.Duration
		for b.Loop() {
			start := time.Now()
			resp, err := c.do(b.Context(), http.MethodGet, path, nil)
			lat = append(lat, time.Since(start))
			apiRequireStatus(b, resp, err, http.StatusOK)
		}
		percentile.Report(b, lat, time.Millisecond, "ms")
	})
}

// apiClient calls the URL API of one deployment.
type apiClient struct {
	baseURL string
	key     string
	http    *http.Client
}

type apiResponse struct {
	status int
	header http.Header
	body   []byte
}

// apiClientFromEnv finds the API (API_URL and API_KEY, else .local/env) and checks that it answers an
// authenticated list; it skips the benchmark, saying why, when there is none.
func apiClientFromEnv(b *testing.B) *apiClient {
	b.Helper()
	apiURL, key := strings.TrimSpace(os.Getenv("API_URL")), strings.TrimSpace(os.Getenv("API_KEY"))
	source := "API_URL and API_KEY from the environment"
	if apiURL == "" {
		wd, err := os.Getwd()
		if err != nil {
			b.Fatalf("working directory: %v", err)
		}
		root, err := localenv.RepoRoot(wd)
		if err != nil {
			b.Skipf("no API to measure: API_URL is not set and %v", err)
		}
		file := filepath.Join(root, ".local", "env")
		vals, err := localenv.ReadFile(file)
		if err != nil {
			b.Skipf("no API to measure: API_URL is not set and the local stack's settings are unreadable "+
				"(make up writes them): %v", err)
		}
		apiURL, key, source = vals["API_URL"], vals["API_KEY"], file
	}
	if apiURL == "" || key == "" {
		b.Skipf("no API to measure: %s has no API_URL and API_KEY", source)
	}
	c := &apiClient{baseURL: strings.TrimRight(apiURL, "/"), key: key, http: &http.Client{Timeout: apiTimeout}}
	ctx, cancel := context.WithTimeout(b.Context(), 5*time.Second)
	defer cancel()
	resp, err := c.do(ctx, http.MethodGet, "/urls?limit=1", nil)
	switch {
	case err != nil:
		b.Skipf("no API answers at %s (%s): %v; start the local stack with make up", c.baseURL, source, err)
	case resp.status != http.StatusOK:
		b.Skipf("the API at %s (%s) answers GET /urls with %d, not 200: %.200s", c.baseURL, source, resp.status, resp.body)
	}
	b.Logf("API %s (%s)", c.baseURL, source)
	return c
}

// do sends one request with the API key and reads the whole answer.
func (c *apiClient) do(ctx context.Context, method, path string, body []byte) (apiResponse, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+path, rd)
	if err != nil {
		return apiResponse{}, fmt.Errorf("build %s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("x-api-key", c.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return apiResponse{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return apiResponse{}, fmt.Errorf("read the answer to %s %s: %w", method, path, err)
	}
	return apiResponse{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// apiSpec is the body of a target nobody will probe for long: a unique URL under example.com
// (reserved for documentation), with the settings a user would typically send.
func apiSpec(unique string) []byte {
	return []byte(`{"url":"https://example.com/webhealth-bench/` + unique + `","name":"bench ` + unique +
		`","expected_status":[200,204],"latency_threshold_ms":800,"timeout_ms":5000}`)
}

// createTargets creates n targets (untimed set-up) and deletes them when the benchmark ends.
func (c *apiClient) createTargets(b *testing.B, prefix string, n int) []string {
	b.Helper()
	ids := make([]string, 0, n)
	for i := range n {
		resp, err := c.do(b.Context(), http.MethodPost, "/urls", apiSpec(fmt.Sprintf("%s-%d", prefix, i)))
		ids = append(ids, c.keepCreated(b, resp, err))
	}
	return ids
}

// keepCreated requires a 201 and schedules the created target's deletion; it returns the id.
func (c *apiClient) keepCreated(b *testing.B, resp apiResponse, err error) string {
	b.Helper()
	apiRequireStatus(b, resp, err, http.StatusCreated)
	var t struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(resp.body, &t); err != nil || t.ID == "" {
		b.Fatalf("created target without an id: %v: %.300s", err, resp.body)
	}
	b.Cleanup(func() { c.deleteTarget(b, t.ID) })
	return t.ID
}

// deleteTarget removes a target the benchmark created; already gone is fine.
func (c *apiClient) deleteTarget(b *testing.B, id string) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout) // b.Context() is done in Cleanup
	defer cancel()
	resp, err := c.do(ctx, http.MethodDelete, "/urls/"+id, nil)
	if err == nil && resp.status != http.StatusNoContent && resp.status != http.StatusNotFound {
		err = fmt.Errorf("status %d: %.200s", resp.status, resp.body)
	}
	if err != nil {
		b.Errorf("delete benchmark target %s: %v", id, err)
	}
}

func apiRequireStatus(b *testing.B, resp apiResponse, err error, want int) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
	if resp.status != want {
		b.Fatalf("status %d, want %d: %.300s", resp.status, want, resp.body)
	}
}

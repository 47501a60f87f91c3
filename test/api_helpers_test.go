//go:build e2e

package test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/random"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/target"
)

// apiClient talks to the URL API of one deployment (its stage URL and an API key of its usage plan).
type apiClient struct {
	baseURL string
	// basePath is the path part of baseURL ("/v1" on execute-api, "/<api-id>/<stage>" locally): the
	// Location of a created target is basePath + "/urls/" + id.
	basePath string
	key      string
	http     *http.Client
}

func newAPIClient(rawURL, key string) (apiClient, error) {
	u, err := url.Parse(strings.TrimRight(rawURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return apiClient{}, fmt.Errorf("API URL %q is not an http(s) URL with a host", rawURL)
	}
	return apiClient{baseURL: u.String(), basePath: u.EscapedPath(), key: key, http: &http.Client{Timeout: 30 * time.Second}}, nil
}

// apiRequest is one request. Without ContentType a request with a Body is sent as application/json.
type apiRequest struct {
	Method      string
	Path        string
	Body        []byte
	ContentType string
	Headers     map[string]string
	// NoKey sends no x-api-key; Key, when set, is sent instead of the real key.
	NoKey bool
	Key   string
}

type apiResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r apiResponse) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }

// apiErrorBody is the API's error answer {"error": {...}}.
type apiErrorBody struct {
	Code           string `json:"code"`
	Message        string `json:"message"`
	Field          string `json:"field"`
	ExistingID     string `json:"existing_id"`
	CurrentVersion int64  `json:"current_version"`
}

// apiTarget is a target as the API speaks it (docs/design.md, "Target"): the model, with created_at and
// updated_at kept as the text the API sent (the tests compare them as written).
type apiTarget struct {
	target.Target
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

// alarmRecord is one entry of GET /urls/{id}/alarms.
type alarmRecord struct {
	TargetID        string `json:"target_id"`
	MessageID       string `json:"message_id"`
	AlarmName       string `json:"alarm_name"`
	AlarmKind       string `json:"alarm_kind"`
	NewState        string `json:"new_state"`
	OldState        string `json:"old_state"`
	Reason          string `json:"reason"`
	StateChangeTime string `json:"state_change_time"`
	RecordedAt      string `json:"recorded_at"`
	// Muted: the target was muted at the state change (answered only when true).
	Muted bool `json:"muted"`
}

// doE sends one request (never retried: POST is not idempotent) and reads the whole answer.
func (c apiClient) doE(ctx context.Context, r apiRequest) (apiResponse, error) {
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, c.baseURL+r.Path, body)
	if err != nil {
		return apiResponse{}, fmt.Errorf("build %s %s: %w", r.Method, r.Path, err)
	}
	req.Header.Set("Accept", "application/json")
	switch {
	case r.ContentType != "":
		req.Header.Set("Content-Type", r.ContentType)
	case r.Body != nil:
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case r.NoKey:
	case r.Key != "":
		req.Header.Set("x-api-key", r.Key)
	default:
		req.Header.Set("x-api-key", c.key)
	}
	for k, v := range r.Headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return apiResponse{}, fmt.Errorf("%s %s: %w", r.Method, r.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return apiResponse{}, fmt.Errorf("read the answer to %s %s: %w", r.Method, r.Path, err)
	}
	return apiResponse{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

func (c apiClient) do(t *testing.T, r apiRequest) apiResponse {
	t.Helper()
	resp, err := c.doE(t.Context(), r)
	require.NoError(t, err)
	return resp
}

// mustJSON encodes v (a test's own request body).
func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func decodeTarget(t *testing.T, resp apiResponse) apiTarget {
	t.Helper()
	var tg apiTarget
	require.NoError(t, json.Unmarshal(resp.Body, &tg), "target JSON: %s", resp.Body)
	return tg
}

func decodeError(t *testing.T, resp apiResponse) apiErrorBody {
	t.Helper()
	var e struct {
		Error *apiErrorBody `json:"error"`
	}
	require.NoError(t, json.Unmarshal(resp.Body, &e), "error JSON: %s", resp.Body)
	require.NotNil(t, e.Error, "the answer has no error object: %s", resp.Body)
	return *e.Error
}

// requireError asserts an error answer: status and code, and the field when wantField is not empty.
func requireError(t *testing.T, resp apiResponse, status int, code, wantField string) apiErrorBody {
	t.Helper()
	require.Equal(t, status, resp.Status, "answer: %s", resp.Body)
	e := decodeError(t, resp)
	require.Equal(t, code, e.Code, "error code; answer: %s", resp.Body)
	require.NotEmpty(t, e.Message, "an error carries a message for humans")
	if wantField != "" {
		require.Equal(t, wantField, e.Field, "error field; answer: %s", resp.Body)
	}
	return e
}

// createTarget POSTs spec, requires 201 and deletes the target when the test ends (a 404 then is fine:
// the test deleted it itself).
func (c apiClient) createTarget(t *testing.T, spec map[string]any) (apiTarget, apiResponse) {
	t.Helper()
	resp := c.do(t, apiRequest{Method: http.MethodPost, Path: "/urls", Body: mustJSON(t, spec)})
	require.Equal(t, http.StatusCreated, resp.Status, "POST /urls %v: %s", spec, resp.Body)
	tg := decodeTarget(t, resp)
	require.Regexp(t, smokeIDPattern, tg.ID, "created target id")
	c.deleteAtCleanup(t, tg.ID)
	return tg, resp
}

func (c apiClient) deleteAtCleanup(t *testing.T, id string) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		resp, err := c.doE(ctx, apiRequest{Method: http.MethodDelete, Path: "/urls/" + id})
		if err != nil {
			t.Errorf("cleanup: delete target %s: %v", id, err)
			return
		}
		if resp.Status != http.StatusNoContent && resp.Status != http.StatusNotFound {
			t.Errorf("cleanup: DELETE /urls/%s answered %s", id, resp)
		}
	})
}

func (c apiClient) getTarget(t *testing.T, id string) apiTarget {
	t.Helper()
	resp := c.do(t, apiRequest{Method: http.MethodGet, Path: "/urls/" + id})
	require.Equal(t, http.StatusOK, resp.Status, "GET /urls/%s: %s", id, resp.Body)
	return decodeTarget(t, resp)
}

// getTargetRawE is getTarget for retry loops; it also returns the members of the answer's last_check
// object as sent (nil without one), so a test can tell a member that is absent from one that is zero.
func (c apiClient) getTargetRawE(ctx context.Context, id string) (apiTarget, map[string]json.RawMessage, error) {
	resp, err := c.doE(ctx, apiRequest{Method: http.MethodGet, Path: "/urls/" + id})
	if err != nil {
		return apiTarget{}, nil, err
	}
	if resp.Status != http.StatusOK {
		return apiTarget{}, nil, fmt.Errorf("GET /urls/%s answered %s", id, resp)
	}
	var tg apiTarget
	var raw struct {
		LastCheck map[string]json.RawMessage `json:"last_check"`
	}
	if err := errors.Join(json.Unmarshal(resp.Body, &tg), json.Unmarshal(resp.Body, &raw)); err != nil {
		return apiTarget{}, nil, fmt.Errorf("GET /urls/%s: %w: %s", id, err, resp.Body)
	}
	return tg, raw.LastCheck, nil
}

// alarmHistoryE reads a target's whole alarm history (newest first).
func (c apiClient) alarmHistoryE(ctx context.Context, id string) ([]alarmRecord, error) {
	var all []alarmRecord
	token := ""
	for range 100 {
		path := "/urls/" + id + "/alarms?limit=100"
		if token != "" {
			path += "&next_token=" + url.QueryEscape(token)
		}
		resp, err := c.doE(ctx, apiRequest{Method: http.MethodGet, Path: path})
		if err != nil {
			return nil, err
		}
		if resp.Status != http.StatusOK {
			return nil, fmt.Errorf("GET %s answered %s", path, resp)
		}
		var page struct {
			Items     []alarmRecord `json:"items"`
			NextToken string        `json:"next_token"`
		}
		if err := json.Unmarshal(resp.Body, &page); err != nil {
			return nil, fmt.Errorf("GET %s: %w: %s", path, err, resp.Body)
		}
		all = append(all, page.Items...)
		if token = page.NextToken; token == "" {
			return all, nil
		}
	}
	return nil, fmt.Errorf("the alarm history of %s did not end within 100 pages", id)
}

// listPage is one page of GET /urls.
type listPage struct {
	Items     []apiTarget `json:"items"`
	NextToken *string     `json:"next_token"`
}

// listAll pages through GET /urls with the given limit and returns every page (bounded, so a token that
// never ends fails the test instead of hanging it).
func (c apiClient) listAll(t *testing.T, limit int) []listPage {
	t.Helper()
	var pages []listPage
	token := ""
	for range 2000 {
		path := "/urls?limit=" + strconv.Itoa(limit)
		if token != "" {
			path += "&next_token=" + url.QueryEscape(token)
		}
		resp := c.do(t, apiRequest{Method: http.MethodGet, Path: path})
		require.Equal(t, http.StatusOK, resp.Status, "GET %s: %s", path, resp.Body)
		var page listPage
		require.NoError(t, json.Unmarshal(resp.Body, &page), "list JSON: %s", resp.Body)
		require.NotNil(t, page.Items, "a list answer always has an items array: %s", resp.Body)
		pages = append(pages, page)
		if page.NextToken == nil {
			return pages
		}
		require.NotEmpty(t, *page.NextToken, "next_token is absent on the last page, never empty: %s", resp.Body)
		token = *page.NextToken
	}
	t.Fatalf("GET /urls?limit=%d did not reach its last page within 2000 pages", limit)
	return nil
}

// allTargets lists every target (all pages).
func (c apiClient) allTargets(t *testing.T) []apiTarget {
	t.Helper()
	var out []apiTarget
	for _, p := range c.listAll(t, 100) {
		out = append(out, p.Items...)
	}
	return out
}

// uniqueName is a per-run name fragment (lower case, so it survives URL normalization unchanged).
func uniqueName() string { return strings.ToLower(random.UniqueId()) }

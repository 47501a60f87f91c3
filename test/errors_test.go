//go:build e2e

package test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestURLsErrorContract: each class of bad input gets its 4xx status and error code (and the field it
// is about), and changes nothing: every bad create or replace carries a name no other request uses, and
// afterwards no target has one of those names or URLs, and the target the bad replaces aimed at is as it was.
func TestURLsErrorContract(t *testing.T) {
	t.Parallel()
	s := testStack(t)
	api := s.api
	ref, _ := api.createTarget(t, map[string]any{"url": s.inertURL("errors-ref"), "name": "e2e error contract reference", "enabled": false})
	refPath := "/urls/" + ref.ID

	marker := "e2e-bad-" + uniqueName()
	goodURL := s.inertURL("errors") // valid, and free: any stored target with it is a leak
	u, err := url.Parse(goodURL)
	require.NoError(t, err)
	host := u.Host // the URL classes below differ from goodURL in one respect only

	// body builds a create/replace body: goodURL and the marker name, with the given fields set on top
	// (a nil value removes the field).
	n := 0
	body := func(fields map[string]any) []byte {
		n++
		b := map[string]any{"url": goodURL, "name": fmt.Sprintf("%s-%d", marker, n), "enabled": false}
		for k, v := range fields {
			if v == nil {
				delete(b, k)
				continue
			}
			b[k] = v
		}
		return mustJSON(t, b)
	}
	raw := func(s string) []byte { n++; return []byte(s) }
	soon := time.Now().Add(time.Hour).UTC().Format(time.RFC3339) // a valid mute, for the reason cases

	type errCase struct {
		name   string
		req    apiRequest
		status int
		code   string
		field  string
		allow  string
	}
	// The same bad bodies go to POST /urls and to PUT /urls/{ref}.
	bodyCases := []struct {
		name        string
		body        []byte
		contentType string
		status      int
		code        string
		field       string
	}{
		{name: "malformed JSON", body: raw(`{"url": "` + goodURL + `", "name": "` + marker + `-syntax"`), status: 400, code: "malformed_json"},
		{name: "JSON not an object", body: raw(`["` + goodURL + `"]`), status: 400, code: "malformed_json"},
		{name: "empty body", body: raw(""), status: 400, code: "malformed_json"},
		{name: "trailing data", body: raw(`{"url": "` + goodURL + `", "name": "` + marker + `-trailing"} {}`), status: 400, code: "malformed_json"},
		{name: "duplicate key", body: raw(`{"url": "` + goodURL + `", "url": "` + goodURL + `", "name": "` + marker + `-dupkey"}`), status: 400, code: "malformed_json"},
		{name: "unknown field", body: body(map[string]any{"colour": "red"}), status: 400, code: "unknown_field", field: "colour"},
		{name: "wrong type: string for a number", body: body(map[string]any{"timeout_ms": "fast"}), status: 400, code: "invalid_type", field: "timeout_ms"},
		{name: "wrong type: string for a boolean", body: body(map[string]any{"enabled": "yes"}), status: 400, code: "invalid_type", field: "enabled"},
		{name: "wrong type: number for the URL", body: body(map[string]any{"url": 42}), status: 400, code: "invalid_type", field: "url"},
		{name: "wrong type: object for expected_status", body: body(map[string]any{"expected_status": map[string]int{"a": 200}}), status: 400, code: "invalid_type", field: "expected_status"},
		{name: "body too large", body: body(map[string]any{"body_contains": strings.Repeat("x", 17<<10)}), status: 413, code: "payload_too_large"},
		{name: "wrong content type", body: body(nil), contentType: "text/plain", status: 415, code: "unsupported_media_type"},
		{name: "form content type", body: body(nil), contentType: "application/x-www-form-urlencoded", status: 415, code: "unsupported_media_type"},
		{name: "url missing", body: body(map[string]any{"url": nil}), status: 400, code: "invalid_field", field: "url"},
		{name: "url not absolute", body: body(map[string]any{"url": "/just/a/path"}), status: 400, code: "invalid_field", field: "url"},
		{name: "ftp scheme", body: body(map[string]any{"url": "ftp://" + host + "/file"}), status: 400, code: "invalid_field", field: "url"},
		{name: "missing host", body: body(map[string]any{"url": "http:///" + marker}), status: 400, code: "invalid_field", field: "url"},
		{name: "userinfo", body: body(map[string]any{"url": "http://user:secret@" + host + "/" + marker}), status: 400, code: "invalid_field", field: "url"},
		{name: "url too long", body: body(map[string]any{"url": goodURL + "/" + strings.Repeat("a", 2048)}), status: 400, code: "invalid_field", field: "url"},
		{name: "metadata address IPv4", body: body(map[string]any{"url": "http://169.254.169.254/latest/meta-data/"}), status: 400, code: "invalid_field", field: "url"},
		{name: "metadata address IPv6", body: body(map[string]any{"url": "http://[fd00:ec2::254]/latest/meta-data/"}), status: 400, code: "invalid_field", field: "url"},
		{name: "metadata address in fullwidth digits", body: body(map[string]any{"url": "http://１６９.２５４.１６９.２５４/latest/meta-data/"}), status: 400, code: "invalid_field", field: "url"},
		{name: "metadata address with ideographic full stops", body: body(map[string]any{"url": "http://169。254。169。254/latest/meta-data/"}), status: 400, code: "invalid_field", field: "url"},
		{name: "metadata address as a fullwidth number", body: body(map[string]any{"url": "http://２８５２０３９１６６/latest/meta-data/"}), status: 400, code: "invalid_field", field: "url"},
		{name: "host not a valid domain name", body: body(map[string]any{"url": "http://xn--a.example/" + marker}), status: 400, code: "invalid_field", field: "url"},
		{name: "name too long", body: body(map[string]any{"name": marker + strings.Repeat("n", 128)}), status: 400, code: "invalid_field", field: "name"},
		{name: "name with a control character", body: body(map[string]any{"name": marker + "-\x1b[31mDOWN"}), status: 400, code: "invalid_field", field: "name"},
		{name: "name with a line break", body: body(map[string]any{"name": marker + "-\r\nSubject: forged"}), status: 400, code: "invalid_field", field: "name"},
		{name: "name with a bidi override", body: body(map[string]any{"name": marker + "-\u202etxt.exe"}), status: 400, code: "invalid_field", field: "name"},
		{name: "timeout_ms below 100", body: body(map[string]any{"timeout_ms": 99}), status: 400, code: "invalid_field", field: "timeout_ms"},
		{name: "timeout_ms above 30000", body: body(map[string]any{"timeout_ms": 30001}), status: 400, code: "invalid_field", field: "timeout_ms"},
		{name: "latency_threshold_ms below 1", body: body(map[string]any{"latency_threshold_ms": 0}), status: 400, code: "invalid_field", field: "latency_threshold_ms"},
		{name: "latency_threshold_ms above timeout_ms", body: body(map[string]any{"latency_threshold_ms": 2000, "timeout_ms": 1000}), status: 400, code: "invalid_field", field: "latency_threshold_ms"},
		{name: "expected_status empty", body: body(map[string]any{"expected_status": []int{}}), status: 400, code: "invalid_field", field: "expected_status"},
		{name: "expected_status below 100", body: body(map[string]any{"expected_status": []int{99}}), status: 400, code: "invalid_field", field: "expected_status"},
		{name: "expected_status above 599", body: body(map[string]any{"expected_status": []int{600}}), status: 400, code: "invalid_field", field: "expected_status"},
		{name: "expected_status more than 20", body: body(map[string]any{"expected_status": statusRange(200, 221)}), status: 400, code: "invalid_field", field: "expected_status"},
		{name: "method not GET or HEAD", body: body(map[string]any{"method": "POST"}), status: 400, code: "invalid_field", field: "method"},
		{name: "body_contains with HEAD", body: body(map[string]any{"method": "HEAD", "body_contains": "ok"}), status: 400, code: "invalid_field", field: "body_contains"},
		{name: "body_contains too long", body: body(map[string]any{"body_contains": strings.Repeat("b", 1025)}), status: 400, code: "invalid_field", field: "body_contains"},
		{name: "muted_until in the past", body: body(map[string]any{"muted_until": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)}), status: 400, code: "invalid_field", field: "muted_until"},
		{name: "muted_until more than 30 days ahead", body: body(map[string]any{"muted_until": time.Now().Add(31 * 24 * time.Hour).UTC().Format(time.RFC3339)}), status: 400, code: "invalid_field", field: "muted_until"},
		{name: "muted_until not a time", body: body(map[string]any{"muted_until": "tomorrow"}), status: 400, code: "invalid_field", field: "muted_until"},
		{name: "muted_until without a zone", body: body(map[string]any{"muted_until": soon[:19]}), status: 400, code: "invalid_field", field: "muted_until"},
		{name: "wrong type: number for muted_until", body: body(map[string]any{"muted_until": 1790000000}), status: 400, code: "invalid_type", field: "muted_until"},
		{name: "mute_reason without muted_until", body: body(map[string]any{"mute_reason": "maintenance"}), status: 400, code: "invalid_field", field: "mute_reason"},
		{name: "mute_reason too long", body: body(map[string]any{"muted_until": soon, "mute_reason": strings.Repeat("r", 257)}), status: 400, code: "invalid_field", field: "mute_reason"},
		{name: "mute_reason with a line break", body: body(map[string]any{"muted_until": soon, "mute_reason": "ok\r\nSubject: forged"}), status: 400, code: "invalid_field", field: "mute_reason"},
		{name: "wrong type: boolean for mute_reason", body: body(map[string]any{"muted_until": soon, "mute_reason": true}), status: 400, code: "invalid_type", field: "mute_reason"},
		{name: "cert_expiry_threshold_days 0", body: body(map[string]any{"cert_expiry_threshold_days": 0}), status: 400, code: "invalid_field", field: "cert_expiry_threshold_days"},
		{name: "cert_expiry_threshold_days 366", body: body(map[string]any{"cert_expiry_threshold_days": 366}), status: 400, code: "invalid_field", field: "cert_expiry_threshold_days"},
		{name: "wrong type: string for cert_expiry_threshold_days", body: body(map[string]any{"cert_expiry_threshold_days": "14"}), status: 400, code: "invalid_type", field: "cert_expiry_threshold_days"},
	}
	var cases []errCase
	for _, bc := range bodyCases {
		for _, target := range []struct{ method, path string }{{http.MethodPost, "/urls"}, {http.MethodPut, refPath}} {
			cases = append(cases, errCase{
				name:   target.method + " " + bc.name,
				req:    apiRequest{Method: target.method, Path: target.path, Body: bc.body, ContentType: bc.contentType},
				status: bc.status, code: bc.code, field: bc.field,
			})
		}
	}
	unknownID := strings.Repeat("0", 31) + "1"
	cases = append(cases,
		errCase{name: "PUT with a malformed If-Match", req: apiRequest{Method: http.MethodPut, Path: refPath, Body: body(nil), Headers: map[string]string{"If-Match": `"one"`}}, status: 400, code: "invalid_if_match"},
		errCase{name: "list with a bad next_token", req: apiRequest{Method: http.MethodGet, Path: "/urls?next_token=" + marker}, status: 400, code: "invalid_next_token", field: "next_token"},
		errCase{name: "alarm history with a bad next_token", req: apiRequest{Method: http.MethodGet, Path: refPath + "/alarms?next_token=" + marker}, status: 400, code: "invalid_next_token", field: "next_token"},
		errCase{name: "list with limit 0", req: apiRequest{Method: http.MethodGet, Path: "/urls?limit=0"}, status: 400, code: "invalid_limit", field: "limit"},
		errCase{name: "list with limit 101", req: apiRequest{Method: http.MethodGet, Path: "/urls?limit=101"}, status: 400, code: "invalid_limit", field: "limit"},
		errCase{name: "list with limit not a number", req: apiRequest{Method: http.MethodGet, Path: "/urls?limit=ten"}, status: 400, code: "invalid_limit", field: "limit"},
		errCase{name: "unknown route", req: apiRequest{Method: http.MethodGet, Path: "/" + marker}, status: 404, code: "not_found"},
		errCase{name: "unknown sub-resource", req: apiRequest{Method: http.MethodGet, Path: refPath + "/" + marker}, status: 404, code: "not_found"},
		errCase{name: "malformed id", req: apiRequest{Method: http.MethodGet, Path: "/urls/" + marker}, status: 404, code: "not_found"},
		errCase{name: "unknown id", req: apiRequest{Method: http.MethodGet, Path: "/urls/" + unknownID}, status: 404, code: "not_found"},
		errCase{name: "PUT unknown id", req: apiRequest{Method: http.MethodPut, Path: "/urls/" + unknownID, Body: body(nil)}, status: 404, code: "not_found"},
		errCase{name: "PATCH /urls", req: apiRequest{Method: http.MethodPatch, Path: "/urls", Body: body(nil)}, status: 405, code: "method_not_allowed", allow: "GET, POST, OPTIONS"},
		errCase{name: "DELETE /urls", req: apiRequest{Method: http.MethodDelete, Path: "/urls"}, status: 405, code: "method_not_allowed", allow: "GET, POST, OPTIONS"},
		errCase{name: "POST /urls/{id}", req: apiRequest{Method: http.MethodPost, Path: refPath, Body: body(nil)}, status: 405, code: "method_not_allowed", allow: "GET, PUT, DELETE, OPTIONS"},
		errCase{name: "PATCH /urls/{id}", req: apiRequest{Method: http.MethodPatch, Path: refPath, Body: body(nil)}, status: 405, code: "method_not_allowed", allow: "GET, PUT, DELETE, OPTIONS"},
		errCase{name: "DELETE /urls/{id}/alarms", req: apiRequest{Method: http.MethodDelete, Path: refPath + "/alarms"}, status: 405, code: "method_not_allowed", allow: "GET, OPTIONS"},
	)

	t.Run("cases", func(t *testing.T) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				resp := api.do(t, tc.req)
				requireError(t, resp, tc.status, tc.code, tc.field)
				assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
				if tc.allow != "" {
					assert.Equal(t, tc.allow, resp.Header.Get("Allow"), "405 names the allowed methods")
				}
			})
		}
	})

	t.Run("nothing changed", func(t *testing.T) {
		assert.Equal(t, ref, withoutLastCheck(api.getTarget(t, ref.ID)), "no bad replace touched the reference target")
		for _, tg := range api.allTargets(t) {
			assert.False(t, strings.HasPrefix(tg.Name, marker), "a bad request stored target %s (%q)", tg.ID, tg.Name)
			assert.NotEqual(t, goodURL, tg.URL, "a bad request stored target %s for %s", tg.ID, goodURL)
		}
	})
}

func statusRange(from, to int) []int {
	var out []int
	for c := from; c < to; c++ {
		out = append(out, c)
	}
	return out
}

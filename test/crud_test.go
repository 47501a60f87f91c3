//go:build e2e

package test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestURLsCreateAndRead: POST /urls with only a URL stores the target with the documented defaults and
// the normalized URL, answers 201 with Location and ETag, and GET returns the same target.
func TestURLsCreateAndRead(t *testing.T) {
	t.Parallel()
	s := testStack(t)
	api := s.api
	raw := s.inertURL("create")
	want := raw
	spelled := respell(t, raw)
	require.NotEqual(t, raw, spelled)

	before := time.Now().UTC().Add(-time.Minute) // clocks of the API and of this machine may differ a little
	created, resp := api.createTarget(t, map[string]any{"url": spelled})

	assert.Equal(t, api.basePath+"/urls/"+created.ID, resp.Header.Get("Location"), "Location is the path the client called plus the id")
	assert.Equal(t, `"1"`, resp.Header.Get("ETag"))
	assert.Equal(t, want, created.URL, "the URL is stored normalized (scheme and host lower-cased, default port and fragment dropped)")
	u, err := url.Parse(want)
	require.NoError(t, err)
	assert.Equal(t, u.Hostname(), created.Name, "name defaults to the host")
	assert.True(t, created.Enabled, "enabled defaults to true")
	assert.Equal(t, []int{200}, created.ExpectedStatus, "expected_status defaults to [200]")
	assert.Equal(t, 1000, created.LatencyThresholdMS, "latency_threshold_ms defaults to 1000")
	assert.Equal(t, 10000, created.TimeoutMS, "timeout_ms defaults to 10000")
	assert.Equal(t, "GET", created.Method, "method defaults to GET")
	assert.Empty(t, created.BodyContains)
	assert.Equal(t, int64(1), created.Version, "a new target starts at version 1")
	assert.Nil(t, created.LastCheck, "a new target has not been checked")
	createdAt, err := time.Parse(time.RFC3339, created.CreatedAt)
	require.NoError(t, err, "created_at is RFC 3339")
	assert.True(t, createdAt.After(before), "created_at %s is the creation time", created.CreatedAt)
	assert.Equal(t, created.CreatedAt, created.UpdatedAt, "a new target was never updated")

	got := api.do(t, apiRequest{Method: http.MethodGet, Path: "/urls/" + created.ID})
	require.Equal(t, http.StatusOK, got.Status, "GET: %s", got.Body)
	assert.Equal(t, `"1"`, got.Header.Get("ETag"))
	read := decodeTarget(t, got)
	read.LastCheck = nil // the crawler may have checked it meanwhile; it never changes the rest
	assert.Equal(t, created, read, "GET returns what POST stored")

	t.Run("every field given is stored as given", func(t *testing.T) {
		spec := map[string]any{
			"url": s.inertURL("fields"), "name": "e2e all fields", "enabled": false,
			"expected_status": []int{200, 204, 301}, "latency_threshold_ms": 250, "timeout_ms": 750,
			"method": "GET", "body_contains": "ok",
		}
		tg, _ := api.createTarget(t, spec)
		assert.Equal(t, spec["url"], tg.URL)
		assert.Equal(t, "e2e all fields", tg.Name)
		assert.False(t, tg.Enabled)
		assert.Equal(t, []int{200, 204, 301}, tg.ExpectedStatus)
		assert.Equal(t, 250, tg.LatencyThresholdMS)
		assert.Equal(t, 750, tg.TimeoutMS)
		assert.Equal(t, "ok", tg.BodyContains)
		assert.Equal(t, tg, withoutLastCheck(api.getTarget(t, tg.ID)))
	})
}

// TestURLsMuteAndCertThreshold: muted_until, mute_reason and cert_expiry_threshold_days are stored as
// given (the time in UTC) and answered by GET; a replace without them, or with null, unmutes and goes
// back to the environment's threshold: the answer then says null.
func TestURLsMuteAndCertThreshold(t *testing.T) {
	t.Parallel()
	s := testStack(t)
	api := s.api
	until := time.Now().Add(2 * time.Hour).Truncate(time.Second)
	offset := until.In(time.FixedZone("", -5*3600)).Format(time.RFC3339) // the same instant, written at -05:00
	spec := map[string]any{"url": s.inertURL("mute"), "name": "e2e mute", "enabled": false,
		"muted_until": offset, "mute_reason": "planned maintenance", "cert_expiry_threshold_days": 30}
	created, _ := api.createTarget(t, spec)
	require.NotNil(t, created.MutedUntil)
	assert.True(t, until.Equal(*created.MutedUntil), "muted_until %s is the instant sent (%s)", created.MutedUntil, offset)
	assert.Equal(t, time.UTC, created.MutedUntil.Location(), "answered in UTC")
	assert.Equal(t, "planned maintenance", created.MuteReason)
	require.NotNil(t, created.CertExpiryThresholdDays)
	assert.Equal(t, 30, *created.CertExpiryThresholdDays)
	assert.True(t, created.Muted(time.Now()))
	assert.Equal(t, created, withoutLastCheck(api.getTarget(t, created.ID)), "GET returns the mute as stored")

	// members answers the three members of GET as sent.
	members := func(t *testing.T) map[string]json.RawMessage {
		t.Helper()
		resp := api.do(t, apiRequest{Method: http.MethodGet, Path: "/urls/" + created.ID})
		require.Equal(t, http.StatusOK, resp.Status, resp.Body)
		var raw map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(resp.Body, &raw))
		return map[string]json.RawMessage{"muted_until": raw["muted_until"], "mute_reason": raw["mute_reason"],
			"cert_expiry_threshold_days": raw["cert_expiry_threshold_days"]}
	}
	unmuted := map[string]json.RawMessage{"muted_until": json.RawMessage(`null`), "mute_reason": json.RawMessage(`""`),
		"cert_expiry_threshold_days": json.RawMessage(`null`)}

	for _, tc := range []struct {
		name string
		spec map[string]any
	}{
		{name: "a replace without them", spec: map[string]any{"url": created.URL, "name": "e2e mute", "enabled": false}},
		{name: "a replace with null", spec: map[string]any{"url": created.URL, "name": "e2e mute", "enabled": false,
			"muted_until": nil, "mute_reason": nil, "cert_expiry_threshold_days": nil}},
	} {
		t.Run(tc.name+" unmutes", func(t *testing.T) {
			// mute again first, so each case starts muted
			resp := api.do(t, apiRequest{Method: http.MethodPut, Path: "/urls/" + created.ID, Body: mustJSON(t, spec)})
			require.Equal(t, http.StatusOK, resp.Status, resp.Body)
			require.True(t, decodeTarget(t, resp).Muted(time.Now()))

			resp = api.do(t, apiRequest{Method: http.MethodPut, Path: "/urls/" + created.ID, Body: mustJSON(t, tc.spec)})
			require.Equal(t, http.StatusOK, resp.Status, resp.Body)
			got := decodeTarget(t, resp)
			assert.Nil(t, got.MutedUntil)
			assert.Empty(t, got.MuteReason)
			assert.Nil(t, got.CertExpiryThresholdDays)
			assert.False(t, got.Muted(time.Now()))
			assert.Equal(t, unmuted, members(t), "GET answers null (and an empty reason)")
		})
	}
}

// TestURLsListPagination: with limit=2 the list pages through every target, each exactly once, no page
// longer than the limit, next_token absent only on the last page.
func TestURLsListPagination(t *testing.T) {
	t.Parallel()
	s := testStack(t)
	api := s.api
	mine := map[string]bool{}
	for range 5 {
		tg, _ := api.createTarget(t, map[string]any{"url": s.inertURL("list"), "enabled": false})
		mine[tg.ID] = false
	}

	seen := map[string]int{}
	pages := api.listAll(t, 2)
	for i, p := range pages {
		assert.LessOrEqual(t, len(p.Items), 2, "page %d is longer than limit=2", i)
		for _, tg := range p.Items {
			seen[tg.ID]++
		}
	}
	for id, n := range seen {
		assert.Equal(t, 1, n, "target %s listed %d times", id, n)
	}
	for id := range mine {
		assert.Equal(t, 1, seen[id], "target %s created by this test is listed exactly once", id)
	}
	assert.GreaterOrEqual(t, len(pages), 3, "5 targets with limit=2 take at least 3 pages")
	t.Logf("%d pages, %d targets", len(pages), len(seen))

	t.Run("default and maximum limits", func(t *testing.T) {
		for _, limit := range []string{"", "1", "100"} {
			resp := api.do(t, apiRequest{Method: http.MethodGet, Path: "/urls?limit=" + limit})
			require.Equal(t, http.StatusOK, resp.Status, "limit=%q: %s", limit, resp.Body)
		}
	})
}

// TestURLsReplace: PUT with the current version replaces (200, version+1, new ETag, created_at kept);
// PUT with a stale version is refused with 412 version_conflict and changes nothing; PUT without If-Match
// replaces unconditionally.
func TestURLsReplace(t *testing.T) {
	t.Parallel()
	s := testStack(t)
	api := s.api
	created, _ := api.createTarget(t, map[string]any{"url": s.inertURL("replace"), "name": "before", "enabled": false})

	newURL := s.inertURL("replaced")
	spec := map[string]any{"url": newURL, "name": "after", "enabled": false, "expected_status": []int{200, 204}, "timeout_ms": 2000}
	resp := api.do(t, apiRequest{Method: http.MethodPut, Path: "/urls/" + created.ID, Body: mustJSON(t, spec), Headers: map[string]string{"If-Match": `"1"`}})
	require.Equal(t, http.StatusOK, resp.Status, "PUT with the current version: %s", resp.Body)
	assert.Equal(t, `"2"`, resp.Header.Get("ETag"))
	replaced := decodeTarget(t, resp)
	assert.Equal(t, created.ID, replaced.ID)
	assert.Equal(t, int64(2), replaced.Version)
	assert.Equal(t, newURL, replaced.URL)
	assert.Equal(t, "after", replaced.Name)
	assert.Equal(t, []int{200, 204}, replaced.ExpectedStatus)
	assert.Equal(t, 2000, replaced.TimeoutMS)
	assert.Equal(t, 1000, replaced.LatencyThresholdMS, "a replace is whole: absent fields take their defaults")
	assert.Equal(t, created.CreatedAt, replaced.CreatedAt, "created_at survives a replace")
	assert.GreaterOrEqual(t, replaced.UpdatedAt, created.UpdatedAt)
	assert.Equal(t, replaced, withoutLastCheck(api.getTarget(t, created.ID)))

	t.Run("a stale version is refused and changes nothing", func(t *testing.T) {
		stale := map[string]any{"url": s.inertURL("stale"), "name": "stale", "enabled": false}
		for _, ifMatch := range []string{`"1"`, `1`, `W/"1"`} {
			resp := api.do(t, apiRequest{Method: http.MethodPut, Path: "/urls/" + created.ID, Body: mustJSON(t, stale), Headers: map[string]string{"If-Match": ifMatch}})
			e := requireError(t, resp, http.StatusPreconditionFailed, "version_conflict", "")
			assert.Equal(t, int64(2), e.CurrentVersion, "If-Match %s: the error names the current version", ifMatch)
		}
		assert.Equal(t, replaced, withoutLastCheck(api.getTarget(t, created.ID)), "a refused replace leaves the target as it was")
		assertNoTargetWithURL(t, api, stale["url"].(string))
	})

	t.Run("without If-Match the replace is unconditional", func(t *testing.T) {
		resp := api.do(t, apiRequest{Method: http.MethodPut, Path: "/urls/" + created.ID, Body: mustJSON(t, map[string]any{"url": newURL, "name": "unconditional", "enabled": false})})
		require.Equal(t, http.StatusOK, resp.Status, "PUT without If-Match: %s", resp.Body)
		got := decodeTarget(t, resp)
		assert.Equal(t, int64(3), got.Version)
		assert.Equal(t, "unconditional", got.Name)
		assert.Equal(t, `"3"`, resp.Header.Get("ETag"))
	})

	t.Run("If-Match * is unconditional too", func(t *testing.T) {
		resp := api.do(t, apiRequest{Method: http.MethodPut, Path: "/urls/" + created.ID, Body: mustJSON(t, map[string]any{"url": newURL, "enabled": false}), Headers: map[string]string{"If-Match": "*"}})
		require.Equal(t, http.StatusOK, resp.Status, "PUT If-Match *: %s", resp.Body)
		assert.Equal(t, int64(4), decodeTarget(t, resp).Version)
	})

	t.Run("the old URL is free again after the replace", func(t *testing.T) {
		api.createTarget(t, map[string]any{"url": created.URL, "enabled": false})
	})
}

// TestURLsDelete: DELETE answers 204 with no body; afterwards the target, its alarm history, a second
// DELETE and a PUT all answer 404, and its URL can be used again.
func TestURLsDelete(t *testing.T) {
	t.Parallel()
	s := testStack(t)
	api := s.api
	created, _ := api.createTarget(t, map[string]any{"url": s.inertURL("delete"), "enabled": false})

	resp := api.do(t, apiRequest{Method: http.MethodDelete, Path: "/urls/" + created.ID})
	require.Equal(t, http.StatusNoContent, resp.Status, "DELETE: %s", resp.Body)
	assert.Empty(t, resp.Body, "204 has no body")

	for _, r := range []apiRequest{
		{Method: http.MethodGet, Path: "/urls/" + created.ID},
		{Method: http.MethodGet, Path: "/urls/" + created.ID + "/alarms"},
		{Method: http.MethodDelete, Path: "/urls/" + created.ID},
		{Method: http.MethodPut, Path: "/urls/" + created.ID, Body: mustJSON(t, map[string]any{"url": created.URL})},
	} {
		t.Run(r.Method+" "+strings.Replace(r.Path, created.ID, "{id}", 1), func(t *testing.T) {
			requireError(t, api.do(t, r), http.StatusNotFound, "not_found", "")
		})
	}
	assertNoTargetWithURL(t, api, created.URL)

	t.Run("the URL is free again", func(t *testing.T) {
		again, _ := api.createTarget(t, map[string]any{"url": created.URL, "enabled": false})
		assert.NotEqual(t, created.ID, again.ID, "a new target gets a new id")
	})
}

// TestURLsDuplicate: a second target for the same normalized URL, however it is spelled, is refused with
// 409 duplicate_url naming the existing target; neither a create nor a replace gets through.
func TestURLsDuplicate(t *testing.T) {
	t.Parallel()
	s := testStack(t)
	api := s.api
	first, _ := api.createTarget(t, map[string]any{"url": s.inertURL("dup"), "enabled": false})

	for name, spelling := range map[string]string{
		"same spelling":                 first.URL,
		"different spelling":            respell(t, first.URL),
		"fullwidth host":                fullwidthHost(t, first.URL),
		"trailing dot and escaped path": dotAndEscapes(t, first.URL),
	} {
		t.Run("create with the "+name, func(t *testing.T) {
			resp := api.do(t, apiRequest{Method: http.MethodPost, Path: "/urls", Body: mustJSON(t, map[string]any{"url": spelling, "name": "dup", "enabled": false})})
			e := requireError(t, resp, http.StatusConflict, "duplicate_url", "")
			assert.Equal(t, first.ID, e.ExistingID, "the error names the existing target")
		})
	}

	t.Run("replace onto a taken URL", func(t *testing.T) {
		other, _ := api.createTarget(t, map[string]any{"url": s.inertURL("dup-other"), "enabled": false})
		resp := api.do(t, apiRequest{Method: http.MethodPut, Path: "/urls/" + other.ID, Body: mustJSON(t, map[string]any{"url": respell(t, first.URL), "enabled": false})})
		e := requireError(t, resp, http.StatusConflict, "duplicate_url", "")
		assert.Equal(t, first.ID, e.ExistingID)
		assert.Equal(t, other, withoutLastCheck(api.getTarget(t, other.ID)), "the refused replace changed nothing")
	})

	var count int
	for _, tg := range api.allTargets(t) {
		if tg.URL == first.URL {
			count++
		}
	}
	assert.Equal(t, 1, count, "exactly one target watches %s", first.URL)
}

// respell writes the same URL differently: upper-case scheme and host, the default port spelled out
// (when the URL has none) and a fragment. Normalization maps it back.
func respell(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	host := strings.ToUpper(u.Hostname())
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return strings.ToUpper(u.Scheme) + "://" + host + ":" + port + u.EscapedPath() + queryPart(u) + "#e2e-fragment"
}

// fullwidthHost writes the host in fullwidth forms (ｅｘａｍｐｌｅ．ｃｏｍ, １２７．０．０．１), which UTS-46
// maps back to the ASCII host.
func fullwidthHost(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	require.NotContains(t, u.Host, "[", "an IPv6 literal has no fullwidth spelling")
	wide := strings.Map(func(r rune) rune {
		if r > ' ' && r < 0x7f {
			return r + 0xfee0 // U+FF01..U+FF5E: the fullwidth forms of '!'..'~'
		}
		return r
	}, u.Hostname())
	if u.Port() != "" {
		wide += ":" + u.Port()
	}
	return u.Scheme + "://" + wide + u.EscapedPath() + queryPart(u)
}

// dotAndEscapes writes the host with a trailing dot (the DNS root) and every unreserved character of
// the path as a percent-escape with lower-case hex (/e2e -> /%65%32%65). Normalization maps it back.
func dotAndEscapes(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	require.NotContains(t, u.Host, "[", "an IPv6 literal takes no trailing dot")
	var path strings.Builder
	p := u.EscapedPath()
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '%': // an escape already: as it is
			path.WriteString(p[i : i+3])
			i += 2
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("-._~", c) >= 0:
			fmt.Fprintf(&path, "%%%02x", c)
		default:
			path.WriteByte(c)
		}
	}
	host := u.Hostname() + "."
	if u.Port() != "" {
		host += ":" + u.Port()
	}
	return u.Scheme + "://" + host + path.String() + queryPart(u)
}

func queryPart(u *url.URL) string {
	if u.RawQuery == "" {
		return ""
	}
	return "?" + u.RawQuery
}

func withoutLastCheck(tg apiTarget) apiTarget {
	tg.LastCheck = nil
	return tg
}

// assertNoTargetWithURL: no target (on any page) watches the URL.
func assertNoTargetWithURL(t *testing.T, api apiClient, urls ...string) {
	t.Helper()
	want := map[string]bool{}
	for _, u := range urls {
		want[u] = true
	}
	for _, tg := range api.allTargets(t) {
		assert.False(t, want[tg.URL], "target %s watches %s, which no request of this test may have stored", tg.ID, tg.URL)
	}
}

// versionHeader is the ETag/If-Match form of a version.
func versionHeader(v int64) string { return strconv.Quote(strconv.FormatInt(v, 10)) }

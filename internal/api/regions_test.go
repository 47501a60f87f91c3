package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
	"github.com/webhealth/webhealth/internal/verdict"
)

// fakeChecks is the checks table: the regions' checks by target id; it records its calls.
type fakeChecks struct {
	mu      sync.Mutex
	checks  map[string]store.RegionChecks
	err     error
	gets    []string   // ChecksFor's target ids
	batches [][]string // BatchChecks' target ids, one entry per call
	regions [][]string // BatchChecks' regions
}

func (f *fakeChecks) ChecksFor(_ context.Context, id string) (store.RegionChecks, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets = append(f.gets, id)
	if f.err != nil {
		return nil, f.err
	}
	return f.checks[id], nil
}

func (f *fakeChecks) BatchChecks(_ context.Context, ids, regions []string) (map[string]store.RegionChecks, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches = append(f.batches, ids)
	f.regions = append(f.regions, regions)
	if f.err != nil {
		return nil, f.err
	}
	out := map[string]store.RegionChecks{}
	for _, id := range ids {
		if c, ok := f.checks[id]; ok {
			out[id] = c
		}
	}
	return out, nil
}

// fakeRegionItems are the URL table's region items (shared by parallel tests: reads is guarded).
type fakeRegionItems struct {
	items map[string]store.RegionItem
	err   error
	mu    sync.Mutex
	reads int
}

func (f *fakeRegionItems) RegionItem(_ context.Context, region string) (store.RegionItem, error) {
	f.mu.Lock()
	f.reads++
	f.mu.Unlock()
	if f.err != nil {
		return store.RegionItem{}, f.err
	}
	it, ok := f.items[region]
	if !ok {
		return store.RegionItem{}, fmt.Errorf("get region item of %s: %w", region, store.ErrNoRegionItem)
	}
	return it, nil
}

const homeAPI = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/dev"

// threeRegions: home us-east-1, then eu-west-1 and ap-southeast-1 (REGIONS order is not alphabetical),
// seen from region (quorum 2, stale after 3 minutes).
func threeRegions(region string) Config {
	return Config{ChecksTable: "checks", Regions: verdict.Settings{Region: region, Home: "us-east-1",
		Rule: verdict.Rule{Regions: []string{"us-east-1", "eu-west-1", "ap-southeast-1"}, Quorum: 2, StaleAfter: 3 * time.Minute}}}
}

var regionsNow = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

func upAt(age time.Duration) target.LastCheck {
	return target.LastCheck{CheckedAt: regionsNow.Add(-age), Available: true, StatusCode: 200, LatencyMS: 42.5, Attempts: 1}
}

func downAt(age time.Duration) target.LastCheck {
	return target.LastCheck{CheckedAt: regionsNow.Add(-age), StatusCode: 403, LatencyMS: 10, Attempts: 2, Error: "status 403 not in expected [200]"}
}

// putRequest is the recorded API Gateway event of PUT /urls/{id} (resource template, stage dev) with id.
func putRequest(t testing.TB, method, id string) events.APIGatewayProxyRequest {
	t.Helper()
	b, err := os.ReadFile("testdata/apigw-put-url.json")
	require.NoError(t, err)
	var req events.APIGatewayProxyRequest
	require.NoError(t, json.Unmarshal(b, &req))
	require.Equal(t, "/urls/{id}", req.Resource)
	req.HTTPMethod, req.RequestContext.HTTPMethod = method, method
	req.PathParameters["id"] = id
	req.Path = "/urls/" + id
	return req
}

type regionsAnswer struct {
	LastCheck *target.LastCheck `json:"last_check"`
	Regions   json.RawMessage   `json:"regions"`
	Status    string            `json:"status"`
}

// regionOrder reads the keys of the regions object in the order the body has them.
func regionOrder(t *testing.T, raw json.RawMessage) ([]string, map[string]struct {
	LastCheck *target.LastCheck `json:"last_check"`
	Stale     bool              `json:"stale"`
}) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok)
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		require.NoError(t, err)
		keys = append(keys, k.(string))
		var skip json.RawMessage
		require.NoError(t, dec.Decode(&skip))
	}
	var vals map[string]struct {
		LastCheck *target.LastCheck `json:"last_check"`
		Stale     bool              `json:"stale"`
	}
	require.NoError(t, json.Unmarshal(raw, &vals))
	return keys, vals
}

// TestGetAnswersRegionsAndStatus: GET /urls/{id} answers each region's latest check in REGIONS order
// (null where none, stale where too old) and the verdict; last_check stays the home region's.
func TestGetAnswersRegionsAndStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		checks store.RegionChecks
		status string
		stale  map[string]bool
	}{
		{"never checked", nil, "unknown", nil},
		{"up everywhere", store.RegionChecks{"us-east-1": upAt(time.Minute), "eu-west-1": upAt(0), "ap-southeast-1": upAt(2 * time.Minute)}, "up", nil},
		{"one region refused", store.RegionChecks{"us-east-1": upAt(time.Minute), "eu-west-1": downAt(0), "ap-southeast-1": upAt(time.Minute)}, "degraded", nil},
		{"two regions refused", store.RegionChecks{"us-east-1": downAt(time.Minute), "eu-west-1": downAt(0), "ap-southeast-1": upAt(time.Minute)}, "down", nil},
		{"a stale down does not count", store.RegionChecks{"us-east-1": upAt(time.Minute), "eu-west-1": downAt(0), "ap-southeast-1": downAt(time.Hour)},
			"degraded", map[string]bool{"ap-southeast-1": true}},
		{"one region not checked yet", store.RegionChecks{"us-east-1": upAt(time.Minute), "eu-west-1": upAt(0)}, "up", nil},
		{"every check stale", store.RegionChecks{"us-east-1": downAt(time.Hour), "eu-west-1": downAt(time.Hour)}, "unknown",
			map[string]bool{"us-east-1": true, "eu-west-1": true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeStore()
			tg := f.seed("https://example.com/")
			if c, ok := tc.checks["us-east-1"]; ok {
				tg.LastCheck = &c
				f.targets[tg.ID] = tg
			}
			checks := &fakeChecks{checks: map[string]store.RegionChecks{tg.ID: tc.checks}}
			h := New(f, f, threeRegions("eu-west-1"), WithLogger(discardLogger()), WithClock(func() time.Time { return regionsNow }), WithChecks(checks))
			resp := serve(t, h, putRequest(t, "GET", tg.ID))
			require.Equal(t, http.StatusOK, resp.StatusCode, resp.Body)
			assert.Equal(t, `"1"`, resp.Headers["ETag"])
			assert.Equal(t, []string{tg.ID}, checks.gets, "one read of the target's checks")

			var got regionsAnswer
			require.NoError(t, json.Unmarshal([]byte(resp.Body), &got))
			assert.Equal(t, tc.status, got.Status)
			if c, ok := tc.checks["us-east-1"]; ok {
				require.NotNil(t, got.LastCheck)
				assert.Equal(t, c, *got.LastCheck, "last_check is the home region's")
			}
			keys, vals := regionOrder(t, got.Regions)
			assert.Equal(t, []string{"us-east-1", "eu-west-1", "ap-southeast-1"}, keys, "REGIONS order")
			for _, r := range keys {
				assert.Equal(t, tc.stale[r], vals[r].Stale, "%s stale", r)
				c, ok := tc.checks[r]
				if !ok {
					assert.Nil(t, vals[r].LastCheck, "%s: null without a check", r)
					continue
				}
				if assert.NotNil(t, vals[r].LastCheck, r) {
					assert.Equal(t, c, *vals[r].LastCheck, r)
				}
			}
			assert.Contains(t, resp.Body, `"ap-southeast-1":{"last_check":`, "the region's object: last_check, then stale")
		})
	}
}

// TestRegionsWithoutChecksTable: a single-region stack (no CHECKS_TABLE) answers its one region's
// check, the target's last_check, and the verdict of it; a target checked before the checks table
// existed is judged from its last_check as the home region's.
func TestRegionsWithoutChecksTable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		lc     *target.LastCheck
		status string
	}{
		{"never checked", nil, "unknown"},
		{"up", ptrTo(upAt(time.Minute)), "up"},
		{"down", ptrTo(downAt(time.Minute)), "down"},
		{"stale", ptrTo(downAt(time.Hour)), "unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeStore()
			tg := f.seed("https://example.com/")
			tg.LastCheck = tc.lc
			f.targets[tg.ID] = tg
			h := New(f, f, Config{Regions: verdict.Single("eu-west-1")}, WithLogger(discardLogger()), WithClock(func() time.Time { return regionsNow }))
			resp := serve(t, h, putRequest(t, "GET", tg.ID))
			require.Equal(t, http.StatusOK, resp.StatusCode, resp.Body)
			var got regionsAnswer
			require.NoError(t, json.Unmarshal([]byte(resp.Body), &got))
			assert.Equal(t, tc.status, got.Status)
			keys, vals := regionOrder(t, got.Regions)
			assert.Equal(t, []string{"eu-west-1"}, keys)
			assert.Equal(t, tc.lc, vals["eu-west-1"].LastCheck)

			list := serve(t, h, newRequest(t, "GET", "/urls"))
			require.Equal(t, http.StatusOK, list.StatusCode)
			assert.Contains(t, list.Body, `"status":"`+tc.status+`"`)
		})
	}

	// The checks table has no item of the home region yet: the target's last_check stands in.
	f := newFakeStore()
	tg := f.seed("https://example.com/")
	tg.LastCheck = ptrTo(downAt(0))
	f.targets[tg.ID] = tg
	checks := &fakeChecks{checks: map[string]store.RegionChecks{tg.ID: {"eu-west-1": downAt(0)}}}
	h := New(f, f, threeRegions("us-east-1"), WithLogger(discardLogger()), WithClock(func() time.Time { return regionsNow }), WithChecks(checks))
	resp := serve(t, h, putRequest(t, "GET", tg.ID))
	var got regionsAnswer
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &got))
	assert.Equal(t, "down", got.Status, "the home region's last_check and eu-west-1 reach the quorum")
	_, vals := regionOrder(t, got.Regions)
	assert.Equal(t, tg.LastCheck, vals["us-east-1"].LastCheck)
}

func ptrTo[T any](v T) *T { return &v }

// TestListAnswersStatus: GET /urls reads the page's checks in one BatchChecks call (never one per
// item) and answers each item's status; an empty page reads none.
func TestListAnswersStatus(t *testing.T) {
	t.Parallel()
	f := newFakeStore()
	checks := &fakeChecks{checks: map[string]store.RegionChecks{}}
	h := New(f, f, threeRegions("ap-southeast-1"), WithLogger(discardLogger()), WithClock(func() time.Time { return regionsNow }), WithChecks(checks))

	resp := serve(t, h, newRequest(t, "GET", "/urls"))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"items":[]}`, resp.Body)
	assert.Empty(t, checks.batches, "no checks read for an empty page")

	want := map[string]string{}
	for i, c := range []store.RegionChecks{
		nil,
		{"us-east-1": upAt(0), "eu-west-1": upAt(0)},
		{"us-east-1": upAt(0), "eu-west-1": downAt(0)},
		{"us-east-1": downAt(0), "ap-southeast-1": downAt(0)},
		{"eu-west-1": downAt(time.Hour)},
	} {
		tg := f.seed(fmt.Sprintf("https://site%d.example.com/", i))
		if c != nil {
			checks.checks[tg.ID] = c
		}
		want[tg.ID] = []string{"unknown", "up", "degraded", "down", "unknown"}[i]
	}
	resp = serve(t, h, newRequest(t, "GET", "/urls", withQuery("limit", "3")))
	require.Equal(t, http.StatusOK, resp.StatusCode, resp.Body)
	var page struct {
		Items []struct {
			ID      string          `json:"id"`
			Status  string          `json:"status"`
			Regions json.RawMessage `json:"regions"`
		} `json:"items"`
		NextToken string `json:"next_token"`
	}
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &page))
	require.Len(t, page.Items, 3)
	require.Len(t, checks.batches, 1, "one batch read for the page")
	assert.Equal(t, []string{"us-east-1", "eu-west-1", "ap-southeast-1"}, checks.regions[0])
	var ids []string
	for _, it := range page.Items {
		ids = append(ids, it.ID)
		assert.Equal(t, want[it.ID], it.Status, it.ID)
		assert.Nil(t, it.Regions, "the list answers the status only")
	}
	assert.Equal(t, ids, checks.batches[0], "the page's targets, in order")

	resp = serve(t, h, newRequest(t, "GET", "/urls", withQuery("limit", "3"), withQuery("next_token", page.NextToken)))
	require.Equal(t, http.StatusOK, resp.StatusCode, resp.Body)
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &page))
	require.Len(t, page.Items, 2)
	assert.Len(t, checks.batches, 2, "one batch read per page")
	for _, it := range page.Items {
		assert.Equal(t, want[it.ID], it.Status, it.ID)
	}
}

// TestChecksReadFailure: a failed read of the checks is a 500 with the request id, its detail only logged.
func TestChecksReadFailure(t *testing.T) {
	t.Parallel()
	f := newFakeStore()
	tg := f.seed("https://example.com/")
	checks := &fakeChecks{err: errors.New("ProvisionedThroughputExceededException: table checks-secret")}
	h := New(f, f, threeRegions("us-east-1"), WithLogger(discardLogger()), WithChecks(checks))
	for _, req := range []events.APIGatewayProxyRequest{putRequest(t, "GET", tg.ID), newRequest(t, "GET", "/urls")} {
		resp := serve(t, h, req)
		require.Equal(t, http.StatusInternalServerError, resp.StatusCode, resp.Body)
		eb := decodeError(t, resp)
		assert.Equal(t, CodeInternal, eb.Error.Code)
		assert.NotContains(t, resp.Body, "secret")
	}
}

// TestWritesOutsideTheHomeRegion: in a region other than the home region, POST, PUT and DELETE are
// refused with 421 wrong_region naming the home region and its API endpoint, before the target table
// is read or written; reads are answered. In the home region writes go through.
func TestWritesOutsideTheHomeRegion(t *testing.T) {
	t.Parallel()
	seededID := "00000000000000000000000000000001"
	body := `{"url":"https://new.example.com/"}`
	writes := []struct {
		name string
		req  func(t *testing.T) events.APIGatewayProxyRequest
	}{
		{"POST /urls", func(t *testing.T) events.APIGatewayProxyRequest {
			return newRequest(t, "POST", "/urls", withBody(body))
		}},
		{"PUT /urls/{id} (recorded event)", func(t *testing.T) events.APIGatewayProxyRequest { return putRequest(t, "PUT", seededID) }},
		{"DELETE /urls/{id}", func(t *testing.T) events.APIGatewayProxyRequest {
			r := putRequest(t, "DELETE", seededID)
			r.Body = ""
			return r
		}},
		{"PUT with a broken body is still refused for its region", func(t *testing.T) events.APIGatewayProxyRequest {
			r := putRequest(t, "PUT", seededID)
			r.Body = `{"url":`
			return r
		}},
		{"PUT of a missing target", func(t *testing.T) events.APIGatewayProxyRequest {
			return newRequest(t, "PUT", "/urls/"+missingID, withBody(body))
		}},
	}
	items := []struct {
		name    string
		items   *fakeRegionItems
		apiURL  string
		message []string
	}{
		{"home region registered", &fakeRegionItems{items: map[string]store.RegionItem{"us-east-1": {Region: "us-east-1", APIURL: homeAPI}}}, homeAPI,
			[]string{"this is region eu-west-1", "home region us-east-1", homeAPI}},
		{"home region not registered", &fakeRegionItems{items: map[string]store.RegionItem{}}, "", []string{"home region us-east-1"}},
		{"region item unreadable", &fakeRegionItems{err: errors.New("AccessDeniedException")}, "", []string{"home region us-east-1"}},
		{"no region items reader", nil, "", []string{"home region us-east-1"}},
	}
	for _, it := range items {
		for _, w := range writes {
			t.Run(it.name+"/"+w.name, func(t *testing.T) {
				t.Parallel()
				f := newFakeStore()
				f.seed("https://seeded.example.com/")
				opts := []Option{WithLogger(discardLogger()), WithChecks(&fakeChecks{})}
				if it.items != nil {
					opts = append(opts, WithRegionItems(it.items))
				}
				cfg := threeRegions("eu-west-1")
				cfg.CORSAllowOrigins = []string{"*"}
				h := New(f, f, cfg, opts...)
				before := f.snapshot()
				req := w.req(t)
				withHeader("Origin", "https://app.example.com")(&req)
				resp := serve(t, h, req)
				require.Equal(t, http.StatusMisdirectedRequest, resp.StatusCode, resp.Body)
				assert.Equal(t, 421, resp.StatusCode)
				eb := decodeError(t, resp)
				assert.Equal(t, CodeWrongRegion, eb.Error.Code)
				assert.Equal(t, "us-east-1", eb.Error.HomeRegion)
				assert.Equal(t, it.apiURL, eb.Error.HomeAPIURL)
				for _, m := range it.message {
					assert.Contains(t, eb.Error.Message, m)
				}
				if it.apiURL == "" {
					assert.NotContains(t, resp.Body, "home_api_url")
				}
				assert.Equal(t, "*", resp.Headers["Access-Control-Allow-Origin"], "CORS on the refusal too")
				assert.Zero(t, f.mutations(), "nothing written")
				assert.Zero(t, f.count("Get"), "nothing read of the target table")
				assert.Equal(t, before, f.snapshot())
			})
		}
	}

	t.Run("reads are answered outside the home region", func(t *testing.T) {
		t.Parallel()
		f := newFakeStore()
		tg := f.seed("https://seeded.example.com/")
		h := New(f, f, threeRegions("eu-west-1"), WithLogger(discardLogger()), WithChecks(&fakeChecks{}))
		for _, req := range []events.APIGatewayProxyRequest{putRequest(t, "GET", tg.ID), newRequest(t, "GET", "/urls"),
			newRequest(t, "GET", "/urls/"+tg.ID+"/alarms")} {
			resp := serve(t, h, req)
			assert.Equal(t, http.StatusOK, resp.StatusCode, "%s %s: %s", req.HTTPMethod, req.Path, resp.Body)
		}
		resp := serve(t, h, newRequest(t, "OPTIONS", "/urls", withHeader("Origin", "https://app.example.com"), withHeader("Access-Control-Request-Method", "POST")))
		assert.NotEqual(t, http.StatusMisdirectedRequest, resp.StatusCode, "a preflight is no write")
	})

	t.Run("the home region writes", func(t *testing.T) {
		t.Parallel()
		f := newFakeStore()
		f.seed("https://seeded.example.com/")
		items := &fakeRegionItems{}
		h := New(f, f, threeRegions("us-east-1"), WithLogger(discardLogger()), WithChecks(&fakeChecks{}), WithRegionItems(items))
		resp := serve(t, h, newRequest(t, "POST", "/urls", withBody(body)))
		require.Equal(t, http.StatusCreated, resp.StatusCode, resp.Body)
		assert.NotContains(t, resp.Body, `"status"`, "a write answers the stored target")
		req := putRequest(t, "PUT", seededID)
		req.Headers["If-Match"], req.MultiValueHeaders["If-Match"] = `"1"`, []string{`"1"`}
		resp = serve(t, h, req)
		require.Equal(t, http.StatusOK, resp.StatusCode, resp.Body)
		resp = serve(t, h, putRequest(t, "DELETE", seededID))
		require.Equal(t, http.StatusNoContent, resp.StatusCode, resp.Body)
		assert.Zero(t, items.reads, "the home region reads no region item")
	})
}

//go:build e2e

package test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/stretchr/testify/require"
)

// What the crawler can probe and how to make it crawl now differ between the local stack and AWS; the
// tests reach both through the stack:
//   - inertURL: a URL for a target whose probing does not matter (a local 200 server; in AWS a public
//     base URL), unique per call so targets never collide on the normalized URL;
//   - reachableURL: a URL the crawler can reach that answers 200 (a local test server; in AWS
//     E2E_PUBLIC_URL);
//   - newTestSite: a server the test controls (503, hang, redirect): local only, since the crawler in
//     AWS cannot reach this machine;
//   - crawlNowE: the local runtime's fire-now endpoint, or lambda:Invoke of the crawler function.

// siteMode is what a testSite answers.
type siteMode int32

const (
	siteOK       siteMode = iota // 200 "ok"
	siteDown                     // 503
	siteHang                     // no answer until the client gives up (or the test ends)
	siteRedirect                 // 302 to the site's redirect location
)

// testSite is an HTTP server on 127.0.0.1 whose answers the test switches.
type testSite struct {
	srv      *httptest.Server
	mode     atomic.Int32
	hits     atomic.Int64
	redirect atomic.Value // string
	release  chan struct{}
}

// maxHang bounds a hanging answer even if the client never disconnects.
const maxHang = 30 * time.Second

func newTestSite(t *testing.T) *testSite {
	t.Helper()
	s := &testSite{release: make(chan struct{})}
	s.redirect.Store("")
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	// Cleanups run last-in first-out: release the hanging handlers first, so Close does not wait for them.
	t.Cleanup(s.srv.Close)
	t.Cleanup(func() { close(s.release) })
	return s
}

func (s *testSite) serve(w http.ResponseWriter, r *http.Request) {
	s.hits.Add(1)
	switch siteMode(s.mode.Load()) {
	case siteDown:
		http.Error(w, "e2e: down for the test", http.StatusServiceUnavailable)
	case siteHang:
		select {
		case <-r.Context().Done():
		case <-s.release:
		case <-time.After(maxHang):
		}
	case siteRedirect:
		http.Redirect(w, r, s.redirect.Load().(string), http.StatusFound)
	default:
		_, _ = fmt.Fprintln(w, "ok")
	}
}

func (s *testSite) set(m siteMode) { s.mode.Store(int32(m)) }

func (s *testSite) redirectTo(location string) {
	s.redirect.Store(location)
	s.set(siteRedirect)
}

// url is a URL on the site, unique per call.
func (s *testSite) url(name string) string {
	return fmt.Sprintf("%s/e2e/%s/%s", s.srv.URL, name, uniqueName())
}

// sharedSite answers 200 for the targets of inertURL on the local stack; it lives as long as the test binary.
var sharedSite = sync.OnceValue(func() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = fmt.Fprintln(w, "ok")
	}))
})

// inertURL is a URL for a target whose probing does not matter to the test, unique per call. Locally a
// 200 server on 127.0.0.1 (the local stack allows private targets), so the crawler never leaves the
// machine; in AWS under E2E_TARGET_BASE (default https://example.com/webhealth-e2e).
func (s *stack) inertURL(name string) string {
	base := "https://example.com/webhealth-e2e"
	if s.local() {
		base = sharedSite().URL + "/e2e"
	} else if b := os.Getenv("E2E_TARGET_BASE"); b != "" {
		base = strings.TrimRight(b, "/")
	}
	return fmt.Sprintf("%s/%s/%s", base, name, uniqueName())
}

// reachableURL is a URL the crawler reaches and that answers 200, unique per call: a test site locally,
// E2E_PUBLIC_URL (with a unique query parameter) in AWS.
func (s *stack) reachableURL(t *testing.T) string {
	t.Helper()
	if s.local() {
		return newTestSite(t).url(t.Name())
	}
	pub := os.Getenv("E2E_PUBLIC_URL")
	if pub == "" {
		t.Skip("against AWS this check needs E2E_PUBLIC_URL: a public http(s) URL answering 200 that the crawler function can reach")
	}
	u, err := url.Parse(pub)
	require.NoError(t, err, "E2E_PUBLIC_URL")
	q := u.Query()
	q.Set("webhealth-e2e", uniqueName())
	u.RawQuery = q.Encode()
	return u.String()
}

// crawlMu serialises the suite's crawls: overlapping runs would each reconcile the alarms against the
// targets their own scan saw.
var crawlMu sync.Mutex

// crawlNowE runs one crawl of the stack and waits for it to finish (callers retry it).
func (s *stack) crawlNowE(t *testing.T) error {
	t.Helper()
	out := s.outputs(t)
	crawlMu.Lock()
	defer crawlMu.Unlock()
	// The deadline starts once the lock is held: a test may hold it for minutes (the heartbeat case).
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	if s.local() {
		return s.fireLocal(ctx, out.CrawlerRule)
	}
	return s.invokeCrawler(ctx, out.FunctionNames["crawler"])
}

// fireLocal fires the crawler's schedule rule through the local runtime; its answer comes once the
// invocation finished and the alarms were evaluated (their notifications delivered).
func (s *stack) fireLocal(ctx context.Context, rule string) error {
	if rule == "" {
		return fmt.Errorf("the workload has no crawler_schedule_rule output")
	}
	u := s.localRunURL + "/_local/schedules/fire?rule=" + url.QueryEscape(rule)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return fmt.Errorf("fire %s: %w", rule, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("fire %s: %w", rule, err)
	}
	defer resp.Body.Close()
	var fired struct {
		Results []struct {
			Function string `json:"function"`
			Status   string `json:"status"`
			Error    string `json:"error"`
			ErrType  string `json:"error_type"`
		} `json:"results"`
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fire %s: the local runtime answered %s", rule, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&fired); err != nil {
		return fmt.Errorf("fire %s: decode the answer: %w", rule, err)
	}
	if len(fired.Results) == 0 {
		return fmt.Errorf("fire %s: the rule has no targets", rule)
	}
	for _, r := range fired.Results {
		if r.Status != "succeeded" {
			return fmt.Errorf("fire %s: %s %s: %s %s", rule, r.Function, r.Status, r.ErrType, r.Error)
		}
	}
	return nil
}

// invokeCrawler runs the crawler function in AWS synchronously (its live alias, as the schedule does).
func (s *stack) invokeCrawler(ctx context.Context, function string) error {
	if function == "" {
		return fmt.Errorf("the workload's function_names output has no crawler")
	}
	qualifier := firstNonEmpty(os.Getenv("E2E_CRAWLER_QUALIFIER"), "live")
	payload := fmt.Sprintf(`{"version":"0","id":"webhealth-e2e-%s","detail-type":"Scheduled Event","source":"aws.events","time":%q,"region":%q,"resources":[],"detail":{}}`,
		uniqueName(), time.Now().UTC().Format(time.RFC3339), s.region)
	out, err := lambda.NewFromConfig(s.awsCfg).Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(function),
		Qualifier:      aws.String(qualifier),
		InvocationType: lambdatypes.InvocationTypeRequestResponse,
		Payload:        []byte(payload),
	})
	if err != nil {
		return fmt.Errorf("invoke %s:%s: %w", function, qualifier, err)
	}
	if out.FunctionError != nil {
		return fmt.Errorf("invoke %s:%s: function error %s: %s", function, qualifier, aws.ToString(out.FunctionError), out.Payload)
	}
	return nil
}

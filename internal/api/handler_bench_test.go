package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/webhealth/webhealth/internal/target"
	"github.com/webhealth/webhealth/internal/testutil/percentile"
)

// benchStage is the stage of the proxy events in the benchmarks, as on the deployed API.
const benchStage = "v1"

// benchOrigin is a CORS origin the benchmark handler allows, so every answer carries CORS headers.
const benchOrigin = "https://app.example.com"

// benchRequest turns the sample API Gateway event into a request as the deployed REST API forwards
// it: the declared resource template with its path parameters (not the /{proxy+} catch-all), the
// stage in requestContext.path, and the API key and Origin headers a browser client sends.
func benchRequest(b *testing.B, method, resource, id string) events.APIGatewayProxyRequest {
	b.Helper()
	path := resource
	var params map[string]string
	if id != "" {
		path = "/urls/" + id
		params = map[string]string{"id": id}
	}
	req := newRequest(b, method, path, withHeader("x-api-key", "bench-api-key-0123456789abcdefghijkl"),
		withHeader("Origin", benchOrigin))
	req.Resource, req.RequestContext.ResourcePath = resource, resource
	req.PathParameters = params
	req.RequestContext.Stage = benchStage
	req.RequestContext.Path = "/" + benchStage + path
	return req
}

// BenchmarkHandlerLatency measures the handler's own overhead per request (routing, decoding and
// validation, the JSON answer, CORS, the request log line) against the in-memory store with 100
// targets (each with a last_check), as p50/p99 of individual requests. The log goes through a JSON handler like Lambda's,
// into io.Discard.
//   - create: POST /urls with a full target body; a new URL every request, so each one is a 201
//     (the created target is dropped from the store afterwards, so it stays at 100 targets);
//   - get: GET /urls/{id} of a stored target;
//   - list: GET /urls?limit=50, the first page of the 100 targets.
func BenchmarkHandlerLatency(b *testing.B) {
	const stored = 100
	f := newFakeStore()
	ids := make([]string, 0, stored)
	for i := range stored {
		t := f.seed(fmt.Sprintf("https://site%03d.example.com/health", i))
		days := 60 + i
		t.LastCheck = &target.LastCheck{ // what the crawler leaves on every target
			CheckedAt: f.now.Add(time.Minute), Available: true, StatusCode: 200, LatencyMS: 123.4,
			DNSMS: 1.2, ConnectMS: 3.4, TLSMS: 20.1, TTFBMS: 80.2, CertDaysRemaining: &days, Attempts: 1,
		}
		f.put(t)
		ids = append(ids, t.ID)
	}
	h := New(f, f, Config{CORSAllowOrigins: []string{benchOrigin}},
		WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))))
	ctx := context.Background()

	b.Run("op=create", func(b *testing.B) {
		req := benchRequest(b, http.MethodPost, "/urls", "")
		var lat []time.Duration
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			req.Body = `{"url":"https://shop-` + strconv.Itoa(i) + `.example.com/health?probe=1","name":"shop ` + strconv.Itoa(i) +
				`","expected_status":[200,204],"latency_threshold_ms":800,"timeout_ms":5000,"method":"GET","body_contains":"ok"}`
			start := time.Now()
			resp, err := h.Handle(ctx, req)
			lat = append(lat, time.Since(start))
			if err != nil || resp.StatusCode != http.StatusCreated {
				b.Fatalf("create %d: status %d %s: %v", i, resp.StatusCode, resp.Body, err)
			}
			id := resp.Headers["Location"][len(resp.Headers["Location"])-32:]
			if err := f.Delete(ctx, id); err != nil {
				b.Fatalf("drop created target %s: %v", id, err)
			}
		}
		percentile.Report(b, lat, time.Microsecond, "us")
	})

	b.Run("op=get", func(b *testing.B) {
		reqs := make([]events.APIGatewayProxyRequest, len(ids))
		for i, id := range ids {
			reqs[i] = benchRequest(b, http.MethodGet, "/urls/{id}", id)
		}
		var lat []time.Duration
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			start := time.Now()
			resp, err := h.Handle(ctx, reqs[i%len(reqs)])
			lat = append(lat, time.Since(start))
			if err != nil || resp.StatusCode != http.StatusOK {
				b.Fatalf("get: status %d %s: %v", resp.StatusCode, resp.Body, err)
			}
		}
		percentile.Report(b, lat, time.Microsecond, "us")
	})

	b.Run("op=list", func(b *testing.B) {
		req := benchRequest(b, http.MethodGet, "/urls", "")
		withQuery("limit", "50")(&req)
		var page listBody[json.RawMessage]
		resp, err := h.Handle(ctx, req)
		if err != nil || json.Unmarshal([]byte(resp.Body), &page) != nil || len(page.Items) != 50 || page.NextToken == "" {
			b.Fatalf("list should answer the first 50 of %d targets and a next_token: %d %.200s: %v", stored, resp.StatusCode, resp.Body, err)
		}
		var lat []time.Duration
		b.ReportAllocs()
		for b.Loop() {
			start := time.Now()
			resp, err := h.Handle(ctx, req)
			lat = append(lat, time.Since(start))
			if err != nil || resp.StatusCode != http.StatusOK {
				b.Fatalf("list: status %d %s: %v", resp.StatusCode, resp.Body, err)
			}
		}
		percentile.Report(b, lat, time.Microsecond, "us")
	})
}

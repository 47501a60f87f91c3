package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
)

const (
	apigwRequestID = "deef4878-7910-11e6-8f14-25afc3e9ae33" // from testdata/apigw-request.json
	missingID      = "ffffffffffffffffffffffffffffffff"
)

// baseRequest decodes aws-lambda-go's sample API Gateway proxy event, as the Lambda runtime would.
func baseRequest(t testing.TB) events.APIGatewayProxyRequest {
	t.Helper()
	b, err := os.ReadFile("testdata/apigw-request.json")
	require.NoError(t, err)
	var req events.APIGatewayProxyRequest
	require.NoError(t, json.Unmarshal(b, &req))
	require.Equal(t, apigwRequestID, req.RequestContext.RequestID)
	return req
}

type reqOpt func(*events.APIGatewayProxyRequest)

// newRequest turns the sample event into method+path as forwarded by the "/{proxy+}" catch-all of the
// stage "testStage". The sample's headers (Content-Type: application/json included) are kept.
func newRequest(t testing.TB, method, path string, opts ...reqOpt) events.APIGatewayProxyRequest {
	t.Helper()
	req := baseRequest(t)
	req.HTTPMethod, req.RequestContext.HTTPMethod = method, method
	req.Path = path
	req.Resource, req.RequestContext.ResourcePath = "/{proxy+}", "/{proxy+}"
	req.PathParameters = map[string]string{"proxy": strings.TrimPrefix(path, "/")}
	req.RequestContext.Path = "/" + req.RequestContext.Stage + path
	req.QueryStringParameters, req.MultiValueQueryStringParameters = nil, nil
	req.Body = ""
	for _, o := range opts {
		o(&req)
	}
	return req
}

func withBody(s string) reqOpt { return func(r *events.APIGatewayProxyRequest) { r.Body = s } }

func withBase64Body(s string) reqOpt {
	return func(r *events.APIGatewayProxyRequest) {
		r.Body, r.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(s)), true
	}
}

func withoutHeader(name string) reqOpt {
	return func(r *events.APIGatewayProxyRequest) {
		for k := range r.Headers {
			if strings.EqualFold(k, name) {
				delete(r.Headers, k)
			}
		}
		for k := range r.MultiValueHeaders {
			if strings.EqualFold(k, name) {
				delete(r.MultiValueHeaders, k)
			}
		}
	}
}

// withHeader sets a header in both maps, spelled as given (clients' spelling reaches the function).
func withHeader(name string, values ...string) reqOpt {
	return func(r *events.APIGatewayProxyRequest) {
		withoutHeader(name)(r)
		r.Headers[name] = values[len(values)-1]
		r.MultiValueHeaders[name] = values
	}
}

func withQuery(name string, values ...string) reqOpt {
	return func(r *events.APIGatewayProxyRequest) {
		if r.QueryStringParameters == nil {
			r.QueryStringParameters, r.MultiValueQueryStringParameters = map[string]string{}, map[string][]string{}
		}
		r.QueryStringParameters[name] = values[len(values)-1]
		r.MultiValueQueryStringParameters[name] = values
	}
}

type errorBody struct {
	Error struct {
		Code           string `json:"code"`
		Message        string `json:"message"`
		Field          string `json:"field"`
		ExistingID     string `json:"existing_id"`
		CurrentVersion int64  `json:"current_version"`
		HomeRegion     string `json:"home_region"`
		HomeAPIURL     string `json:"home_api_url"`
		RequestID      string `json:"request_id"`
	} `json:"error"`
}

func decodeError(t testing.TB, resp events.APIGatewayProxyResponse) errorBody {
	t.Helper()
	assert.Equal(t, "application/json; charset=utf-8", resp.Headers["Content-Type"])
	var eb errorBody
	dec := json.NewDecoder(strings.NewReader(resp.Body))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&eb), "error body %s", resp.Body)
	assert.NotEmpty(t, eb.Error.Message)
	return eb
}

func decodeTarget(t testing.TB, resp events.APIGatewayProxyResponse) target.Target {
	t.Helper()
	var tg target.Target
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &tg), resp.Body)
	return tg
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func serve(t testing.TB, h *Handler, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	t.Helper()
	resp, err := h.Handle(context.Background(), req)
	require.NoError(t, err, "the handler answers every failure itself")
	return resp
}

// TestRejectedRequests: every bad request gets its status and error code, and changes nothing.
func TestRejectedRequests(t *testing.T) {
	t.Parallel()
	const seededURL = "https://seeded.example.com/"
	valid := `{"url":"https://new.example.com/"}`
	big := `{"url":"https://new.example.com/","name":"` + strings.Repeat("n", MaxBodyBytes) + `"}`
	item := func(id string) string { return "/urls/" + id }
	seededID := "00000000000000000000000000000001" // first id fakeStore.seed assigns
	soon := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)

	cases := []struct {
		name    string
		cfg     Config
		method  string
		path    string
		opts    []reqOpt
		status  int
		code    string
		field   string
		message string
		allow   string
		// decided by the store: the mutating call is made and refused there
		storeDecides bool
	}{
		// routing
		{name: "unknown route from the catch-all", method: "GET", path: "/hello/world", status: 404, code: CodeNotFound},
		{name: "root", method: "GET", path: "/", status: 404, code: CodeNotFound},
		{name: "too deep", method: "GET", path: item(seededID) + "/alarms/x", status: 404, code: CodeNotFound},
		{name: "unknown sub-resource", method: "GET", path: item(seededID) + "/checks", status: 404, code: CodeNotFound},
		{name: "empty id", method: "GET", path: "/urls//alarms", status: 404, code: CodeNotFound},
		{name: "prefix of urls", method: "GET", path: "/urlsx", status: 404, code: CodeNotFound},
		{name: "malformed id", method: "GET", path: item("not-an-id"), status: 404, code: CodeNotFound},
		{name: "upper-case id", method: "GET", path: item(strings.ToUpper(missingID)), status: 404, code: CodeNotFound},
		{name: "malformed id on alarms", method: "GET", path: item("x") + "/alarms", status: 404, code: CodeNotFound},
		{name: "missing id", method: "GET", path: item(missingID), status: 404, code: CodeNotFound},
		{name: "missing id alarms", method: "GET", path: item(missingID) + "/alarms", status: 404, code: CodeNotFound},
		{name: "PATCH collection", method: "PATCH", path: "/urls", status: 405, code: CodeMethodNotAllowed, allow: "GET, POST, OPTIONS"},
		{name: "DELETE collection", method: "DELETE", path: "/urls", status: 405, code: CodeMethodNotAllowed, allow: "GET, POST, OPTIONS"},
		{name: "POST item", method: "POST", path: item(seededID), opts: []reqOpt{withBody(valid)}, status: 405, code: CodeMethodNotAllowed, allow: "GET, PUT, DELETE, OPTIONS"},
		{name: "HEAD item", method: "HEAD", path: item(seededID), status: 405, code: CodeMethodNotAllowed, allow: "GET, PUT, DELETE, OPTIONS"},
		{name: "PUT alarms", method: "PUT", path: item(seededID) + "/alarms", opts: []reqOpt{withBody(valid)}, status: 405, code: CodeMethodNotAllowed, allow: "GET, OPTIONS"},
		{name: "OPTIONS unknown route", method: "OPTIONS", path: "/nope", status: 404, code: CodeNotFound},

		// body framing
		{name: "malformed JSON", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":`)}, status: 400, code: CodeMalformedJSON},
		{name: "syntax error", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url" "x"}`)}, status: 400, code: CodeMalformedJSON},
		{name: "trailing object", method: "POST", path: "/urls", opts: []reqOpt{withBody(valid + ` {}`)}, status: 400, code: CodeMalformedJSON},
		{name: "trailing garbage", method: "POST", path: "/urls", opts: []reqOpt{withBody(valid + `x`)}, status: 400, code: CodeMalformedJSON},
		{name: "empty body", method: "POST", path: "/urls", status: 400, code: CodeMalformedJSON},
		{name: "blank body", method: "POST", path: "/urls", opts: []reqOpt{withBody(" \n")}, status: 400, code: CodeMalformedJSON},
		{name: "null", method: "POST", path: "/urls", opts: []reqOpt{withBody(`null`)}, status: 400, code: CodeMalformedJSON},
		{name: "array", method: "POST", path: "/urls", opts: []reqOpt{withBody(`[{"url":"https://x.example.com/"}]`)}, status: 400, code: CodeMalformedJSON},
		{name: "string", method: "POST", path: "/urls", opts: []reqOpt{withBody(`"https://x.example.com/"`)}, status: 400, code: CodeMalformedJSON},
		{name: "invalid UTF-8", method: "POST", path: "/urls", opts: []reqOpt{withBody("{\"url\":\"https://x.example.com/\",\"name\":\"\xff\"}")}, status: 400, code: CodeMalformedJSON},
		{name: "duplicate key", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://a.example.com/","url":"https://b.example.com/"}`)}, status: 400, code: CodeMalformedJSON, field: "url"},
		{name: "unknown field", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","interval":5}`)}, status: 400, code: CodeUnknownField, field: "interval"},
		{name: "read-only field", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","version":9}`)}, status: 400, code: CodeUnknownField, field: "version"},
		{name: "field in other case", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"URL":"https://x.example.com/"}`)}, status: 400, code: CodeUnknownField, field: "URL"},
		{name: "url not a string", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":42}`)}, status: 400, code: CodeInvalidType, field: "url", message: "url must be a string, not number"},
		{name: "enabled not a boolean", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","enabled":"yes"}`)}, status: 400, code: CodeInvalidType, field: "enabled"},
		{name: "timeout not an integer", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","timeout_ms":1.5}`)}, status: 400, code: CodeInvalidType, field: "timeout_ms"},
		{name: "expected_status element", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","expected_status":["200"]}`)}, status: 400, code: CodeInvalidType, field: "expected_status"},
		{name: "expected_status not an array", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","expected_status":200}`)}, status: 400, code: CodeInvalidType, field: "expected_status"},
		{name: "body over 16 KiB", method: "POST", path: "/urls", opts: []reqOpt{withBody(big)}, status: 413, code: CodePayloadTooLarge},
		{name: "base64 body over 16 KiB", method: "POST", path: "/urls", opts: []reqOpt{withBase64Body(big)}, status: 413, code: CodePayloadTooLarge},
		{name: "bad base64", method: "POST", path: "/urls", opts: []reqOpt{withBody("{not base64"), func(r *events.APIGatewayProxyRequest) { r.IsBase64Encoded = true }}, status: 400, code: CodeMalformedBody},
		{name: "no Content-Type", method: "POST", path: "/urls", opts: []reqOpt{withBody(valid), withoutHeader("Content-Type")}, status: 415, code: CodeUnsupportedMediaType},
		{name: "text/plain", method: "POST", path: "/urls", opts: []reqOpt{withBody(valid), withHeader("content-type", "text/plain")}, status: 415, code: CodeUnsupportedMediaType},
		{name: "form", method: "POST", path: "/urls", opts: []reqOpt{withBody(valid), withHeader("Content-Type", "application/x-www-form-urlencoded")}, status: 415, code: CodeUnsupportedMediaType},
		{name: "json suffix type", method: "POST", path: "/urls", opts: []reqOpt{withBody(valid), withHeader("Content-Type", "application/merge-patch+json")}, status: 415, code: CodeUnsupportedMediaType},
		{name: "latin1 charset", method: "POST", path: "/urls", opts: []reqOpt{withBody(valid), withHeader("Content-Type", "application/json; charset=iso-8859-1")}, status: 415, code: CodeUnsupportedMediaType},
		{name: "unparsable Content-Type", method: "POST", path: "/urls", opts: []reqOpt{withBody(valid), withHeader("Content-Type", "application/json; charset")}, status: 415, code: CodeUnsupportedMediaType},
		{name: "PUT without Content-Type", method: "PUT", path: item(seededID), opts: []reqOpt{withBody(valid), withoutHeader("content-type")}, status: 415, code: CodeUnsupportedMediaType},

		// target rules (target.Resolve)
		{name: "url missing", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{}`)}, status: 400, code: CodeInvalidField, field: "url"},
		{name: "ftp scheme", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"ftp://example.com/"}`)}, status: 400, code: CodeInvalidField, field: "url", message: "scheme must be http or https"},
		{name: "no host", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https:///path"}`)}, status: 400, code: CodeInvalidField, field: "url", message: "host"},
		{name: "userinfo", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://u:p@example.com/"}`)}, status: 400, code: CodeInvalidField, field: "url", message: "user information"},
		{name: "loopback", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"http://127.0.0.1:8080/"}`)}, status: 400, code: CodeInvalidField, field: "url"},
		{name: "private", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"http://10.1.2.3/"}`)}, status: 400, code: CodeInvalidField, field: "url"},
		{name: "link-local", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"http://169.254.10.10/"}`)}, status: 400, code: CodeInvalidField, field: "url"},
		{name: "ULA", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"http://[fd12::1]/"}`)}, status: 400, code: CodeInvalidField, field: "url"},
		{name: "metadata", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"http://169.254.169.254/latest/meta-data/"}`)}, status: 400, code: CodeInvalidField, field: "url"},
		{name: "metadata with private allowed", cfg: Config{AllowPrivateTargets: true}, method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"http://[fd00:ec2::254]/"}`)}, status: 400, code: CodeInvalidField, field: "url", message: "refused always"},
		{name: "name too long", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","name":"` + strings.Repeat("n", 129) + `"}`)}, status: 400, code: CodeInvalidField, field: "name"},
		{name: "no expected status", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","expected_status":[]}`)}, status: 400, code: CodeInvalidField, field: "expected_status"},
		{name: "status 600", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","expected_status":[600]}`)}, status: 400, code: CodeInvalidField, field: "expected_status"},
		{name: "timeout too short", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","timeout_ms":99}`)}, status: 400, code: CodeInvalidField, field: "timeout_ms"},
		{name: "threshold zero", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","latency_threshold_ms":0}`)}, status: 400, code: CodeInvalidField, field: "latency_threshold_ms"},
		{name: "threshold over timeout", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","timeout_ms":500,"latency_threshold_ms":600}`)}, status: 400, code: CodeInvalidField, field: "latency_threshold_ms"},
		{name: "method POST", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","method":"POST"}`)}, status: 400, code: CodeInvalidField, field: "method"},
		{name: "body_contains with HEAD", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","method":"HEAD","body_contains":"ok"}`)}, status: 400, code: CodeInvalidField, field: "body_contains"},
		{name: "PUT bad rule", method: "PUT", path: item(seededID), opts: []reqOpt{withBody(`{"url":"gopher://x/"}`)}, status: 400, code: CodeInvalidField, field: "url"},
		{name: "muted until the past", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","muted_until":"2020-01-01T00:00:00Z"}`)}, status: 400, code: CodeInvalidField, field: "muted_until", message: "is not in the future"},
		{name: "muted too far ahead", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","muted_until":"2999-01-01T00:00:00Z"}`)}, status: 400, code: CodeInvalidField, field: "muted_until", message: "more than 30 days ahead"},
		{name: "muted until not a time", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","muted_until":"tomorrow"}`)}, status: 400, code: CodeInvalidField, field: "muted_until", message: "is not an RFC 3339 time"},
		{name: "muted until a number", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","muted_until":1790000000}`)}, status: 400, code: CodeInvalidType, field: "muted_until", message: "muted_until must be an RFC 3339 time string such as 2026-11-21T18:00:00Z, or null, not number"},
		{name: "muted until true", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","muted_until":true}`)}, status: 400, code: CodeInvalidType, field: "muted_until"},
		{name: "mute reason without muted_until", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","mute_reason":"deploy"}`)}, status: 400, code: CodeInvalidField, field: "mute_reason", message: "only with muted_until"},
		{name: "mute reason with a null muted_until", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","muted_until":null,"mute_reason":"deploy"}`)}, status: 400, code: CodeInvalidField, field: "mute_reason"},
		{name: "mute reason too long", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","muted_until":"` + soon + `","mute_reason":"` + strings.Repeat("r", 257) + `"}`)}, status: 400, code: CodeInvalidField, field: "mute_reason", message: "at most 256 characters"},
		{name: "mute reason with a line break", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","muted_until":"` + soon + `","mute_reason":"ok\r\nforged"}`)}, status: 400, code: CodeInvalidField, field: "mute_reason", message: "control characters"},
		{name: "mute reason a number", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","muted_until":"` + soon + `","mute_reason":5}`)}, status: 400, code: CodeInvalidType, field: "mute_reason"},
		{name: "cert threshold zero", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","cert_expiry_threshold_days":0}`)}, status: 400, code: CodeInvalidField, field: "cert_expiry_threshold_days", message: "between 1 and 365"},
		{name: "cert threshold 366", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","cert_expiry_threshold_days":366}`)}, status: 400, code: CodeInvalidField, field: "cert_expiry_threshold_days"},
		{name: "cert threshold a string", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","cert_expiry_threshold_days":"14"}`)}, status: 400, code: CodeInvalidType, field: "cert_expiry_threshold_days", message: "must be an integer, not string"},
		{name: "cert threshold a fraction", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"https://x.example.com/","cert_expiry_threshold_days":14.5}`)}, status: 400, code: CodeInvalidType, field: "cert_expiry_threshold_days"},
		{name: "PUT muted until the past", method: "PUT", path: item(seededID), opts: []reqOpt{withBody(`{"url":"https://x.example.com/","muted_until":"2020-01-01T00:00:00Z"}`)}, status: 400, code: CodeInvalidField, field: "muted_until"},
		{name: "PUT cert threshold out of range", method: "PUT", path: item(seededID), opts: []reqOpt{withBody(`{"url":"https://x.example.com/","cert_expiry_threshold_days":-1}`)}, status: 400, code: CodeInvalidField, field: "cert_expiry_threshold_days"},
		{name: "PUT unknown field", method: "PUT", path: item(seededID), opts: []reqOpt{withBody(`{"url":"https://x.example.com/","id":"` + seededID + `"}`)}, status: 400, code: CodeUnknownField, field: "id"},

		// conflicts
		{name: "duplicate URL", method: "POST", path: "/urls", opts: []reqOpt{withBody(`{"url":"HTTPS://Seeded.Example.com:443/#top"}`)}, status: 409, code: CodeDuplicateURL, message: seededID, storeDecides: true},
		{name: "stale If-Match", method: "PUT", path: item(seededID), opts: []reqOpt{withBody(valid), withHeader("If-Match", `"7"`)}, status: 412, code: CodeVersionConflict, message: "current version is 1", storeDecides: true},
		{name: "PUT missing target", method: "PUT", path: item(missingID), opts: []reqOpt{withBody(valid)}, status: 404, code: CodeNotFound, storeDecides: true},
		{name: "DELETE missing target", method: "DELETE", path: item(missingID), status: 404, code: CodeNotFound, storeDecides: true},
		{name: "DELETE malformed id", method: "DELETE", path: item("zz"), status: 404, code: CodeNotFound},

		// If-Match syntax
		{name: "If-Match word", method: "PUT", path: item(seededID), opts: []reqOpt{withBody(valid), withHeader("If-Match", `"abc"`)}, status: 400, code: CodeInvalidIfMatch},
		{name: "If-Match empty quotes", method: "PUT", path: item(seededID), opts: []reqOpt{withBody(valid), withHeader("If-Match", `""`)}, status: 400, code: CodeInvalidIfMatch},
		{name: "If-Match negative", method: "PUT", path: item(seededID), opts: []reqOpt{withBody(valid), withHeader("If-Match", `"-1"`)}, status: 400, code: CodeInvalidIfMatch},
		{name: "If-Match zero", method: "PUT", path: item(seededID), opts: []reqOpt{withBody(valid), withHeader("If-Match", `0`)}, status: 400, code: CodeInvalidIfMatch},
		{name: "If-Match unbalanced quote", method: "PUT", path: item(seededID), opts: []reqOpt{withBody(valid), withHeader("If-Match", `"1`)}, status: 400, code: CodeInvalidIfMatch},
		{name: "If-Match list", method: "PUT", path: item(seededID), opts: []reqOpt{withBody(valid), withHeader("If-Match", `"1", "2"`)}, status: 400, code: CodeInvalidIfMatch},
		{name: "If-Match repeated", method: "PUT", path: item(seededID), opts: []reqOpt{withBody(valid), withHeader("If-Match", `"1"`, `"2"`)}, status: 400, code: CodeInvalidIfMatch},
		{name: "If-Match overflow", method: "PUT", path: item(seededID), opts: []reqOpt{withBody(valid), withHeader("If-Match", `"99999999999999999999"`)}, status: 400, code: CodeInvalidIfMatch},

		// paging parameters
		{name: "limit 0", method: "GET", path: "/urls", opts: []reqOpt{withQuery("limit", "0")}, status: 400, code: CodeInvalidLimit, field: "limit"},
		{name: "limit 101", method: "GET", path: "/urls", opts: []reqOpt{withQuery("limit", "101")}, status: 400, code: CodeInvalidLimit, field: "limit"},
		{name: "limit negative", method: "GET", path: "/urls", opts: []reqOpt{withQuery("limit", "-5")}, status: 400, code: CodeInvalidLimit},
		{name: "limit plus", method: "GET", path: "/urls", opts: []reqOpt{withQuery("limit", "+5")}, status: 400, code: CodeInvalidLimit},
		{name: "limit word", method: "GET", path: "/urls", opts: []reqOpt{withQuery("limit", "ten")}, status: 400, code: CodeInvalidLimit},
		{name: "limit fraction", method: "GET", path: "/urls", opts: []reqOpt{withQuery("limit", "1.5")}, status: 400, code: CodeInvalidLimit},
		{name: "limit repeated", method: "GET", path: "/urls", opts: []reqOpt{withQuery("limit", "5", "6")}, status: 400, code: CodeInvalidLimit},
		{name: "forged next_token", method: "GET", path: "/urls", opts: []reqOpt{withQuery("next_token", "forged")}, status: 400, code: CodeInvalidNextToken, field: "next_token"},
		{name: "next_token repeated", method: "GET", path: "/urls", opts: []reqOpt{withQuery("next_token", "fake:1", "fake:2")}, status: 400, code: CodeInvalidNextToken},
		{name: "alarms limit", method: "GET", path: item(seededID) + "/alarms", opts: []reqOpt{withQuery("limit", "1000")}, status: 400, code: CodeInvalidLimit},
		{name: "alarms forged token", method: "GET", path: item(seededID) + "/alarms", opts: []reqOpt{withQuery("next_token", "x")}, status: 400, code: CodeInvalidNextToken},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeStore()
			seeded := f.seed(seededURL)
			require.Equal(t, seededID, seeded.ID)
			before := f.snapshot()
			h := New(f, f, tc.cfg, WithLogger(discardLogger()))

			resp := serve(t, h, newRequest(t, tc.method, tc.path, tc.opts...))

			assert.Equal(t, tc.status, resp.StatusCode, resp.Body)
			eb := decodeError(t, resp)
			assert.Equal(t, tc.code, eb.Error.Code)
			if tc.field != "" {
				assert.Equal(t, tc.field, eb.Error.Field)
			}
			if tc.message != "" {
				assert.Contains(t, eb.Error.Message, tc.message)
			}
			assert.Equal(t, tc.allow, resp.Headers["Allow"])
			assert.Empty(t, eb.Error.RequestID, "request ids are for 500s")
			if !tc.storeDecides {
				assert.Zero(t, f.mutations(), "a rejected request does not call Create/Replace/Delete")
			}
			assert.Equal(t, before, f.snapshot(), "nothing changed")
			assert.NotContains(t, resp.Headers, "ETag")
			assert.NotContains(t, resp.Headers, "Location")
		})
	}
}

// Requests that never reach storage: malformed ids and bad framing are refused before DynamoDB.
func TestNoStoreCallsForMalformedRequests(t *testing.T) {
	t.Parallel()
	for _, req := range []events.APIGatewayProxyRequest{
		newRequest(t, "GET", "/urls/../../etc/passwd"),
		newRequest(t, "GET", "/urls/"+strings.Repeat("a", 31)),
		newRequest(t, "DELETE", "/urls/"+strings.Repeat("a", 33)),
		newRequest(t, "GET", "/urls/xyz/alarms"),
		newRequest(t, "PUT", "/urls/xyz", withBody(`{"url":"https://x.example.com/"}`)),
		newRequest(t, "POST", "/urls", withBody(`{"url":1}`)),
		newRequest(t, "GET", "/urls", withQuery("limit", "0")),
	} {
		f := newFakeStore()
		resp := serve(t, New(f, f, Config{}, WithLogger(discardLogger())), req)
		assert.GreaterOrEqual(t, resp.StatusCode, 400)
		assert.Empty(t, f.calls, "%s %s reached the store", req.HTTPMethod, req.Path)
	}
}

func TestCreate(t *testing.T) {
	t.Parallel()
	body := `{"url":"HTTPS://Example.com:443/health#x","name":"Example","enabled":false,"expected_status":[204,200],` +
		`"latency_threshold_ms":250,"timeout_ms":2000,"method":"get","body_contains":"ok"}`
	cases := []struct {
		name string
		cfg  Config
		opts []reqOpt
		want func(t *testing.T, got target.Target)
	}{
		{"minimal", Config{}, []reqOpt{withBody(`{"url":"https://example.com"}`)}, func(t *testing.T, got target.Target) {
			assert.Equal(t, "https://example.com/", got.URL)
			assert.Equal(t, "example.com", got.Name)
			assert.True(t, got.Enabled)
			assert.Equal(t, []int{200}, got.ExpectedStatus)
			assert.Equal(t, target.DefaultTimeoutMS, got.TimeoutMS)
			assert.Equal(t, target.DefaultLatencyThresholdMS, got.LatencyThresholdMS)
			assert.Equal(t, "GET", got.Method)
		}},
		{"every field", Config{}, []reqOpt{withBody(body)}, func(t *testing.T, got target.Target) {
			assert.Equal(t, "https://example.com/health", got.URL)
			assert.Equal(t, "Example", got.Name)
			assert.False(t, got.Enabled)
			assert.Equal(t, []int{200, 204}, got.ExpectedStatus)
			assert.Equal(t, 250, got.LatencyThresholdMS)
			assert.Equal(t, 2000, got.TimeoutMS)
			assert.Equal(t, "ok", got.BodyContains)
		}},
		{"nulls take defaults", Config{}, []reqOpt{withBody(`{"url":"https://example.com/","name":null,"enabled":null}`)}, func(t *testing.T, got target.Target) {
			assert.True(t, got.Enabled)
			assert.Equal(t, "example.com", got.Name)
		}},
		{"base64 body", Config{}, []reqOpt{withBase64Body(`{"url":"https://example.com/b64"}`)}, func(t *testing.T, got target.Target) {
			assert.Equal(t, "https://example.com/b64", got.URL)
		}},
		{"charset parameter", Config{}, []reqOpt{withBody(`{"url":"https://example.com/"}`), withHeader("content-type", "Application/JSON; charset=UTF-8")}, nil},
		{"body of exactly 16 KiB", Config{}, []reqOpt{withBody(`{"url":"https://example.com/"}` + strings.Repeat(" ", MaxBodyBytes-len(`{"url":"https://example.com/"}`)))}, nil},
		{"private target allowed locally", Config{AllowPrivateTargets: true}, []reqOpt{withBody(`{"url":"http://127.0.0.1:8080/health"}`)}, func(t *testing.T, got target.Target) {
			assert.Equal(t, "http://127.0.0.1:8080/health", got.URL)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeStore()
			h := New(f, f, tc.cfg, WithLogger(discardLogger()))
			resp := serve(t, h, newRequest(t, "POST", "/urls", tc.opts...))
			require.Equal(t, http.StatusCreated, resp.StatusCode, resp.Body)

			got := decodeTarget(t, resp)
			assert.True(t, target.ValidID(got.ID))
			assert.Equal(t, int64(1), got.Version)
			assert.Equal(t, "/testStage/urls/"+got.ID, resp.Headers["Location"], "stage prefix from requestContext.path")
			assert.Equal(t, `"1"`, resp.Headers["ETag"])
			assert.Equal(t, "application/json; charset=utf-8", resp.Headers["Content-Type"])
			assert.Equal(t, map[string]target.Target{got.ID: got}, f.snapshot(), "the answer is what was stored")
			if tc.want != nil {
				tc.want(t, got)
			}
		})
	}
}

// Muting and the certificate threshold: judged against the handler's clock, answered as stored, and
// lifted by a replace without them (null or absent).
func TestMuteAndCertThreshold(t *testing.T) {
	t.Parallel()
	clock := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	f := newFakeStore()
	h := New(f, f, Config{}, WithLogger(discardLogger()), WithClock(func() time.Time { return clock }))
	fields := func(t *testing.T, resp events.APIGatewayProxyResponse) map[string]json.RawMessage {
		t.Helper()
		var raw map[string]json.RawMessage
		require.NoError(t, json.Unmarshal([]byte(resp.Body), &raw), resp.Body)
		return map[string]json.RawMessage{"muted_until": raw["muted_until"], "mute_reason": raw["mute_reason"],
			"cert_expiry_threshold_days": raw["cert_expiry_threshold_days"]}
	}
	muted := map[string]json.RawMessage{"muted_until": json.RawMessage(`"2026-11-21T12:00:00Z"`),
		"mute_reason": json.RawMessage(`"deploy window"`), "cert_expiry_threshold_days": json.RawMessage(`30`)}
	unmuted := map[string]json.RawMessage{"muted_until": json.RawMessage(`null`), "mute_reason": json.RawMessage(`""`),
		"cert_expiry_threshold_days": json.RawMessage(`null`)}

	resp := serve(t, h, newRequest(t, "POST", "/urls", withBody(`{"url":"https://example.com/","muted_until":"2026-11-21T13:00:00+01:00",`+
		`"mute_reason":" deploy window ","cert_expiry_threshold_days":30}`)))
	require.Equal(t, http.StatusCreated, resp.StatusCode, resp.Body)
	assert.Equal(t, muted, fields(t, resp), "UTC, the reason trimmed")
	created := decodeTarget(t, resp)
	assert.True(t, created.Muted(clock))
	assert.False(t, created.Muted(clock.Add(2*time.Hour)), "the mute ends by itself")
	path := "/urls/" + created.ID

	resp = serve(t, h, newRequest(t, "GET", path))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, muted, fields(t, resp))

	tests := []struct {
		name string
		body string
		want map[string]json.RawMessage
	}{
		{name: "absent unmutes", body: `{"url":"https://example.com/"}`, want: unmuted},
		{name: "mute again for 30 days exactly", body: `{"url":"https://example.com/","muted_until":"2026-12-21T10:00:00Z"}`,
			want: map[string]json.RawMessage{"muted_until": json.RawMessage(`"2026-12-21T10:00:00Z"`), "mute_reason": json.RawMessage(`""`),
				"cert_expiry_threshold_days": json.RawMessage(`null`)}},
		{name: "null unmutes", body: `{"url":"https://example.com/","muted_until":null,"mute_reason":null,"cert_expiry_threshold_days":null}`, want: unmuted},
		{name: "an empty reason without a mute", body: `{"url":"https://example.com/","mute_reason":""}`, want: unmuted},
	}
	for _, tc := range tests { // in order: each replaces the previous state
		resp = serve(t, h, newRequest(t, "PUT", path, withBody(tc.body)))
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", tc.name, resp.Body)
		assert.Equal(t, tc.want, fields(t, resp), tc.name)
		assert.Equal(t, tc.want, fields(t, serve(t, h, newRequest(t, "GET", path))), tc.name)
	}

	// A moment later the same mute is too far ahead, and a time the clock has passed is refused.
	clockAfter := New(f, f, Config{}, WithLogger(discardLogger()), WithClock(func() time.Time { return clock.Add(3 * time.Hour) }))
	for body, msg := range map[string]string{
		`{"url":"https://example.com/","muted_until":"2026-11-21T12:00:00Z"}`: "muted_until: 2026-11-21T12:00:00Z is not in the future (now is 2026-11-21T13:00:00Z); send null to unmute",
		`{"url":"https://example.com/","muted_until":"2026-12-21T13:00:01Z"}`: "muted_until: 2026-12-21T13:00:01Z is more than 30 days ahead; mute until 2026-12-21T13:00:00Z at the latest",
	} {
		resp = serve(t, clockAfter, newRequest(t, "PUT", path, withBody(body)))
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		eb := decodeError(t, resp)
		assert.Equal(t, CodeInvalidField, eb.Error.Code)
		assert.Equal(t, "muted_until", eb.Error.Field)
		assert.Equal(t, msg, eb.Error.Message)
	}
}

func TestLocation(t *testing.T) {
	t.Parallel()
	id := "0f8fad5bd9cb469fa16570867728950e"
	cases := []struct{ name, ctxPath, want string }{
		{"execute-api stage", "/prod/urls", "/prod/urls/" + id},
		{"custom domain base path", "/v1/urls/", "/v1/urls/" + id},
		{"custom domain at root", "/urls", "/urls/" + id},
		{"absent", "", "/urls/" + id},
		{"unexpected", "/hello/world", "/urls/" + id},
		{"control characters", "/a\r\nb/urls", "/urls/" + id},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := newRequest(t, "POST", "/urls")
			req.RequestContext.Path = tc.ctxPath
			assert.Equal(t, tc.want, location(&req, id))
		})
	}
}

func TestGetReplaceDelete(t *testing.T) {
	t.Parallel()
	f := newFakeStore()
	h := New(f, f, Config{}, WithLogger(discardLogger()))
	seeded := f.seed("https://example.com/")
	path := "/urls/" + seeded.ID

	resp := serve(t, h, newRequest(t, "GET", path))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, `"1"`, resp.Headers["ETag"])
	assert.Equal(t, seeded, decodeTarget(t, resp))
	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &raw))
	for _, k := range []string{"id", "url", "name", "enabled", "expected_status", "latency_threshold_ms", "timeout_ms",
		"method", "body_contains", "created_at", "updated_at", "version", "muted_until", "mute_reason", "cert_expiry_threshold_days"} {
		assert.Contains(t, raw, k, "design.md field %s", k)
	}

	// If-Match in each accepted spelling, each matching the then-current version.
	for i, im := range []string{`"1"`, `2`, `W/"3"`, `*`, ""} {
		opts := []reqOpt{withBody(`{"url":"https://example.com/","name":"v` + string(rune('2'+i)) + `"}`)}
		if im != "" {
			opts = append(opts, withHeader("If-Match", im))
		}
		resp = serve(t, h, newRequest(t, "PUT", path, opts...))
		require.Equal(t, http.StatusOK, resp.StatusCode, "If-Match %q: %s", im, resp.Body)
		got := decodeTarget(t, resp)
		assert.Equal(t, int64(i+2), got.Version)
		assert.Equal(t, etag(got.Version), resp.Headers["ETag"])
		assert.Equal(t, seeded.CreatedAt, got.CreatedAt)
	}

	resp = serve(t, h, newRequest(t, "PUT", path, withBody(`{"url":"https://example.com/"}`), withHeader("if-match", `"2"`)))
	require.Equal(t, http.StatusPreconditionFailed, resp.StatusCode)
	eb := decodeError(t, resp)
	assert.Equal(t, CodeVersionConflict, eb.Error.Code)
	assert.Equal(t, int64(6), eb.Error.CurrentVersion)
	assert.Contains(t, eb.Error.Message, "current version is 6")

	other := f.seed("https://other.example.com/")
	resp = serve(t, h, newRequest(t, "PUT", path, withBody(`{"url":"https://OTHER.example.com"}`)))
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	eb = decodeError(t, resp)
	assert.Equal(t, CodeDuplicateURL, eb.Error.Code)
	assert.Equal(t, other.ID, eb.Error.ExistingID)
	assert.Contains(t, eb.Error.Message, other.ID)

	resp = serve(t, h, newRequest(t, "DELETE", path))
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Empty(t, resp.Body)
	assert.NotContains(t, resp.Headers, "Content-Type")
	for _, m := range []string{"GET", "DELETE"} {
		resp = serve(t, h, newRequest(t, m, path))
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, m)
		assert.Equal(t, CodeNotFound, decodeError(t, resp).Error.Code)
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	f := newFakeStore()
	h := New(f, f, Config{}, WithLogger(discardLogger()))

	resp := serve(t, h, newRequest(t, "GET", "/urls"))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"items":[]}`, resp.Body, "empty list: an empty array, no next_token")
	assert.Equal(t, 20, f.lastLimit, "default page size")

	for i := range 5 {
		f.seed(fmt.Sprintf("https://site%02d.example.com/", i))
	}
	var ids []string
	token := ""
	for pages := 0; ; pages++ {
		opts := []reqOpt{withQuery("limit", "2")}
		if token != "" {
			opts = append(opts, withQuery("next_token", token))
		}
		resp = serve(t, h, newRequest(t, "GET", "/urls/", opts...))
		require.Equal(t, http.StatusOK, resp.StatusCode, resp.Body)
		assert.Equal(t, 2, f.lastLimit)
		var page struct {
			Items []struct {
				target.Target
				Status string `json:"status"`
			} `json:"items"`
			NextToken *string `json:"next_token"`
		}
		dec := json.NewDecoder(strings.NewReader(resp.Body))
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(&page))
		for _, it := range page.Items {
			ids = append(ids, it.ID)
			assert.Equal(t, "unknown", it.Status, "never checked")
		}
		if page.NextToken == nil {
			break
		}
		require.NotEmpty(t, *page.NextToken)
		token = *page.NextToken
		require.Less(t, pages, 5)
	}
	assert.Len(t, ids, 5)
}

func TestAlarmHistory(t *testing.T) {
	t.Parallel()
	f := newFakeStore()
	h := New(f, f, Config{}, WithLogger(discardLogger()))
	seeded := f.seed("https://example.com/")
	f.alarms[seeded.ID] = []store.AlarmRecord{
		{TargetID: seeded.ID, SK: "2026-11-21T10:05:00.000Z#m2", MessageID: "m2", AlarmName: "wh-" + seeded.ID + "-availability",
			AlarmKind: "availability", NewState: "OK", OldState: "ALARM", StateChangeTime: "2026-11-21T10:05:00.000Z", RecordedAt: "2026-11-21T10:05:01.000Z"},
		{TargetID: seeded.ID, SK: "2026-11-21T10:00:00.000Z#m1", MessageID: "m1", AlarmName: "wh-" + seeded.ID + "-availability",
			AlarmKind: "availability", NewState: "ALARM", OldState: "OK", Reason: "Threshold Crossed", MetricName: "Availability",
			StateChangeTime: "2026-11-21T10:00:00.000Z", RecordedAt: "2026-11-21T10:00:01.000Z"},
	}
	resp := serve(t, h, newRequest(t, "GET", "/urls/"+seeded.ID+"/alarms", withQuery("limit", "1")))
	require.Equal(t, http.StatusOK, resp.StatusCode, resp.Body)
	assert.JSONEq(t, `{"items":[{"target_id":"`+seeded.ID+`","message_id":"m2","alarm_name":"wh-`+seeded.ID+`-availability",`+
		`"alarm_kind":"availability","new_state":"OK","old_state":"ALARM","state_change_time":"2026-11-21T10:05:00.000Z",`+
		`"recorded_at":"2026-11-21T10:05:01.000Z"}],"next_token":"fake:1"}`, resp.Body)

	resp = serve(t, h, newRequest(t, "GET", "/urls/"+seeded.ID+"/alarms", withQuery("next_token", "fake:1")))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var page listBody[store.AlarmRecord]
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &page))
	require.Len(t, page.Items, 1)
	assert.Equal(t, "m1", page.Items[0].MessageID)
	assert.Empty(t, page.NextToken)
	assert.Equal(t, store.DefaultPageSize, f.lastLimit)

	other := f.seed("https://other.example.com/")
	resp = serve(t, h, newRequest(t, "GET", "/urls/"+other.ID+"/alarms"))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"items":[]}`, resp.Body)

	// A change while the target was muted says so; the others above say nothing of it.
	f.alarms[other.ID] = []store.AlarmRecord{{TargetID: other.ID, SK: "2026-11-21T10:00:00.000Z#m3", MessageID: "m3",
		AlarmName: "wh-" + other.ID + "-certificate", AlarmKind: "certificate", NewState: "ALARM", OldState: "OK",
		StateChangeTime: "2026-11-21T10:00:00.000Z", RecordedAt: "2026-11-21T10:00:01.000Z", Muted: true}}
	resp = serve(t, h, newRequest(t, "GET", "/urls/"+other.ID+"/alarms"))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"items":[{"target_id":"`+other.ID+`","message_id":"m3","alarm_name":"wh-`+other.ID+`-certificate",`+
		`"alarm_kind":"certificate","new_state":"ALARM","old_state":"OK","state_change_time":"2026-11-21T10:00:00.000Z",`+
		`"recorded_at":"2026-11-21T10:00:01.000Z","muted":true}]}`, resp.Body)
}

// Routing works from the declared resource templates too, whatever the mount path (custom domain base path).
func TestRoutesByResourceTemplate(t *testing.T) {
	t.Parallel()
	f := newFakeStore()
	h := New(f, f, Config{}, WithLogger(discardLogger()))
	seeded := f.seed("https://example.com/")
	cases := []struct {
		resource string
		params   map[string]string
		status   int
	}{
		{"/urls", nil, http.StatusOK},
		{"/urls/{id}", map[string]string{"id": seeded.ID}, http.StatusOK},
		{"/urls/{id}/alarms", map[string]string{"id": seeded.ID}, http.StatusOK},
		{"/urls/{id}", map[string]string{"id": "bad"}, http.StatusNotFound},
		{"/urls/{id}", nil, http.StatusNotFound},
	}
	for _, tc := range cases {
		req := newRequest(t, "GET", "/v1/anything")
		req.Resource, req.PathParameters = tc.resource, tc.params
		resp := serve(t, h, req)
		assert.Equal(t, tc.status, resp.StatusCode, "%s %v: %s", tc.resource, tc.params, resp.Body)
	}
}

func TestInternalErrors(t *testing.T) {
	t.Parallel()
	secret := errors.New("dial tcp 10.0.0.7:443: operation timed out (table urls-prod)")
	cases := []struct {
		name    string
		breakIt func(f *fakeStore)
		req     func(t *testing.T, id string) events.APIGatewayProxyRequest
		ctx     context.Context
		wantID  string
	}{
		{"store error on get", func(f *fakeStore) { f.fail = secret },
			func(t *testing.T, id string) events.APIGatewayProxyRequest { return newRequest(t, "GET", "/urls/"+id) },
			context.Background(), apigwRequestID},
		{"store error on create", func(f *fakeStore) { f.fail = secret },
			func(t *testing.T, _ string) events.APIGatewayProxyRequest {
				return newRequest(t, "POST", "/urls", withBody(`{"url":"https://x.example.com/"}`))
			}, context.Background(), apigwRequestID},
		{"panic in the store", func(f *fakeStore) { f.panicMsg = "boom: " + secret.Error() },
			func(t *testing.T, _ string) events.APIGatewayProxyRequest { return newRequest(t, "GET", "/urls") },
			context.Background(), apigwRequestID},
		{"lambda request id without API Gateway's", func(f *fakeStore) { f.fail = secret },
			func(t *testing.T, id string) events.APIGatewayProxyRequest {
				r := newRequest(t, "DELETE", "/urls/"+id)
				r.RequestContext.RequestID = ""
				return r
			}, lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-req-1"}), "lambda-req-1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeStore()
			seeded := f.seed("https://example.com/")
			tc.breakIt(f)
			var logs bytes.Buffer
			h := New(f, f, Config{CORSAllowOrigins: []string{"*"}}, WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))

			req := tc.req(t, seeded.ID)
			withHeader("Origin", "https://app.example.com")(&req)
			resp, err := h.Handle(tc.ctx, req)
			require.NoError(t, err)
			assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
			assert.JSONEq(t, `{"error":{"code":"internal","message":"internal error","request_id":"`+tc.wantID+`"}}`, resp.Body)
			assert.NotContains(t, resp.Body, "10.0.0.7", "no internal detail")
			assert.Equal(t, "*", resp.Headers["Access-Control-Allow-Origin"], "CORS headers on errors too")
			assert.Contains(t, logs.String(), "10.0.0.7", "the detail is logged")
			assert.Contains(t, logs.String(), `"level":"ERROR"`)
			assert.Contains(t, logs.String(), tc.wantID, "the log carries the request id")
		})
	}
}

func TestRequestLog(t *testing.T) {
	t.Parallel()
	f := newFakeStore()
	var logs bytes.Buffer
	h := New(f, f, Config{}, WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-req-2"})
	_, err := h.Handle(ctx, newRequest(t, "GET", "/urls"))
	require.NoError(t, err)
	var line map[string]any
	require.NoError(t, json.Unmarshal(logs.Bytes(), &line), logs.String())
	assert.Equal(t, "request served", line["msg"])
	assert.Equal(t, apigwRequestID, line["apigw_request_id"])
	assert.Equal(t, "lambda-req-2", line["lambda_request_id"])
	assert.Equal(t, "/urls", line["route"])
	assert.EqualValues(t, 200, line["status"])
}

func TestCORS(t *testing.T) {
	t.Parallel()
	const app = "https://app.example.com"
	list := Config{CORSAllowOrigins: []string{app, "http://localhost:3000"}}
	star := Config{CORSAllowOrigins: []string{"*"}}
	seededID := "00000000000000000000000000000001"
	preflight := func(origin string) []reqOpt {
		return []reqOpt{withHeader("Origin", origin), withHeader("Access-Control-Request-Method", "PUT"),
			withHeader("Access-Control-Request-Headers", "content-type,if-match,x-api-key")}
	}
	cases := []struct {
		name   string
		cfg    Config
		method string
		path   string
		opts   []reqOpt
		status int
		want   map[string]string // header -> value; "" means absent
	}{
		{"unconfigured", Config{}, "GET", "/urls", []reqOpt{withHeader("Origin", app)}, 200,
			map[string]string{"Access-Control-Allow-Origin": "", "Vary": "", "Access-Control-Expose-Headers": ""}},
		{"allowed origin", list, "GET", "/urls", []reqOpt{withHeader("origin", app)}, 200,
			map[string]string{"Access-Control-Allow-Origin": app, "Vary": "Origin", "Access-Control-Expose-Headers": "ETag, Location"}},
		{"second allowed origin", list, "GET", "/urls", []reqOpt{withHeader("Origin", "http://localhost:3000")}, 200,
			map[string]string{"Access-Control-Allow-Origin": "http://localhost:3000"}},
		{"origin not allowed", list, "GET", "/urls", []reqOpt{withHeader("Origin", "https://evil.example.com")}, 200,
			map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Expose-Headers": "", "Vary": "Origin"}},
		{"allowed origin's sub-domain", list, "GET", "/urls", []reqOpt{withHeader("Origin", "https://x.app.example.com")}, 200,
			map[string]string{"Access-Control-Allow-Origin": ""}},
		{"no Origin", list, "GET", "/urls", nil, 200,
			map[string]string{"Access-Control-Allow-Origin": "", "Vary": "Origin"}},
		{"wildcard", star, "GET", "/urls", []reqOpt{withHeader("Origin", "https://anything.example")}, 200,
			map[string]string{"Access-Control-Allow-Origin": "*", "Vary": "", "Access-Control-Expose-Headers": "ETag, Location"}},
		{"error answers carry CORS", list, "GET", "/urls/" + missingID, []reqOpt{withHeader("Origin", app)}, 404,
			map[string]string{"Access-Control-Allow-Origin": app}},
		{"405 carries CORS", list, "PATCH", "/urls", []reqOpt{withHeader("Origin", app)}, 405,
			map[string]string{"Access-Control-Allow-Origin": app, "Allow": "GET, POST, OPTIONS"}},
		{"preflight collection", list, "OPTIONS", "/urls", preflight(app), 204, map[string]string{
			"Access-Control-Allow-Origin": app, "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
			"Access-Control-Allow-Headers": "Content-Type, If-Match, X-Api-Key, Authorization",
			"Access-Control-Max-Age":       "600", "Vary": "Origin", "Allow": "GET, POST, OPTIONS"}},
		{"preflight item", star, "OPTIONS", "/urls/" + seededID, preflight(app), 204, map[string]string{
			"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, PUT, DELETE, OPTIONS"}},
		{"preflight alarms", list, "OPTIONS", "/urls/" + seededID + "/alarms", preflight(app), 204, map[string]string{
			"Access-Control-Allow-Methods": "GET, OPTIONS"}},
		{"preflight from a refused origin", list, "OPTIONS", "/urls", preflight("https://evil.example.com"), 204, map[string]string{
			"Access-Control-Allow-Origin": "", "Access-Control-Allow-Methods": "", "Access-Control-Max-Age": "", "Allow": "GET, POST, OPTIONS"}},
		{"preflight unconfigured", Config{}, "OPTIONS", "/urls", preflight(app), 204, map[string]string{
			"Access-Control-Allow-Origin": "", "Access-Control-Allow-Methods": "", "Allow": "GET, POST, OPTIONS"}},
		{"plain OPTIONS", list, "OPTIONS", "/urls", []reqOpt{withHeader("Origin", app)}, 204, map[string]string{
			"Access-Control-Allow-Methods": "", "Allow": "GET, POST, OPTIONS"}},
		{"preflight unknown route", list, "OPTIONS", "/nope", preflight(app), 404, map[string]string{
			"Access-Control-Allow-Methods": ""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeStore()
			f.seed("https://example.com/")
			h := New(f, f, tc.cfg, WithLogger(discardLogger()))
			resp := serve(t, h, newRequest(t, tc.method, tc.path, tc.opts...))
			assert.Equal(t, tc.status, resp.StatusCode, resp.Body)
			for k, v := range tc.want {
				if v == "" {
					assert.NotContains(t, resp.Headers, k)
				} else {
					assert.Equal(t, v, resp.Headers[k], k)
				}
			}
			if tc.method == "OPTIONS" {
				assert.Zero(t, f.count("Get")+f.count("List"), "preflight does not touch the store")
			}
		})
	}
}

// FuzzCreateBody: whatever body a client posts, the answer is a 201 or a 4xx with a known code,
// never a 500, and a rejected body stores nothing.
func FuzzCreateBody(f *testing.F) {
	for _, s := range []string{
		`{"url":"https://example.com/"}`, `{"url":"https://x.example.com/","expected_status":[200,204],"method":"HEAD"}`,
		`{"url":1}`, `{"URL":"x"}`, `{"url":"a","url":"b"}`, `{} {}`, `[`, `null`, "\xff", `{"timeout_ms":1e400}`,
		`{"url":"http://169.254.169.254/"}`, `{"url":"https://example.com/","name":"\u0000"}`,
		`{"url":"https://example.com/","muted_until":"2026-11-21T10:00:00Z","mute_reason":"x","cert_expiry_threshold_days":14}`,
		`{"url":"https://example.com/","muted_until":null,"cert_expiry_threshold_days":1e3}`, `{"muted_until":{}}`,
	} {
		f.Add(s, false)
	}
	base := newRequest(f, "POST", "/urls")
	h := func(fs *fakeStore) *Handler { return New(fs, fs, Config{}, WithLogger(discardLogger())) }
	known := map[string]bool{CodeMalformedBody: true, CodeMalformedJSON: true, CodeUnknownField: true, CodeInvalidType: true,
		CodeInvalidField: true, CodePayloadTooLarge: true}
	f.Fuzz(func(t *testing.T, body string, b64 bool) {
		fs := newFakeStore()
		req := base
		req.Body, req.IsBase64Encoded = body, b64
		resp, err := h(fs).Handle(context.Background(), req)
		if err != nil {
			t.Fatalf("handler error: %v", err)
		}
		if resp.StatusCode == http.StatusCreated {
			return
		}
		var eb errorBody
		if err := json.Unmarshal([]byte(resp.Body), &eb); err != nil || !known[eb.Error.Code] {
			t.Fatalf("status %d body %s", resp.StatusCode, resp.Body)
		}
		if len(fs.snapshot()) != 0 || fs.mutations() != 0 {
			t.Fatalf("rejected body %q reached the store", body)
		}
	})
}

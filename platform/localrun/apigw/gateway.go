package apigw

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/webhealth/webhealth/platform/localrun/internal/ids"
	"github.com/webhealth/webhealth/platform/localrun/lambdarun"
)

// Invoker runs a function synchronously.
type Invoker interface {
	Invoke(ctx context.Context, target string, payload []byte) (*lambdarun.Result, error)
}

// maxRequestBody is API Gateway's payload limit (10 MB).
const maxRequestBody = 10 << 20

// Gateway is the http.Handler for every stage of every REST API in the emulator.
type Gateway struct {
	api     API
	invoker Invoker
	ttl     time.Duration
	log     *slog.Logger
	now     func() time.Time

	mu   sync.Mutex
	snap *snapshot
}

// New returns a gateway that rereads the configuration from the emulator when it is older than
// ttl, so a re-apply is picked up without a restart.
func New(api API, invoker Invoker, ttl time.Duration, log *slog.Logger) *Gateway {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Gateway{api: api, invoker: invoker, ttl: ttl, log: log, now: time.Now}
}

func (g *Gateway) snapshot(ctx context.Context) (*snapshot, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.snap != nil && time.Since(g.snap.at) < g.ttl {
		return g.snap, nil
	}
	s, err := load(ctx, g.api)
	if err != nil {
		if g.snap != nil {
			g.log.WarnContext(ctx, "reload API Gateway configuration; serving the previous one", "err", err)
			return g.snap, nil
		}
		return nil, err
	}
	g.snap = s
	return s, nil
}

// StageInfo and APIInfo describe what is served, for the health report.
type StageInfo struct {
	Name      string            `json:"name"`
	URL       string            `json:"url"`
	Variables map[string]string `json:"variables,omitempty"`
	APIKeys   int               `json:"api_keys"`
}

// APIInfo is one REST API.
type APIInfo struct {
	ID     string      `json:"id"`
	Region string      `json:"region,omitempty"` // set by a runtime serving several regions
	Name   string      `json:"name"`
	Stages []StageInfo `json:"stages"`
	Routes []Route     `json:"routes"`
}

// Describe reports the REST APIs and their stages, with their local URLs under baseURL.
func (g *Gateway) Describe(ctx context.Context, baseURL string) ([]APIInfo, error) {
	s, err := g.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]APIInfo, 0, len(s.apis))
	for _, a := range s.apis {
		info := APIInfo{ID: a.id, Name: a.name, Routes: a.routes}
		for _, st := range a.stages {
			info.Stages = append(info.Stages, StageInfo{Name: st.name, URL: baseURL + "/" + a.id + "/" + st.name,
				Variables: st.vars, APIKeys: len(st.keys)})
		}
		sort.Slice(info.Stages, func(i, j int) bool { return info.Stages[i].Name < info.Stages[j].Name })
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Has says whether the emulator has the REST API id (in this gateway's region); false when its
// configuration cannot be read.
func (g *Gateway) Has(ctx context.Context, id string) bool {
	s, err := g.snapshot(ctx)
	if err != nil {
		return false
	}
	_, ok := s.apis[id]
	return ok
}

// gatewayError writes API Gateway's own error responses.
func gatewayError(w http.ResponseWriter, status int, errType, msg, requestID string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("x-amzn-ErrorType", errType)
	h.Set("x-amzn-RequestId", requestID)
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"message":%q}`, msg)
}

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	received := g.now()
	requestID := ids.UUID()
	ctx := r.Context()
	segs := splitPath(r.URL.EscapedPath())
	if len(segs) < 2 {
		gatewayError(w, http.StatusNotFound, "NotFoundException", "Not Found", requestID)
		return
	}
	s, err := g.snapshot(ctx)
	if err != nil {
		g.log.ErrorContext(ctx, "load API Gateway configuration from the emulator", "err", err)
		gatewayError(w, http.StatusInternalServerError, "InternalServerErrorException", "Internal server error", requestID)
		return
	}
	api, ok := s.apis[segs[0]]
	if !ok {
		gatewayError(w, http.StatusNotFound, "NotFoundException", "Not Found", requestID)
		return
	}
	st, ok := api.stages[segs[1]]
	if !ok {
		gatewayError(w, http.StatusForbidden, "ForbiddenException", "Forbidden", requestID)
		return
	}
	rest := segs[2:]
	if n := len(rest); n > 0 && rest[n-1] == "" {
		rest = rest[:n-1] // a trailing slash addresses the same resource
	}
	params := map[string]string{}
	res := api.root.match(rest, params)
	var m *method
	if res != nil {
		m = res.methods[r.Method]
		if m == nil {
			m = res.methods["ANY"]
		}
	}
	if m == nil {
		gatewayError(w, http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token", requestID)
		return
	}
	keyValue, keyID := "", ""
	if m.apiKeyRequired {
		keyValue = r.Header.Get("X-Api-Key")
		id, ok := st.keys[keyValue]
		if keyValue == "" || !ok {
			gatewayError(w, http.StatusForbidden, "ForbiddenException", "Forbidden", requestID)
			return
		}
		keyID = id
	}
	if m.authorizationType != "NONE" {
		g.log.WarnContext(ctx, "method authorization is not emulated; refusing", "api", api.id, "resource", res.resourcePath,
			"method", m.httpMethod, "authorization", m.authorizationType)
		gatewayError(w, http.StatusForbidden, "ForbiddenException", "Forbidden", requestID)
		return
	}
	switch m.integration {
	case "AWS_PROXY":
	case "MOCK":
		for k, v := range m.mockHeaders {
			w.Header().Set(k, v)
		}
		w.Header().Set("x-amzn-RequestId", requestID)
		w.WriteHeader(m.mockStatus)
		_, _ = io.WriteString(w, m.mockBody)
		return
	default:
		g.log.ErrorContext(ctx, "integration type is not emulated", "api", api.id, "resource", res.resourcePath,
			"method", m.httpMethod, "integration", m.integration)
		gatewayError(w, http.StatusInternalServerError, "InternalServerErrorException", "Internal server error", requestID)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		gatewayError(w, http.StatusBadRequest, "BadRequestException", "Bad Request", requestID)
		return
	}
	if len(body) > maxRequestBody {
		gatewayError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", "Request Too Long", requestID)
		return
	}
	function := functionFromURI(m.uri, st.vars)
	ev := buildEvent(eventInput{
		r: r, api: api, stage: st, res: res, params: params, body: body, rest: rest,
		requestID: requestID, received: received, apiKey: keyValue, apiKeyID: keyID, accountID: accountOf(function),
	})
	payload, err := json.Marshal(ev)
	if err != nil {
		gatewayError(w, http.StatusInternalServerError, "InternalServerErrorException", "Internal server error", requestID)
		return
	}
	ictx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	result, err := g.invoker.Invoke(ictx, function, payload)
	switch {
	case err != nil && errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
		gatewayError(w, http.StatusGatewayTimeout, "IntegrationTimeout", "Endpoint request timed out", requestID)
		return
	case err != nil:
		g.log.ErrorContext(ctx, "Lambda integration could not run the function", "function", function, "request_id", requestID, "err", err)
		gatewayError(w, http.StatusInternalServerError, "InternalServerErrorException", "Internal server error", requestID)
		return
	case result.Failed():
		g.log.WarnContext(ctx, "Lambda function failed", "function", function, "request_id", requestID,
			"lambda_request_id", result.RequestID, "error_type", result.ErrorType)
		gatewayError(w, http.StatusBadGateway, "InternalServerErrorException", "Internal server error", requestID)
		return
	}
	resp, err := parseProxyResponse(result.Payload)
	if err != nil {
		g.log.WarnContext(ctx, "malformed Lambda proxy response", "function", function, "request_id", requestID, "err", err)
		gatewayError(w, http.StatusBadGateway, "InternalServerErrorException", "Internal server error", requestID)
		return
	}
	g.writeResponse(w, r, api, resp, requestID)
}

// splitPath splits an escaped URL path into unescaped segments, so an encoded slash stays inside
// its segment.
func splitPath(escaped string) []string {
	parts := strings.Split(strings.TrimPrefix(escaped, "/"), "/")
	for i, p := range parts {
		if u, err := url.PathUnescape(p); err == nil {
			parts[i] = u
		}
	}
	return parts
}

func accountOf(functionARN string) string {
	parts := strings.Split(functionARN, ":")
	if len(parts) > 4 {
		return parts[4]
	}
	return ""
}

type eventInput struct {
	r                *http.Request
	api              *restAPI
	stage            *stage
	res              *node
	params           map[string]string
	body             []byte
	rest             []string
	requestID        string
	received         time.Time
	apiKey, apiKeyID string
	accountID        string
}

// buildEvent is the Lambda proxy integration request, in API Gateway's format.
func buildEvent(in eventInput) events.APIGatewayProxyRequest {
	r := in.r
	sourceIP := r.RemoteAddr
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		sourceIP = host
	}
	mvh := map[string][]string{}
	for k, v := range r.Header {
		mvh[k] = append([]string(nil), v...)
	}
	mvh["X-Forwarded-For"] = []string{sourceIP}
	mvh["X-Forwarded-Proto"] = []string{"http"}
	if _, port, err := net.SplitHostPort(r.Host); err == nil {
		mvh["X-Forwarded-Port"] = []string{port}
	}
	mvh["X-Amzn-Trace-Id"] = []string{fmt.Sprintf("Root=1-%08x-%s", in.received.Unix(), ids.Hex(12))}
	if r.Host != "" {
		mvh["Host"] = []string{r.Host}
	}
	headers := make(map[string]string, len(mvh))
	for k, v := range mvh {
		headers[k] = v[len(v)-1]
	}
	var qs map[string]string
	var mvqs map[string][]string
	if q := r.URL.Query(); len(q) > 0 {
		qs, mvqs = map[string]string{}, map[string][]string{}
		for k, v := range q {
			qs[k] = v[len(v)-1]
			mvqs[k] = v
		}
	}
	var pathParams map[string]string
	if len(in.params) > 0 {
		pathParams = in.params
	}
	var stageVars map[string]string
	if len(in.stage.vars) > 0 {
		stageVars = in.stage.vars
	}
	path := "/" + strings.Join(in.rest, "/")
	if strings.HasSuffix(r.URL.Path, "/") && path != "/" {
		path += "/"
	}
	body, b64 := "", false
	if len(in.body) > 0 {
		if isBinary(r.Header.Get("Content-Type"), in.api.binaryMediaTypes) || !utf8.Valid(in.body) {
			body, b64 = base64.StdEncoding.EncodeToString(in.body), true
		} else {
			body = string(in.body)
		}
	}
	domainPrefix, _, _ := strings.Cut(r.Host, ".")
	return events.APIGatewayProxyRequest{
		Resource:                        in.res.resourcePath,
		Path:                            path,
		HTTPMethod:                      r.Method,
		Headers:                         headers,
		MultiValueHeaders:               mvh,
		QueryStringParameters:           qs,
		MultiValueQueryStringParameters: mvqs,
		PathParameters:                  pathParams,
		StageVariables:                  stageVars,
		Body:                            body,
		IsBase64Encoded:                 b64,
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID:         in.accountID,
			ResourceID:        in.res.resourceID,
			Stage:             in.stage.name,
			DomainName:        r.Host,
			DomainPrefix:      domainPrefix,
			RequestID:         in.requestID,
			ExtendedRequestID: ids.Hex(8),
			Protocol:          r.Proto,
			Identity: events.APIGatewayRequestIdentity{
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
				APIKey:    in.apiKey,
				APIKeyID:  in.apiKeyID,
			},
			ResourcePath: in.res.resourcePath,
			// The path the client called, as API Gateway reports it (on execute-api domains that
			// is /<stage>/<path>; here the local URL also carries the API id, like a custom
			// domain's base path), so Location headers built from it work locally.
			Path:             r.URL.Path,
			HTTPMethod:       r.Method,
			RequestTime:      in.received.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			RequestTimeEpoch: in.received.UnixMilli(),
			APIID:            in.api.id,
		},
	}
}

// isBinary reports whether a media type is one of the API's binaryMediaTypes (wildcards allowed).
func isBinary(contentType string, binary []string) bool {
	if contentType == "" || len(binary) == 0 {
		return false
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(contentType))
	}
	major, _, _ := strings.Cut(mt, "/")
	for _, b := range binary {
		b = strings.ToLower(strings.ReplaceAll(b, "~1", "/"))
		if b == mt || b == "*/*" || b == major+"/*" {
			return true
		}
	}
	return false
}

type proxyResponse struct {
	status   int
	headers  map[string]string
	multi    map[string][]string
	body     string
	isBase64 bool
}

// parseProxyResponse validates the function's answer as API Gateway does: a JSON object with a
// numeric statusCode and only the known keys; anything else is a 502.
func parseProxyResponse(b []byte) (*proxyResponse, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	out := &proxyResponse{status: http.StatusOK}
	for k, v := range raw {
		if string(v) == "null" {
			continue
		}
		var err error
		switch k {
		case "statusCode":
			var n json.Number
			if v[0] == '"' {
				err = errors.New("not a number")
			} else if err = json.Unmarshal(v, &n); err == nil {
				var i int64
				i, err = strconv.ParseInt(n.String(), 10, 32)
				out.status = int(i)
			}
		case "headers":
			err = json.Unmarshal(v, &out.headers)
		case "multiValueHeaders":
			err = json.Unmarshal(v, &out.multi)
		case "body":
			err = json.Unmarshal(v, &out.body)
		case "isBase64Encoded":
			err = json.Unmarshal(v, &out.isBase64)
		default:
			err = errors.New("unexpected key")
		}
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", k, err)
		}
	}
	if _, ok := raw["statusCode"]; !ok {
		return nil, errors.New("no statusCode")
	}
	if out.status < 100 || out.status > 599 {
		return nil, fmt.Errorf("statusCode %d out of range", out.status)
	}
	return out, nil
}

func (g *Gateway) writeResponse(w http.ResponseWriter, r *http.Request, api *restAPI, resp *proxyResponse, requestID string) {
	h := w.Header()
	for k, vs := range resp.multi {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for k, v := range resp.headers {
		if _, dup := resp.multi[k]; !dup {
			h.Set(k, v)
		}
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	h.Set("x-amzn-RequestId", requestID)
	h.Set("x-amz-apigw-id", ids.Hex(8))
	body := []byte(resp.body)
	if resp.isBase64 {
		// API Gateway turns a base64 body back into bytes only when the client accepts, or the
		// response declares, one of the API's binary media types; otherwise it returns the text.
		if isBinary(h.Get("Content-Type"), api.binaryMediaTypes) || acceptsBinary(r.Header.Get("Accept"), api.binaryMediaTypes) {
			dec, err := base64.StdEncoding.DecodeString(resp.body)
			if err != nil {
				g.log.Warn("Lambda proxy response: isBase64Encoded body is not base64", "request_id", requestID, "err", err)
				gatewayError(w, http.StatusBadGateway, "InternalServerErrorException", "Internal server error", requestID)
				return
			}
			body = dec
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(resp.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

func acceptsBinary(accept string, binary []string) bool {
	for part := range strings.SplitSeq(accept, ",") {
		if isBinary(strings.TrimSpace(part), binary) {
			return true
		}
	}
	return false
}

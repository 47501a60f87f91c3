package apigw

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/localrun/internal/runtimetest"
	"github.com/webhealth/webhealth/platform/localrun/lambdarun"
	"github.com/webhealth/webhealth/platform/localrun/lambdatest"
	"github.com/webhealth/webhealth/platform/moto"
)

func TestMain(m *testing.M) { moto.Main(m) }

// fixture is a REST API deployed to moto through the SDK, the way Terraform builds one, served
// by a Gateway that runs the real test function through the local Lambda runtime.
type fixture struct {
	srv      *httptest.Server
	apiID    string
	plainID  string // an API without binaryMediaTypes
	key      string
	disabled string
	other    string // a key whose usage plan covers another stage only
	fnGet    string
	fnAny    string
}

func setup(t *testing.T, lambdaTimeout int32) *fixture {
	t.Helper()
	ctx := context.Background()
	m := moto.Shared(t)
	gw := apigateway.NewFromConfig(m.Config())
	rt := runtimetest.New(t, m)

	f := &fixture{}
	getARN := rt.Deploy(t, lambdatest.Function{Name: lambdatest.Unique("get"), Timeout: lambdaTimeout})
	anyARN := rt.Deploy(t, lambdatest.Function{Name: lambdatest.Unique("any"), Timeout: lambdaTimeout})
	f.fnGet, _, _ = lambdarun.ParseTarget(getARN)
	f.fnAny, _, _ = lambdarun.ParseTarget(anyARN)
	uri := func(arn string) *string {
		return aws.String("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + arn + "/invocations")
	}

	api, err := gw.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String(lambdatest.Unique("api"))})
	require.NoError(t, err)
	f.apiID = aws.ToString(api.Id)
	// moto 5.2 ignores binaryMediaTypes on create and takes the type from the patch value.
	_, err = gw.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: api.Id, PatchOperations: []types.PatchOperation{{
		Op: types.OpAdd, Path: aws.String("/binaryMediaTypes/application~1octet-stream"), Value: aws.String("application/octet-stream")}}})
	require.NoError(t, err)
	res, err := gw.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: api.Id})
	require.NoError(t, err)
	root := res.Items[0].Id
	resource := func(parent *string, part string) *string {
		r, err := gw.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: parent, PathPart: aws.String(part)})
		require.NoError(t, err)
		return r.Id
	}
	method := func(api, res *string, verb string, keyRequired bool, fnARN string, timeoutMs int32) {
		_, err := gw.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api, ResourceId: res, HttpMethod: aws.String(verb),
			AuthorizationType: aws.String("NONE"), ApiKeyRequired: keyRequired})
		require.NoError(t, err)
		in := &apigateway.PutIntegrationInput{RestApiId: api, ResourceId: res, HttpMethod: aws.String(verb),
			Type: types.IntegrationTypeAwsProxy, IntegrationHttpMethod: aws.String("POST"), Uri: uri(fnARN)}
		if timeoutMs > 0 {
			in.TimeoutInMillis = aws.Int32(timeoutMs)
		}
		_, err = gw.PutIntegration(ctx, in)
		require.NoError(t, err)
	}
	urls := resource(root, "urls")
	method(api.Id, urls, "GET", false, getARN, 0)
	method(api.Id, urls, "ANY", false, anyARN, 0)
	id := resource(urls, "{id}")
	method(api.Id, id, "ANY", true, anyARN, 0)
	alarms := resource(id, "alarms")
	method(api.Id, alarms, "GET", false, anyARN, 0)
	files := resource(root, "files")
	proxy := resource(files, "{proxy+}")
	method(api.Id, proxy, "ANY", false, anyARN, 0)
	slow := resource(root, "slow")
	method(api.Id, slow, "GET", false, anyARN, 500)
	_, err = gw.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("v1"),
		Variables: map[string]string{"env": "test"}})
	require.NoError(t, err)
	_, err = gw.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("v2")})
	require.NoError(t, err)

	// API keys: one enabled in a plan for v1, one disabled in that plan, one in a plan for v2 only.
	key := func(enabled bool) (id, value string) {
		k, err := gw.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String(lambdatest.Unique("key")), Enabled: enabled})
		require.NoError(t, err)
		return aws.ToString(k.Id), aws.ToString(k.Value)
	}
	plan := func(stage string, keyIDs ...string) {
		p, err := gw.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String(lambdatest.Unique("plan")),
			ApiStages: []types.ApiStage{{ApiId: api.Id, Stage: aws.String(stage)}}})
		require.NoError(t, err)
		for _, k := range keyIDs {
			_, err := gw.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: p.Id, KeyId: aws.String(k), KeyType: aws.String("API_KEY")})
			require.NoError(t, err)
		}
	}
	k1, v1 := key(true)
	k2, v2 := key(false)
	k3, v3 := key(true)
	plan("v1", k1, k2)
	plan("v2", k3)
	f.key, f.disabled, f.other = v1, v2, v3

	plain, err := gw.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String(lambdatest.Unique("plain"))})
	require.NoError(t, err)
	f.plainID = aws.ToString(plain.Id)
	pres, err := gw.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: plain.Id})
	require.NoError(t, err)
	pproxy := resource2(t, gw, plain.Id, pres.Items[0].Id, "{proxy+}")
	method(plain.Id, pproxy, "ANY", false, anyARN, 0)
	_, err = gw.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: plain.Id, StageName: aws.String("v1")})
	require.NoError(t, err)

	g := New(gw, rt.Functions, time.Minute, nil)
	f.srv = httptest.NewServer(g)
	t.Cleanup(f.srv.Close)
	return f
}

func resource2(t *testing.T, gw *apigateway.Client, api, parent *string, part string) *string {
	t.Helper()
	r, err := gw.CreateResource(context.Background(), &apigateway.CreateResourceInput{RestApiId: api, ParentId: parent, PathPart: aws.String(part)})
	require.NoError(t, err)
	return r.Id
}

type reply struct {
	status  int
	header  http.Header
	body    []byte
	event   events.APIGatewayProxyRequest
	message string
}

func do(t *testing.T, method, url string, header map[string]string, body []byte) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := reply{status: resp.StatusCode, header: resp.Header, body: b}
	if resp.Header.Get("X-Function") != "" && resp.Header.Get("Content-Type") == "application/json" {
		require.NoError(t, json.Unmarshal(b, &out.event), "%s", b)
	} else {
		var m struct{ Message string }
		_ = json.Unmarshal(b, &m)
		out.message = m.Message
	}
	return out
}

func TestGatewayRoutesAndEvents(t *testing.T) {
	t.Parallel()
	f := setup(t, 3)
	base := f.srv.URL + "/" + f.apiID + "/v1"

	tests := []struct {
		name      string
		method    string
		path      string
		header    map[string]string
		body      string
		status    int
		function  string
		resource  string
		params    map[string]string
		message   string
		checkMore func(t *testing.T, r reply)
	}{
		{name: "specific method wins over ANY", method: "GET", path: "/urls?limit=5&tag=a&tag=b", status: 200, function: f.fnGet, resource: "/urls",
			checkMore: func(t *testing.T, r reply) {
				assert.Equal(t, map[string]string{"limit": "5", "tag": "b"}, r.event.QueryStringParameters)
				assert.Equal(t, []string{"a", "b"}, r.event.MultiValueQueryStringParameters["tag"])
				assert.Nil(t, r.event.PathParameters)
				assert.Equal(t, "/urls", r.event.Path)
				assert.Equal(t, "/"+f.apiID+"/v1/urls", r.event.RequestContext.Path, "the path the client called")
				assert.Equal(t, map[string]string{"env": "test"}, r.event.StageVariables)
			}},
		{name: "ANY catches other methods", method: "POST", path: "/urls", header: map[string]string{"Content-Type": "application/json"},
			body: `{"url":"https://example.com"}`, status: 200, function: f.fnAny, resource: "/urls",
			checkMore: func(t *testing.T, r reply) {
				assert.Equal(t, `{"url":"https://example.com"}`, r.event.Body)
				assert.False(t, r.event.IsBase64Encoded)
				assert.Equal(t, "POST", r.event.HTTPMethod)
				assert.Nil(t, r.event.QueryStringParameters)
			}},
		{name: "path parameter with the API key", method: "DELETE", path: "/urls/abc%20def", header: map[string]string{"x-api-key": f.key},
			status: 200, function: f.fnAny, resource: "/urls/{id}", params: map[string]string{"id": "abc def"},
			checkMore: func(t *testing.T, r reply) {
				assert.Equal(t, f.key, r.event.RequestContext.Identity.APIKey)
				assert.NotEmpty(t, r.event.RequestContext.Identity.APIKeyID)
				assert.Equal(t, f.key, r.event.Headers["X-Api-Key"])
			}},
		{name: "nested resource", method: "GET", path: "/urls/x1/alarms", status: 200, function: f.fnAny, resource: "/urls/{id}/alarms",
			params: map[string]string{"id": "x1"}},
		{name: "greedy proxy", method: "PUT", path: "/files/a/b/c.txt", status: 200, function: f.fnAny, resource: "/files/{proxy+}",
			params: map[string]string{"proxy": "a/b/c.txt"}},
		{name: "binary request body is base64", method: "POST", path: "/files/blob", header: map[string]string{"Content-Type": "application/octet-stream"},
			body: "\x00\x01\xfe\xff", status: 200, function: f.fnAny, resource: "/files/{proxy+}", params: map[string]string{"proxy": "blob"},
			checkMore: func(t *testing.T, r reply) {
				assert.True(t, r.event.IsBase64Encoded)
				assert.Equal(t, base64.StdEncoding.EncodeToString([]byte("\x00\x01\xfe\xff")), r.event.Body)
			}},
		{name: "api key missing", method: "GET", path: "/urls/abc", status: 403, message: "Forbidden"},
		{name: "api key unknown", method: "GET", path: "/urls/abc", header: map[string]string{"x-api-key": "nope"}, status: 403, message: "Forbidden"},
		{name: "api key disabled", method: "GET", path: "/urls/abc", header: map[string]string{"x-api-key": f.disabled}, status: 403, message: "Forbidden"},
		{name: "api key of another stage", method: "GET", path: "/urls/abc", header: map[string]string{"x-api-key": f.other}, status: 403, message: "Forbidden"},
		{name: "no such resource", method: "GET", path: "/nothing", status: 403, message: "Missing Authentication Token"},
		{name: "no such method", method: "POST", path: "/urls/x1/alarms", status: 403, message: "Missing Authentication Token"},
		{name: "function error", method: "GET", path: "/urls?fail=1", status: 502, message: "Internal server error"},
		{name: "malformed proxy response", method: "GET", path: `/urls?raw=%7B%22body%22%3A%22x%22%7D`, status: 502, message: "Internal server error"},
		{name: "function timeout", method: "GET", path: "/urls?sleep=5000", status: 502, message: "Internal server error"},
		{name: "integration timeout", method: "GET", path: "/slow?sleep=2000", status: 504, message: "Endpoint request timed out"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := do(t, tc.method, base+tc.path, tc.header, []byte(tc.body))
			require.Equal(t, tc.status, r.status, "%s", r.body)
			assert.NotEmpty(t, r.header.Get("X-Amzn-Requestid"))
			if tc.message != "" {
				assert.Equal(t, tc.message, r.message)
				assert.Equal(t, "application/json", r.header.Get("Content-Type"))
				return
			}
			assert.Equal(t, tc.function, r.header.Get("X-Function"))
			assert.Equal(t, "one", r.header.Get("X-Single"))
			assert.Equal(t, []string{"a", "b"}, r.header.Values("X-Multi"))
			ev := r.event
			assert.Equal(t, tc.resource, ev.Resource)
			assert.Equal(t, tc.resource, ev.RequestContext.ResourcePath)
			if tc.params == nil {
				assert.Nil(t, ev.PathParameters)
			} else {
				assert.Equal(t, tc.params, ev.PathParameters)
			}
			assert.Equal(t, f.apiID, ev.RequestContext.APIID)
			assert.Equal(t, "v1", ev.RequestContext.Stage)
			assert.Equal(t, "123456789012", ev.RequestContext.AccountID)
			assert.Equal(t, "127.0.0.1", ev.RequestContext.Identity.SourceIP)
			assert.Equal(t, "Go-http-client/1.1", ev.RequestContext.Identity.UserAgent)
			assert.Equal(t, r.header.Get("X-Amzn-Requestid"), ev.RequestContext.RequestID)
			assert.InDelta(t, time.Now().UnixMilli(), ev.RequestContext.RequestTimeEpoch, 60_000)
			assert.Equal(t, strings.TrimPrefix(f.srv.URL, "http://"), ev.RequestContext.DomainName)
			assert.NotEmpty(t, ev.RequestContext.ResourceID)
			assert.Equal(t, "HTTP/1.1", ev.RequestContext.Protocol)
			assert.Equal(t, []string{"127.0.0.1"}, ev.MultiValueHeaders["X-Forwarded-For"])
			if tc.checkMore != nil {
				tc.checkMore(t, r)
			}
		})
	}
}

func TestGatewayBinaryResponses(t *testing.T) {
	t.Parallel()
	f := setup(t, 3)
	want := []byte(strings.Repeat("\x00\xff", 4))

	r := do(t, "GET", f.srv.URL+"/"+f.apiID+"/v1/files/x?binary=1", nil, nil)
	require.Equal(t, 200, r.status)
	assert.Equal(t, want, r.body, "a base64 body is decoded when its type is one of the API's binaryMediaTypes")

	r = do(t, "GET", f.srv.URL+"/"+f.plainID+"/v1/files/x?binary=1", nil, nil)
	require.Equal(t, 200, r.status)
	assert.Equal(t, base64.StdEncoding.EncodeToString(want), string(r.body),
		"without binaryMediaTypes API Gateway returns the base64 text as is")
}

func TestGatewayUnknownAPIAndStage(t *testing.T) {
	t.Parallel()
	f := setup(t, 3)
	r := do(t, "GET", f.srv.URL+"/"+f.apiID+"/nostage/urls", nil, nil)
	assert.Equal(t, 403, r.status)
	assert.Equal(t, "Forbidden", r.message)
	r = do(t, "GET", f.srv.URL+"/noapi/v1/urls", nil, nil)
	assert.Equal(t, 404, r.status)
}

func TestMatchPriority(t *testing.T) {
	t.Parallel()
	root := &node{resourcePath: "/"}
	for _, p := range []string{"/a", "/a/b", "/a/{x}", "/a/{x}/c", "/{proxy+}", "/a/{x}/{rest+}"} {
		n := root.add(p)
		n.resourcePath = p
	}
	tests := []struct {
		path     string
		resource string
		params   map[string]string
	}{
		{path: "", resource: "/", params: map[string]string{}},
		{path: "a", resource: "/a", params: map[string]string{}},
		{path: "a/b", resource: "/a/b", params: map[string]string{}},
		{path: "a/z", resource: "/a/{x}", params: map[string]string{"x": "z"}},
		{path: "a/b/c", resource: "/a/{x}/c", params: map[string]string{"x": "b"}},
		{path: "a/b/d/e", resource: "/a/{x}/{rest+}", params: map[string]string{"x": "b", "rest": "d/e"}},
		{path: "q/r", resource: "/{proxy+}", params: map[string]string{"proxy": "q/r"}},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			params := map[string]string{}
			var segs []string
			if tc.path != "" {
				segs = strings.Split(tc.path, "/")
			}
			n := root.match(segs, params)
			require.NotNil(t, n)
			assert.Equal(t, tc.resource, n.resourcePath)
			assert.Equal(t, tc.params, params)
		})
	}
}

func TestParseProxyResponse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{name: "minimal", in: `{"statusCode":204}`, ok: true},
		{name: "aws-lambda-go shape", in: `{"statusCode":200,"headers":null,"multiValueHeaders":null,"body":""}`, ok: true},
		{name: "no statusCode", in: `{"body":"x"}`},
		{name: "unknown key", in: `{"statusCode":200,"cookies":["a=b"]}`},
		{name: "string status", in: `{"statusCode":"200"}`},
		{name: "body not a string", in: `{"statusCode":200,"body":{"a":1}}`},
		{name: "not an object", in: `"hello"`},
		{name: "status out of range", in: `{"statusCode":999}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseProxyResponse([]byte(tc.in))
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}

// BenchmarkGatewayRequest measures the gateway's own work per request (routing, API key check,
// event marshalling, response translation) with an invoker that answers at once.
func BenchmarkGatewayRequest(b *testing.B) {
	root := &node{resourcePath: "/"}
	n := root.add("/urls/{id}")
	n.resourcePath, n.resourceID = "/urls/{id}", "r1"
	n.methods = map[string]*method{"ANY": {httpMethod: "ANY", authorizationType: "NONE", apiKeyRequired: true, integration: "AWS_PROXY",
		uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:f:live/invocations", timeout: 29 * time.Second}}
	g := New(nil, answer(`{"statusCode":200,"headers":{"Content-Type":"application/json"},"body":"{\"id\":\"x\"}"}`), time.Hour, nil)
	g.snap = &snapshot{at: time.Now(), apis: map[string]*restAPI{"api1": {id: "api1", root: root,
		stages: map[string]*stage{"v1": {name: "v1", keys: map[string]string{"k": "kid"}}}}}}
	for b.Loop() {
		req := httptest.NewRequest("GET", "/api1/v1/urls/x?limit=10", nil)
		req.Header.Set("X-Api-Key", "k")
		w := httptest.NewRecorder()
		g.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

type answer string

func (a answer) Invoke(context.Context, string, []byte) (*lambdarun.Result, error) {
	return &lambdarun.Result{Payload: []byte(a)}, nil
}

// Package apigw serves the REST API stages deployed to the emulator on one local port,
// path-based (/<api-id>/<stage>/<resource path>), as API Gateway would: routes from the API's
// resources and methods, Lambda proxy events in API Gateway's format, API keys enforced through
// usage plans, proxy responses translated back.
package apigw

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// API is the part of the API Gateway API the emulation reads from the emulator.
type API interface {
	GetRestApis(ctx context.Context, in *apigateway.GetRestApisInput, opts ...func(*apigateway.Options)) (*apigateway.GetRestApisOutput, error)
	GetStages(ctx context.Context, in *apigateway.GetStagesInput, opts ...func(*apigateway.Options)) (*apigateway.GetStagesOutput, error)
	GetResources(ctx context.Context, in *apigateway.GetResourcesInput, opts ...func(*apigateway.Options)) (*apigateway.GetResourcesOutput, error)
	GetUsagePlans(ctx context.Context, in *apigateway.GetUsagePlansInput, opts ...func(*apigateway.Options)) (*apigateway.GetUsagePlansOutput, error)
	GetUsagePlanKeys(ctx context.Context, in *apigateway.GetUsagePlanKeysInput, opts ...func(*apigateway.Options)) (*apigateway.GetUsagePlanKeysOutput, error)
	GetApiKeys(ctx context.Context, in *apigateway.GetApiKeysInput, opts ...func(*apigateway.Options)) (*apigateway.GetApiKeysOutput, error)
}

// snapshot is the deployed configuration of every REST API at one moment.
type snapshot struct {
	at   time.Time
	apis map[string]*restAPI
}

type restAPI struct {
	id, name         string
	binaryMediaTypes []string
	stages           map[string]*stage
	root             *node
	routes           []Route
}

type stage struct {
	name string
	vars map[string]string
	keys map[string]string // enabled API key value -> key id, through usage plans that include this stage
}

// node is a resource in the route tree.
type node struct {
	resourceID   string
	resourcePath string
	methods      map[string]*method // HTTP method or ANY
	literal      map[string]*node
	param        *node
	paramName    string
	greedy       *node
	greedyName   string
}

type method struct {
	httpMethod        string
	authorizationType string
	apiKeyRequired    bool
	integration       string // AWS_PROXY, MOCK, ...
	uri               string
	timeout           time.Duration
	// MOCK integrations (CORS preflight, typically): status and static response.
	mockStatus  int
	mockHeaders map[string]string
	mockBody    string
}

// Route describes one method for the health report.
type Route struct {
	Method         string `json:"method"`
	Resource       string `json:"resource"`
	Integration    string `json:"integration"`
	Function       string `json:"function,omitempty"`
	APIKeyRequired bool   `json:"api_key_required"`
	Authorization  string `json:"authorization"`
}

func load(ctx context.Context, c API) (*snapshot, error) {
	s := &snapshot{at: time.Now(), apis: map[string]*restAPI{}}
	apis := apigateway.NewGetRestApisPaginator(c, &apigateway.GetRestApisInput{Limit: aws.Int32(500)})
	for apis.HasMorePages() {
		page, err := apis.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list REST APIs: %w", err)
		}
		for _, item := range page.Items {
			a, err := loadAPI(ctx, c, item)
			if err != nil {
				return nil, err
			}
			s.apis[a.id] = a
		}
	}
	if err := loadKeys(ctx, c, s); err != nil {
		return nil, err
	}
	return s, nil
}

func loadAPI(ctx context.Context, c API, item types.RestApi) (*restAPI, error) {
	a := &restAPI{
		id:               aws.ToString(item.Id),
		name:             aws.ToString(item.Name),
		binaryMediaTypes: item.BinaryMediaTypes,
		stages:           map[string]*stage{},
		root:             &node{},
	}
	st, err := c.GetStages(ctx, &apigateway.GetStagesInput{RestApiId: item.Id})
	if err != nil {
		return nil, fmt.Errorf("stages of REST API %s: %w", a.id, err)
	}
	for _, s := range st.Item {
		a.stages[aws.ToString(s.StageName)] = &stage{name: aws.ToString(s.StageName), vars: s.Variables, keys: map[string]string{}}
	}
	res := apigateway.NewGetResourcesPaginator(c, &apigateway.GetResourcesInput{RestApiId: item.Id, Embed: []string{"methods"}, Limit: aws.Int32(500)})
	for res.HasMorePages() {
		page, err := res.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("resources of REST API %s: %w", a.id, err)
		}
		for _, r := range page.Items {
			n := a.root.add(aws.ToString(r.Path))
			n.resourceID = aws.ToString(r.Id)
			n.resourcePath = aws.ToString(r.Path)
			if n.methods == nil {
				n.methods = map[string]*method{}
			}
			for verb, m := range r.ResourceMethods {
				mm := convertMethod(verb, m)
				n.methods[verb] = mm
				a.routes = append(a.routes, Route{Method: verb, Resource: n.resourcePath, Integration: mm.integration,
					Function: functionFromURI(mm.uri, nil), APIKeyRequired: mm.apiKeyRequired, Authorization: mm.authorizationType})
			}
		}
	}
	sort.Slice(a.routes, func(i, j int) bool {
		if a.routes[i].Resource != a.routes[j].Resource {
			return a.routes[i].Resource < a.routes[j].Resource
		}
		return a.routes[i].Method < a.routes[j].Method
	})
	return a, nil
}

func convertMethod(verb string, m types.Method) *method {
	mm := &method{
		httpMethod:        verb,
		authorizationType: aws.ToString(m.AuthorizationType),
		apiKeyRequired:    aws.ToBool(m.ApiKeyRequired),
		timeout:           29 * time.Second,
	}
	if mm.authorizationType == "" {
		mm.authorizationType = "NONE"
	}
	in := m.MethodIntegration
	if in == nil {
		return mm
	}
	mm.integration = string(in.Type)
	mm.uri = aws.ToString(in.Uri)
	if in.TimeoutInMillis > 0 {
		mm.timeout = time.Duration(in.TimeoutInMillis) * time.Millisecond
	}
	if in.Type == types.IntegrationTypeMock {
		mm.mockStatus, mm.mockHeaders, mm.mockBody = mockResponse(in)
	}
	return mm
}

var statusInTemplate = regexp.MustCompile(`"statusCode"\s*:\s*(\d{3})`)

// mockResponse evaluates the static part of a MOCK integration: the status from the request
// template, the integration response for it, and its literal header values ('...').
func mockResponse(in *types.Integration) (int, map[string]string, string) {
	status := 200
	for _, tpl := range in.RequestTemplates {
		if m := statusInTemplate.FindStringSubmatch(tpl); m != nil {
			status, _ = strconv.Atoi(m[1])
		}
	}
	headers := map[string]string{}
	body := ""
	ir, ok := in.IntegrationResponses[strconv.Itoa(status)]
	if !ok {
		for _, r := range in.IntegrationResponses {
			if aws.ToString(r.SelectionPattern) == "" {
				ir, ok = r, true
				break
			}
		}
	}
	if ok {
		if s, err := strconv.Atoi(aws.ToString(ir.StatusCode)); err == nil {
			status = s
		}
		for k, v := range ir.ResponseParameters {
			name, found := strings.CutPrefix(k, "method.response.header.")
			if found && len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
				headers[name] = v[1 : len(v)-1]
			}
		}
		body = ir.ResponseTemplates["application/json"]
	}
	return status, headers, body
}

// add returns the node for a resource path, creating the chain.
func (n *node) add(path string) *node {
	cur := n
	for _, seg := range strings.Split(strings.Trim(path, "/"), "/") {
		if seg == "" {
			continue
		}
		switch {
		case strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "+}"):
			if cur.greedy == nil {
				cur.greedy = &node{}
			}
			cur.greedyName = seg[1 : len(seg)-2]
			cur = cur.greedy
		case strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}"):
			if cur.param == nil {
				cur.param = &node{}
			}
			cur.paramName = seg[1 : len(seg)-1]
			cur = cur.param
		default:
			if cur.literal == nil {
				cur.literal = map[string]*node{}
			}
			child, ok := cur.literal[seg]
			if !ok {
				child = &node{}
				cur.literal[seg] = child
			}
			cur = child
		}
	}
	return cur
}

// match finds the resource for the request path segments (already unescaped) the way API
// Gateway prefers them: a literal segment over a {param} over a greedy {proxy+}.
func (n *node) match(segs []string, params map[string]string) *node {
	if len(segs) == 0 {
		if n.resourcePath != "" {
			return n
		}
		return nil
	}
	seg := segs[0]
	if child, ok := n.literal[seg]; ok {
		if r := child.match(segs[1:], params); r != nil {
			return r
		}
	}
	if n.param != nil && seg != "" {
		params[n.paramName] = seg
		if r := n.param.match(segs[1:], params); r != nil {
			return r
		}
		delete(params, n.paramName)
	}
	if n.greedy != nil && n.greedy.resourcePath != "" && seg != "" {
		params[n.greedyName] = strings.Join(segs, "/")
		return n.greedy
	}
	return nil
}

// functionFromURI extracts the function ARN from a Lambda integration URI
// (arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function ARN>/invocations),
// substituting ${stageVariables.x}.
func functionFromURI(uri string, vars map[string]string) string {
	_, rest, ok := strings.Cut(uri, ":lambda:path/")
	if !ok {
		return ""
	}
	_, rest, ok = strings.Cut(rest, "/functions/")
	if !ok {
		return ""
	}
	fn, _, ok := strings.Cut(rest, "/invocations")
	if !ok {
		return ""
	}
	if u, err := url.PathUnescape(fn); err == nil {
		fn = u
	}
	for k, v := range vars {
		fn = strings.ReplaceAll(fn, "${stageVariables."+k+"}", v)
	}
	return fn
}

// loadKeys attaches to every stage the enabled API keys of the usage plans that include it.
func loadKeys(ctx context.Context, c API, s *snapshot) error {
	enabled := map[string]string{} // key id -> value
	keys := apigateway.NewGetApiKeysPaginator(c, &apigateway.GetApiKeysInput{IncludeValues: aws.Bool(true), Limit: aws.Int32(500)})
	for keys.HasMorePages() {
		page, err := keys.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list API keys: %w", err)
		}
		for _, k := range page.Items {
			if k.Enabled {
				enabled[aws.ToString(k.Id)] = aws.ToString(k.Value)
			}
		}
	}
	plans := apigateway.NewGetUsagePlansPaginator(c, &apigateway.GetUsagePlansInput{Limit: aws.Int32(500)})
	for plans.HasMorePages() {
		page, err := plans.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list usage plans: %w", err)
		}
		for _, p := range page.Items {
			var stages []*stage
			for _, as := range p.ApiStages {
				if a, ok := s.apis[aws.ToString(as.ApiId)]; ok {
					if st, ok := a.stages[aws.ToString(as.Stage)]; ok {
						stages = append(stages, st)
					}
				}
			}
			if len(stages) == 0 {
				continue
			}
			pk := apigateway.NewGetUsagePlanKeysPaginator(c, &apigateway.GetUsagePlanKeysInput{UsagePlanId: p.Id, Limit: aws.Int32(500)})
			for pk.HasMorePages() {
				kp, err := pk.NextPage(ctx)
				if err != nil {
					return fmt.Errorf("keys of usage plan %s: %w", aws.ToString(p.Id), err)
				}
				for _, k := range kp.Items {
					id := aws.ToString(k.Id)
					value, ok := enabled[id]
					if !ok || aws.ToString(k.Type) != "API_KEY" {
						continue
					}
					for _, st := range stages {
						st.keys[value] = id
					}
				}
			}
		}
	}
	return nil
}

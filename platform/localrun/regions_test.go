package localrun

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/localrun/lambdatest"
	"github.com/webhealth/webhealth/platform/localrun/replicate"
	"github.com/webhealth/webhealth/platform/moto"
)

func TestParseRegions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		list, def string
		want      []string
		err       string
	}{
		{list: "", def: "eu-west-1", want: []string{"eu-west-1"}},
		{list: "us-east-1,eu-west-1", def: "ap-south-1", want: []string{"us-east-1", "eu-west-1"}},
		{list: "us-east-1, eu-west-1", err: "comma-separated"},
		{list: "us-east-1,us-east-1", err: "named twice"},
		{list: "us-east-1,EU-WEST-1", err: "lower case"},
		{list: "us-east-1;rm -rf /", err: "comma-separated"},
		{list: "us-east-1,,eu-west-1", err: "comma-separated"},
		{list: "us-east-1,us-east-2,us-west-1,us-west-2,eu-west-1,eu-west-2,eu-west-3,eu-central-1,ap-south-1", err: "at most 8"},
		{list: "", def: "nowhere", err: "region"},
	} {
		t.Run(tc.list, func(t *testing.T) {
			got, err := ParseRegions(tc.list, tc.def)
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestLoadConfigRegions(t *testing.T) {
	t.Parallel()
	env := map[string]string{"AWS_REGION": "ap-south-1", "LOCALRUN_REGIONS": "us-east-1,eu-west-1"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	c, err := LoadConfig(nil, lookup, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, []string{"us-east-1", "eu-west-1"}, c.Regions)
	assert.Equal(t, "us-east-1", c.Region, "the home region is the first")
	c, err = LoadConfig([]string{"-regions", "eu-west-1"}, lookup, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, []string{"eu-west-1"}, c.Regions)
	c, err = LoadConfig(nil, func(k string) (string, bool) {
		return map[string]string{"AWS_REGION": "eu-west-1"}[k], k == "AWS_REGION"
	}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, []string{"eu-west-1"}, c.Regions, "one region by default: -region's")
	_, err = LoadConfig([]string{"-regions", "us-east-1,us-east-1"}, lookup, io.Discard)
	assert.ErrorContains(t, err, "named twice")
}

func TestSignedRegion(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "eu-west-1", signedRegion("AWS4-HMAC-SHA256 Credential=AKID/20261202/eu-west-1/lambda/aws4_request, SignedHeaders=host, Signature=x"))
	assert.Empty(t, signedRegion("Bearer x"))
	assert.Empty(t, signedRegion("AWS4-HMAC-SHA256 Credential=AKID/eu-west-1"))
}

// regionStack is, in one region of a shared moto, a function behind a REST API stage and a schedule
// rule invoking it with the test function's env action (it answers with its environment).
type regionStack struct {
	region, fn, apiID, rule string
}

func deployRegion(t *testing.T, m *moto.Server, region string) regionStack {
	t.Helper()
	ctx := context.Background()
	cfg := m.Config()
	cfg.Region = region
	s := regionStack{region: region, fn: "webhealth-local-local-" + region + "-fn", rule: "webhealth-local-local-" + region + "-crawl"}
	fnARN := lambdatest.Deploy(t, ctx, lambda.NewFromConfig(cfg), m.Endpoint, lambdatest.Function{Name: s.fn, Zip: lambdatest.Fn(t, "a").Zip})
	gw := apigateway.NewFromConfig(cfg)
	api, err := gw.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("webhealth-" + region)})
	require.NoError(t, err)
	s.apiID = aws.ToString(api.Id)
	res, err := gw.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: api.Id})
	require.NoError(t, err)
	urls, err := gw.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: res.Items[0].Id, PathPart: aws.String("urls")})
	require.NoError(t, err)
	_, err = gw.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: urls.Id, HttpMethod: aws.String("ANY"), AuthorizationType: aws.String("NONE")})
	require.NoError(t, err)
	_, err = gw.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: api.Id, ResourceId: urls.Id, HttpMethod: aws.String("ANY"), Type: agtypes.IntegrationTypeAwsProxy,
		IntegrationHttpMethod: aws.String("POST"), Uri: aws.String("arn:aws:apigateway:" + region + ":lambda:path/2015-03-31/functions/" + fnARN + "/invocations")})
	require.NoError(t, err)
	_, err = gw.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("local")})
	require.NoError(t, err)
	ev := eventbridge.NewFromConfig(cfg)
	_, err = ev.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(s.rule), ScheduleExpression: aws.String("rate(1 day)"), State: "ENABLED"})
	require.NoError(t, err)
	_, err = ev.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(s.rule), Targets: []ebtypes.Target{{Id: aws.String("crawler"), Arn: aws.String(fnARN), Input: aws.String(`{"action":"env"}`)}}})
	require.NoError(t, err)
	return s
}

type envAnswer struct {
	Env      map[string]string `json:"env"`
	Function string            `json:"function"`
}

func TestRuntimeServesEveryRegion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := moto.Start(t)
	home, other := deployRegion(t, m, "us-east-1"), deployRegion(t, m, "eu-west-1")
	build := filepath.Join(t.TempDir(), "build")
	for _, s := range []regionStack{home, other} {
		lambdatest.Install(t, lambdatest.Fn(t, "a"), build, "amd64", s.fn)
	}
	// A global table as terraform/global makes it on an emulator: home region only, tagged with its replicas.
	homeDB := dynamodb.NewFromConfig(m.Config())
	otherCfg := m.Config()
	otherCfg.Region = other.region
	otherDB := dynamodb.NewFromConfig(otherCfg)
	_, err := homeDB.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("webhealth-local-local-urls"), BillingMode: ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
		StreamSpecification:  &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewTypeNewAndOldImages},
		Tags:                 []ddbtypes.Tag{{Key: aws.String(replicate.TagReplicaRegions), Value: aws.String(other.region)}}})
	require.NoError(t, err)

	cfg := Config{Endpoint: m.Endpoint, Region: home.region, Regions: []string{home.region, other.region}, ArtifactsDir: build, StateDir: t.TempDir(),
		AlarmInterval: time.Hour, MaxInstances: 1, RetryDelay: 10 * time.Millisecond, APICacheTTL: time.Second, LogFormat: "text", LogLevel: "info"}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	rt := New(cfg, NewLogger(cfg, io.Discard), io.Discard)
	runCtx, cancel := context.WithCancel(ctx)
	stopped := make(chan error, 1)
	go func() { stopped <- rt.Serve(runCtx, ln) }()
	t.Cleanup(func() { cancel(); <-stopped })

	// The health report has both regions' APIs, functions and rules.
	var h Health
	require.Equal(t, 200, call(t, "GET", base+"/_local/health", nil, &h))
	assert.Equal(t, []string{home.region, other.region}, h.Regions)
	apis := map[string]string{}
	for _, a := range h.APIs {
		apis[a.Region] = a.ID
	}
	assert.Equal(t, map[string]string{home.region: home.apiID, other.region: other.apiID}, apis)
	assert.Len(t, h.Functions, 2)
	assert.Len(t, h.Rules, 2)

	// Each region's API stage answers through that region's function.
	for _, s := range []regionStack{home, other} {
		resp, err := http.Get(base + "/" + s.apiID + "/local/urls")
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, 200, resp.StatusCode)
		assert.Equal(t, s.fn, resp.Header.Get("X-Function"), "the stage of %s", s.region)
	}

	// The Invoke API runs the function of the region signed for (or named by the ARN), with its own AWS_REGION.
	invoke := func(name string, header map[string]string) envAnswer {
		t.Helper()
		req, err := http.NewRequest("POST", base+"/2015-03-31/functions/"+name+"/invocations", bytes.NewReader([]byte(`{"action":"env"}`)))
		require.NoError(t, err)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode)
		var a envAnswer
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&a))
		return a
	}
	signed := map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=local/20261202/eu-west-1/lambda/aws4_request, SignedHeaders=host, Signature=0"}
	assert.Equal(t, other.region, invoke(other.fn, signed).Env["AWS_REGION"])
	assert.Equal(t, other.region, invoke("arn:aws:lambda:eu-west-1:123456789012:function:"+other.fn, nil).Env["AWS_REGION"])
	assert.Equal(t, home.region, invoke(home.fn, nil).Env["AWS_REGION"], "unsigned: the home region")

	// Firing fires every region's schedules, each function with its own region; ?region= narrows it.
	var fired FireResponse
	require.Equal(t, 200, call(t, "POST", base+"/_local/schedules/fire", nil, &fired))
	require.Len(t, fired.Results, 2)
	for _, r := range fired.Results {
		var a envAnswer
		require.NoError(t, json.Unmarshal(r.Response, &a), "%s", r.Response)
		assert.Equal(t, "succeeded", r.Status)
		assert.Contains(t, a.Function, a.Env["AWS_REGION"], "the %s function runs in its own region", a.Function)
	}
	require.Equal(t, 200, call(t, "POST", base+"/_local/schedules/fire?region="+other.region, nil, &fired))
	require.Len(t, fired.Results, 1)
	assert.Equal(t, other.rule, fired.Results[0].Rule)
	require.Equal(t, 200, call(t, "POST", base+"/_local/schedules/fire?rule="+other.rule, nil, &fired))
	require.Len(t, fired.Results, 1, "a rule name fires where it exists")
	assert.Equal(t, 404, call(t, "POST", base+"/_local/schedules/fire?region=ap-south-1", nil, nil))
	assert.Equal(t, 404, call(t, "POST", base+"/_local/schedules/fire?rule=nope", nil, nil))

	// The global table is replicated: the sync endpoint creates the replica, and a home write reaches it.
	var synced struct {
		Tables []replicate.Table `json:"tables"`
	}
	require.Equal(t, 200, call(t, "POST", base+"/_local/replication/sync", nil, &synced))
	require.Len(t, synced.Tables, 1)
	assert.Equal(t, []string{other.region}, synced.Tables[0].Created)
	_, err = homeDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("webhealth-local-local-urls"), Item: map[string]ddbtypes.AttributeValue{
		"id": &ddbtypes.AttributeValueMemberS{Value: "t1"}, "url": &ddbtypes.AttributeValueMemberS{Value: "https://example.com/"}}})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		out, err := otherDB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("webhealth-local-local-urls"), Key: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "t1"}}})
		return err == nil && len(out.Item) == 2
	}, 10*time.Second, 100*time.Millisecond, "the runtime replicates in the background")
	require.Equal(t, 200, call(t, "GET", base+"/_local/health", nil, &h))
	require.Len(t, h.Replication, 1)
	assert.Equal(t, []string{other.region, home.region}, h.Replication[0].Regions)
}

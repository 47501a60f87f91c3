package localrun

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/awsconfig/cwquery"
	"github.com/webhealth/webhealth/platform/localrun/lambdatest"
	"github.com/webhealth/webhealth/platform/moto"
)

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	env := map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:9999", "AWS_REGION": "eu-west-1", "LOCALRUN_ALARM_INTERVAL": "30s"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	c, err := LoadConfig([]string{"-listen", "127.0.0.1:1234"}, lookup, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:9999", c.Endpoint)
	assert.Equal(t, "eu-west-1", c.Region)
	assert.Equal(t, "127.0.0.1:1234", c.Listen)
	assert.Equal(t, 30*time.Second, c.AlarmInterval)
	assert.Equal(t, "build", c.ArtifactsDir)
	assert.Equal(t, ".local", c.StateDir)
	assert.Empty(t, c.ExtraCA, "no extra CA unless asked")
	c, err = LoadConfig([]string{"-extra-ca", "/ca/ca.pem"}, lookup, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "/ca/ca.pem", c.ExtraCA)

	_, err = LoadConfig(nil, func(k string) (string, bool) {
		if k == "LOCALRUN_ALARM_INTERVAL" {
			return "soon", true
		}
		return "", false
	}, io.Discard)
	assert.ErrorContains(t, err, "LOCALRUN_ALARM_INTERVAL")
	_, err = LoadConfig([]string{"-log-format", "xml"}, lookup, io.Discard)
	assert.Error(t, err)
}

// stack is a small deployment in a private moto, built through the SDK the way Terraform builds
// the real one: a function behind a REST API stage with an API key, a schedule rule targeting
// it, an alarm whose actions go to an SNS topic it is subscribed to, a queue it consumes through a
// disabled event source mapping (as the Terraform creates it on the emulator).
type stack struct {
	base    string // the runtime's URL
	apiID   string
	key     string
	rule    string
	alarm   string
	out     string
	cw      *cloudwatch.Client
	ns      string
	sqs     *sqs.Client
	queue   string // URL
	mapping string // UUID
	stop    func()
	stopped chan error
}

func deployStack(t *testing.T, opts ...func(*Config)) *stack {
	t.Helper()
	ctx := context.Background()
	fn := lambdatest.Fn(t, "a")
	m := moto.Start(t)
	cfg := m.Config()
	lc := lambda.NewFromConfig(cfg)
	out := t.TempDir()
	fnARN := lambdatest.Deploy(t, ctx, lc, m.Endpoint, lambdatest.Function{Name: "webhealth-local-fn", Zip: fn.Zip, Env: map[string]string{lambdatest.OutDirEnv: out}})
	s := &stack{out: out, ns: "WebHealth/local", alarm: "webhealth-local-t1-availability", rule: "webhealth-local-crawl"}

	gw := apigateway.NewFromConfig(cfg)
	api, err := gw.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("webhealth-local")})
	require.NoError(t, err)
	s.apiID = aws.ToString(api.Id)
	res, err := gw.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: api.Id})
	require.NoError(t, err)
	urls, err := gw.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: res.Items[0].Id, PathPart: aws.String("urls")})
	require.NoError(t, err)
	_, err = gw.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: urls.Id, HttpMethod: aws.String("ANY"), AuthorizationType: aws.String("NONE"), ApiKeyRequired: true})
	require.NoError(t, err)
	_, err = gw.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: api.Id, ResourceId: urls.Id, HttpMethod: aws.String("ANY"), Type: agtypes.IntegrationTypeAwsProxy,
		IntegrationHttpMethod: aws.String("POST"), Uri: aws.String("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + fnARN + "/invocations")})
	require.NoError(t, err)
	_, err = gw.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("local")})
	require.NoError(t, err)
	key, err := gw.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String("local"), Enabled: true})
	require.NoError(t, err)
	s.key = aws.ToString(key.Value)
	plan, err := gw.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("local"), ApiStages: []agtypes.ApiStage{{ApiId: api.Id, Stage: aws.String("local")}}})
	require.NoError(t, err)
	_, err = gw.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: key.Id, KeyType: aws.String("API_KEY")})
	require.NoError(t, err)

	ev := eventbridge.NewFromConfig(cfg)
	_, err = ev.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(s.rule), ScheduleExpression: aws.String("rate(1 day)"), State: "ENABLED"})
	require.NoError(t, err)
	_, err = ev.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(s.rule), Targets: []ebtypes.Target{{Id: aws.String("crawler"), Arn: aws.String(fnARN)}}})
	require.NoError(t, err)

	snsc := sns.NewFromConfig(cfg)
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("webhealth-local-alarms")})
	require.NoError(t, err)
	_, err = snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("lambda"), Endpoint: aws.String(fnARN)})
	require.NoError(t, err)
	s.cw = cloudwatch.NewFromConfig(cfg, cwquery.Option)
	dims := []cwtypes.Dimension{{Name: aws.String("TargetId"), Value: aws.String("t1")}, {Name: aws.String("Region"), Value: aws.String(moto.Region)}}
	_, err = s.cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String(s.alarm), Namespace: aws.String(s.ns), MetricName: aws.String("Availability"), Dimensions: dims,
		Statistic: cwtypes.StatisticMinimum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), DatapointsToAlarm: aws.Int32(1),
		Threshold: aws.Float64(1), ComparisonOperator: cwtypes.ComparisonOperatorLessThanThreshold, TreatMissingData: aws.String("missing"),
		AlarmActions: []string{aws.ToString(topic.TopicArn)}, OKActions: []string{aws.ToString(topic.TopicArn)},
	})
	require.NoError(t, err)

	s.sqs = sqs.NewFromConfig(cfg)
	q, err := s.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("webhealth-local-crawler-shards")})
	require.NoError(t, err)
	s.queue = aws.ToString(q.QueueUrl)
	qa, err := s.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	require.NoError(t, err)
	esm, err := lc.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String(fnARN),
		EventSourceArn: aws.String(qa.Attributes["QueueArn"]), BatchSize: aws.Int32(1), Enabled: aws.Bool(false)})
	require.NoError(t, err)
	s.mapping = aws.ToString(esm.UUID)

	build := filepath.Join(t.TempDir(), "build")
	lambdatest.Install(t, fn, build, "amd64", "webhealth-local-fn")
	rcfg := Config{Endpoint: m.Endpoint, Region: moto.Region, ArtifactsDir: build, StateDir: t.TempDir(), AlarmInterval: time.Hour,
		MaxInstances: 2, RetryDelay: 10 * time.Millisecond, APICacheTTL: time.Second, LogFormat: "text", LogLevel: "info"}
	for _, o := range opts {
		o(&rcfg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s.base = "http://" + ln.Addr().String()
	rt := New(rcfg, NewLogger(rcfg, io.Discard), io.Discard)
	runCtx, cancel := context.WithCancel(context.Background())
	s.stopped = make(chan error, 1)
	go func() { s.stopped <- rt.Serve(runCtx, ln) }()
	s.stop = cancel
	t.Cleanup(func() {
		cancel()
		<-s.stopped
	})
	return s
}

func call(t *testing.T, method, url string, header map[string]string, v any) int {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	for k, val := range header {
		if k == "Host" {
			req.Host = val
			continue
		}
		req.Header.Set(k, val)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if v != nil {
		require.NoError(t, json.Unmarshal(b, v), "%s", b)
	}
	return resp.StatusCode
}

func TestRuntimeEndToEnd(t *testing.T) {
	t.Parallel()
	s := deployStack(t)
	ctx := context.Background()

	// The health report shows what was discovered in the emulator.
	var h Health
	require.Equal(t, 200, call(t, "GET", s.base+"/_local/health", nil, &h))
	assert.Equal(t, "ok", h.Status, "%v", h.Errors)
	require.Len(t, h.APIs, 1)
	assert.Equal(t, s.apiID, h.APIs[0].ID)
	require.Len(t, h.APIs[0].Stages, 1)
	assert.Equal(t, s.base+"/"+s.apiID+"/local", h.APIs[0].Stages[0].URL)
	assert.Equal(t, 1, h.APIs[0].Stages[0].APIKeys)
	require.Len(t, h.Functions, 1)
	assert.Equal(t, "live", h.Functions[0].Qualifier)
	assert.True(t, strings.HasSuffix(h.Functions[0].Artifact, "webhealth-local-fn.zip"), h.Functions[0].Artifact)
	require.Len(t, h.Rules, 1)
	assert.Equal(t, s.rule, h.Rules[0].Name)
	assert.Equal(t, "rate(1 day)", h.Rules[0].Expression)
	// The mappings are as last read (at start, then every 5 s).
	require.Eventually(t, func() bool { call(t, "GET", s.base+"/_local/health", nil, &h); return len(h.Mappings) == 1 }, 10*time.Second, 50*time.Millisecond)
	assert.Equal(t, s.mapping, h.Mappings[0].UUID)
	assert.Equal(t, "Disabled", h.Mappings[0].State)

	// A message on the mapped queue reaches the function as an SQS event, and is deleted.
	_, err := s.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(s.queue), MessageBody: aws.String(`{"shard":0}`)})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		call(t, "GET", s.base+"/_local/health", nil, &h)
		return len(h.Mappings) == 1 && h.Mappings[0].Invocations == 1 && h.Mappings[0].Error == ""
	}, 15*time.Second, 50*time.Millisecond)
	assert.Equal(t, []string{`{"shard":0}`}, sqsBodies(t, s.out))
	require.Eventually(t, func() bool {
		a, err := s.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(s.queue), AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
		return err == nil && a.Attributes["ApproximateNumberOfMessages"] == "0" && a.Attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
	}, 5*time.Second, 50*time.Millisecond, "the delivered message is deleted")

	// The API stage answers through the function, with the key.
	var ev events.APIGatewayProxyRequest
	assert.Equal(t, 403, call(t, "GET", s.base+"/"+s.apiID+"/local/urls", nil, nil))
	require.Equal(t, 200, call(t, "GET", s.base+"/"+s.apiID+"/local/urls", map[string]string{"x-api-key": s.key}, &ev))
	assert.Equal(t, "/urls", ev.Resource)
	assert.Equal(t, "local", ev.RequestContext.Stage)

	// A page in the user's browser cannot drive the runtime: a rebound name and cross-site requests to the
	// control and invoke endpoints are refused; an API stage answers other origins (its CORS is the function's).
	assert.Equal(t, 403, call(t, "GET", s.base+"/_local/health", map[string]string{"Host": "rebound.example" + s.base[strings.LastIndex(s.base, ":"):]}, nil))
	assert.Equal(t, 403, call(t, "GET", s.base+"/"+s.apiID+"/local/urls", map[string]string{"Host": "rebound.example" + s.base[strings.LastIndex(s.base, ":"):], "x-api-key": s.key}, nil))
	assert.Equal(t, 403, call(t, "POST", s.base+"/_local/schedules/fire?rule="+s.rule, map[string]string{"Origin": "https://attacker.example"}, nil))
	assert.Equal(t, 403, call(t, "POST", s.base+"/2015-03-31/functions/webhealth-local-fn/invocations", map[string]string{"Origin": "https://attacker.example"}, nil))
	assert.Equal(t, 200, call(t, "GET", s.base+"/"+s.apiID+"/local/urls", map[string]string{"x-api-key": s.key, "Origin": "https://console.example"}, nil))

	// Firing the schedule now runs the target and reports its outcome.
	var fired FireResponse
	require.Equal(t, 200, call(t, "POST", s.base+"/_local/schedules/fire?rule="+s.rule, nil, &fired))
	require.Len(t, fired.Results, 1)
	assert.Equal(t, "succeeded", fired.Results[0].Status)
	assert.Contains(t, string(fired.Results[0].Response), "Scheduled Event")
	assert.Equal(t, 404, call(t, "POST", s.base+"/_local/schedules/fire?rule=nope", nil, nil))

	// The startup evaluation pass has given the new alarm CloudWatch's initial state (moto says OK).
	require.Eventually(t, func() bool {
		call(t, "GET", s.base+"/_local/health", nil, &h)
		return len(h.Alarms) == 1 && h.Alarms[0].State == "INSUFFICIENT_DATA"
	}, 10*time.Second, 50*time.Millisecond)

	// A down target: evaluating now moves the alarm and delivers the notification to the function.
	_, err = s.cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String(s.ns), MetricData: []cwtypes.MetricDatum{{
		MetricName: aws.String("Availability"), Value: aws.Float64(0), Timestamp: aws.Time(time.Now()),
		Dimensions: []cwtypes.Dimension{{Name: aws.String("TargetId"), Value: aws.String("t1")}, {Name: aws.String("Region"), Value: aws.String(moto.Region)}},
	}}})
	require.NoError(t, err)
	var evald struct{ Transitions []AlarmTransition }
	require.Equal(t, 200, call(t, "POST", s.base+"/_local/alarms/evaluate", nil, &evald))
	require.Len(t, evald.Transitions, 1, "a datapoint of this very moment is evaluated")
	tr := evald.Transitions[0]
	assert.Equal(t, s.alarm, tr.Alarm)
	assert.Equal(t, "ALARM", tr.To)
	require.Len(t, tr.Deliveries, 1)
	assert.Equal(t, "delivered", tr.Deliveries[0].Status)
	var sev events.SNSEvent
	require.NoError(t, json.Unmarshal(lambdatest.Received(t, s.out, tr.Deliveries[0].RequestID), &sev))
	assert.Equal(t, fmt.Sprintf("ALARM: %q in US East (N. Virginia)", s.alarm), sev.Records[0].SNS.Subject)

	require.Equal(t, 200, call(t, "GET", s.base+"/_local/health", nil, &h))
	require.Len(t, h.Alarms, 1)
	assert.Equal(t, "ALARM", h.Alarms[0].State)

	// SNS's redelivery on demand: the same notification (same MessageId) reaches the function again.
	var again RedeliverResponse
	redeliver := s.base + "/_local/sns/redeliver?message_id=" + tr.Deliveries[0].MessageID
	assert.Equal(t, 403, call(t, "POST", redeliver, map[string]string{"Origin": "https://attacker.example"}, nil))
	assert.Equal(t, 403, call(t, "POST", redeliver, map[string]string{"Sec-Fetch-Site": "cross-site"}, nil))
	require.Equal(t, 200, call(t, "POST", redeliver, nil, &again))
	assert.Equal(t, tr.Deliveries[0].MessageID, again.MessageID)
	require.Len(t, again.Deliveries, 1)
	assert.Equal(t, "delivered", again.Deliveries[0].Status)
	assert.NotEqual(t, tr.Deliveries[0].RequestID, again.Deliveries[0].RequestID)
	var sev2 events.SNSEvent
	require.NoError(t, json.Unmarshal(lambdatest.Received(t, s.out, again.Deliveries[0].RequestID), &sev2))
	assert.Equal(t, sev.Records[0].SNS.MessageID, sev2.Records[0].SNS.MessageID)
	assert.Equal(t, sev.Records[0].SNS.Message, sev2.Records[0].SNS.Message)
	assert.Equal(t, 404, call(t, "POST", s.base+"/_local/sns/redeliver?message_id=nope", nil, nil))
	assert.Equal(t, 400, call(t, "POST", s.base+"/_local/sns/redeliver", nil, nil))
}

// sqsBodies are the bodies of the SQS records the test function recorded in dir.
func sqsBodies(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		var ev events.SQSEvent
		if json.Unmarshal(b, &ev) == nil {
			for _, r := range ev.Records {
				if r.EventSource == "aws:sqs" {
					out = append(out, r.Body)
				}
			}
		}
	}
	return out
}

func TestShutdownStopsFunctionProcesses(t *testing.T) {
	t.Parallel()
	s := deployStack(t)
	var res struct {
		PID int `json:"pid"`
	}
	req, err := http.NewRequest("POST", s.base+"/2015-03-31/functions/webhealth-local-fn/invocations?Qualifier=live", strings.NewReader(`{"action":"env"}`))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&res))
	resp.Body.Close()
	require.NotZero(t, res.PID)
	require.NoError(t, syscall.Kill(res.PID, 0), "the function process runs")

	s.stop()
	select {
	case err := <-s.stopped:
		require.NoError(t, err)
		s.stopped <- nil // for the cleanup
	case <-time.After(15 * time.Second):
		t.Fatal("the runtime did not stop")
	}
	assert.Eventually(t, func() bool { return syscall.Kill(res.PID, 0) != nil }, 5*time.Second, 20*time.Millisecond,
		"no function process survives the runtime")
}

// TestExtraCAIsTrustedByFunctions: with -extra-ca, a function verifies a TLS server whose certificate that
// CA signed (SSL_CERT_FILE = the system bundle + the CA); without it, the same request fails verification.
func TestExtraCAIsTrustedByFunctions(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t, true)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.server}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile := writeFile(t, t.TempDir(), "ca.pem", ca.certPEM)

	invoke := func(s *stack, payload string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequest("POST", s.base+"/2015-03-31/functions/webhealth-local-fn/invocations?Qualifier=live", strings.NewReader(payload))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return resp.StatusCode, out
	}
	fetch := fmt.Sprintf(`{"action":"barrier","url":%q}`, srv.URL)

	trusted := deployStack(t, func(c *Config) { c.ExtraCA = caFile })
	_, env := invoke(trusted, `{"action":"env"}`)
	vars, _ := env["env"].(map[string]any)
	require.NotNil(t, vars, "%v", env)
	bundle, _ := vars["SSL_CERT_FILE"].(string)
	require.NotEmpty(t, bundle, "every function gets the bundle")
	b, err := os.ReadFile(bundle)
	require.NoError(t, err)
	assert.Contains(t, string(b), string(ca.certPEM))
	_, out := invoke(trusted, fetch)
	assert.NotContains(t, out, "errorMessage", "the function verified the CA-signed server: %v", out)
	assert.Contains(t, out, "pid")

	untrusted := deployStack(t)
	_, out = invoke(untrusted, fetch)
	assert.Contains(t, fmt.Sprint(out["errorMessage"]), "certificate", "without the extra CA the server is not trusted: %v", out)
}

package lambdarun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/awsconfig/cwquery"
	"github.com/webhealth/webhealth/platform/localrun/lambdatest"
	"github.com/webhealth/webhealth/platform/moto"
)

func TestMain(m *testing.M) { moto.Main(m) }

// syncBuffer is a terminal stand-in written by several processes' log writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type env struct {
	fnA, fnB lambdatest.Artifact // the test function in two variants; fnA is installed as fn.zip, fnB as fn-b.zip
	cw       *cloudwatch.Client
	svc      *Service
	lambda   *lambda.Client
	sqs      *sqs.Client
	endpoint string
	build    string
	state    string
	terminal *syncBuffer
}

// newEnv runs a Service on the shared emulator, with the test function installed; adjust changes
// its options.
func newEnv(t *testing.T, adjust ...func(*Options)) *env {
	t.Helper()
	srv := moto.Shared(t)
	cfg := srv.Config()
	e := &env{
		fnA:      lambdatest.Fn(t, "a"),
		fnB:      lambdatest.Fn(t, "b"),
		lambda:   lambda.NewFromConfig(cfg),
		sqs:      sqs.NewFromConfig(cfg),
		endpoint: srv.Endpoint,
		build:    filepath.Join(t.TempDir(), "build"),
		state:    t.TempDir(),
		terminal: &syncBuffer{},
	}
	lambdatest.Install(t, e.fnA, e.build, "amd64", "fn")
	lambdatest.Install(t, e.fnB, e.build, "amd64", "fn-b")
	e.cw = cloudwatch.NewFromConfig(cfg, cwquery.Option)
	opts := Options{
		Metrics:      e.cw,
		ArtifactsDir: e.build,
		StateDir:     e.state,
		Endpoint:     srv.Endpoint,
		Region:       moto.Region,
		RetryDelay:   10 * time.Millisecond,
		CacheTTL:     10 * time.Millisecond,
		Terminal:     e.terminal,
	}
	for _, f := range adjust {
		f(&opts)
	}
	e.svc = New(e.lambda, e.sqs, opts)
	t.Cleanup(func() { e.svc.Close(time.Second) })
	return e
}

func (e *env) deploy(t *testing.T, f lambdatest.Function) string {
	t.Helper()
	return lambdatest.Deploy(t, context.Background(), e.lambda, e.endpoint, f)
}

type envOut struct {
	Env         map[string]string `json:"env"`
	PID         int               `json:"pid"`
	Variant     string            `json:"variant"`
	RequestID   string            `json:"request_id"`
	InvokedARN  string            `json:"invoked_arn"`
	DeadlineMs  int64             `json:"deadline_ms"`
	Function    string            `json:"function"`
	MemoryLimit int               `json:"memory_limit"`
}

func invokeEnv(t *testing.T, e *env, target string) envOut {
	t.Helper()
	res, err := e.svc.Invoke(context.Background(), target, []byte(`{"action":"env"}`))
	require.NoError(t, err)
	require.Empty(t, res.FunctionError, "payload: %s", res.Payload)
	var out envOut
	require.NoError(t, json.Unmarshal(res.Payload, &out))
	return out
}

func TestInvokePassesLambdaEnvironment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	aliasARN := e.deploy(t, lambdatest.Function{Env: map[string]string{"GREETING": "hi"}, Timeout: 7, Memory: 256})
	name, _, err := ParseTarget(aliasARN)
	require.NoError(t, err)

	out := invokeEnv(t, e, aliasARN)

	for k, want := range map[string]string{
		"GREETING":                        "hi",
		"AWS_LAMBDA_FUNCTION_NAME":        name,
		"AWS_LAMBDA_FUNCTION_VERSION":     "1",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + name,
		"AWS_REGION":                      moto.Region,
		"AWS_DEFAULT_REGION":              moto.Region,
		"AWS_ENDPOINT_URL":                e.endpoint,
		"_HANDLER":                        "bootstrap",
		"TZ":                              ":UTC",
		"GOMEMLIMIT":                      "230MiB",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
	} {
		assert.Equal(t, want, out.Env[k], k)
	}
	assert.Regexp(t, `^\d{4}/\d{2}/\d{2}/\[1\][0-9a-f]{32}$`, out.Env["AWS_LAMBDA_LOG_STREAM_NAME"])
	assert.Regexp(t, `^127\.0\.0\.1:\d+$`, out.Env["AWS_LAMBDA_RUNTIME_API"])
	assert.NotEmpty(t, out.Env["AWS_ACCESS_KEY_ID"])
	assert.True(t, strings.HasPrefix(out.Env["LAMBDA_TASK_ROOT"], filepath.Join(e.state, "code")), out.Env["LAMBDA_TASK_ROOT"])
	assert.NotContains(t, out.Env, "HOME", "the host environment must not leak into the function")
	assert.NotContains(t, out.Env, "AWS_LAMBDA_LOG_FORMAT", "moto keeps no logging config, so the format is Lambda's default (Text)")
	assert.Equal(t, aliasARN, out.InvokedARN)
	assert.Equal(t, name, out.Function)
	assert.Equal(t, 256, out.MemoryLimit)
	assert.LessOrEqual(t, out.DeadlineMs, int64(7000))
	assert.Greater(t, out.DeadlineMs, int64(5000))
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, out.RequestID)

	// The process output and Lambda's START/REPORT lines reach the log file and the terminal.
	logFile := filepath.Join(e.state, "logs", name+".log")
	require.Eventually(t, func() bool {
		// The process's own output arrives through a pipe, possibly after Lambda's REPORT line.
		b, _ := os.ReadFile(logFile)
		return strings.Contains(string(b), "REPORT RequestId: "+out.RequestID) && strings.Contains(string(b), "handling env")
	}, 5*time.Second, 20*time.Millisecond)
	b, err := os.ReadFile(logFile)
	require.NoError(t, err)
	assert.Contains(t, string(b), "START RequestId: "+out.RequestID+" Version: 1")
	assert.Contains(t, string(b), "handling env")
	assert.Regexp(t, `Max Memory Used: [1-9]\d* MB\tInit Duration: \d+\.\d\d ms`, string(b), "the first REPORT has memory used and the init duration")
	assert.Eventually(t, func() bool { return strings.Contains(e.terminal.String(), name+" | handling env") }, 5*time.Second, 20*time.Millisecond)

	// Unqualified invocations run $LATEST, as in Lambda.
	latest := invokeEnv(t, e, name)
	assert.Equal(t, "$LATEST", latest.Env["AWS_LAMBDA_FUNCTION_VERSION"])
	_ = ctx
}

func TestBuildEnv(t *testing.T) {
	t.Parallel()
	fc := FunctionConfig{
		Name: "f", Version: "3", Handler: "bootstrap", MemoryMB: 512, LogFormat: "JSON", AppLogLevel: "debug",
		LogGroup: "/custom/group",
		Env:      map[string]string{"AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://override", "GOMEMLIMIT": "100MiB", "X": "y"},
	}
	env := map[string]string{}
	for _, kv := range buildEnv(envInput{fn: fc, runtimeAPI: "127.0.0.1:1", taskRoot: "/task", logStream: "s", region: "us-east-1", endpoint: "http://moto", path: "/bin"}) {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	tests := map[string]string{
		"AWS_REGION":                "us-east-1", // reserved: the configuration cannot change it
		"AWS_ENDPOINT_URL":          "http://override",
		"GOMEMLIMIT":                "100MiB",
		"X":                         "y",
		"AWS_LAMBDA_LOG_FORMAT":     "JSON",
		"AWS_LAMBDA_LOG_LEVEL":      "DEBUG",
		"AWS_LAMBDA_LOG_GROUP_NAME": "/custom/group",
		"AWS_LAMBDA_RUNTIME_API":    "127.0.0.1:1",
		"LAMBDA_TASK_ROOT":          "/task",
		"PATH":                      "/bin",
	}
	for k, want := range tests {
		t.Run(k, func(t *testing.T) {
			assert.Equal(t, want, env[k])
		})
	}
	t.Run("SSL_CERT_FILE: the local CA bundle when there is one, unless the function sets its own", func(t *testing.T) {
		get := func(in envInput) (string, bool) {
			for _, kv := range buildEnv(in) {
				if v, ok := strings.CutPrefix(kv, "SSL_CERT_FILE="); ok {
					return v, true
				}
			}
			return "", false
		}
		_, set := get(envInput{fn: fc})
		assert.False(t, set, "no bundle, no variable")
		v, _ := get(envInput{fn: fc, certFile: "/state/ca-bundle.pem"})
		assert.Equal(t, "/state/ca-bundle.pem", v)
		own := fc
		own.Env = map[string]string{"SSL_CERT_FILE": "/own.pem"}
		v, _ = get(envInput{fn: own, certFile: "/state/ca-bundle.pem"})
		assert.Equal(t, "/own.pem", v)
	})
}

func TestFunctionFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		fn        lambdatest.Function
		payload   string
		errorType string
		message   string
		sameProc  bool // the instance survives the failure
	}{
		{name: "error response", payload: `{"action":"error","message":"boom"}`, errorType: "errorString", message: "boom", sameProc: true},
		{name: "timeout", fn: lambdatest.Function{Timeout: 1}, payload: `{"action":"sleep","ms":5000}`,
			errorType: "Sandbox.Timedout", message: "Task timed out after 1.00 seconds"},
		{name: "crash", payload: `{"action":"crash"}`, errorType: "Runtime.ExitError", message: "Runtime exited with error: exit status 3"},
		{name: "panic", payload: `{"action":"panic","message":"oops"}`, errorType: "string", message: "oops"},
		{name: "out of memory", fn: lambdatest.Function{Memory: 128}, payload: `{"action":"alloc","mb":400,"ms":5000}`,
			errorType: "Runtime.OutOfMemory", message: "Runtime exited with error: signal: killed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			arn := e.deploy(t, tc.fn)
			before := invokeEnv(t, e, arn)

			res, err := e.svc.Invoke(context.Background(), arn, []byte(tc.payload))
			require.NoError(t, err)
			assert.Equal(t, "Unhandled", res.FunctionError)
			assert.Equal(t, tc.errorType, res.ErrorType)
			var body struct {
				ErrorType    string `json:"errorType"`
				ErrorMessage string `json:"errorMessage"`
			}
			require.NoError(t, json.Unmarshal(res.Payload, &body), "payload: %s", res.Payload)
			assert.Equal(t, tc.errorType, body.ErrorType)
			assert.Contains(t, body.ErrorMessage, tc.message)

			// The function recovers: the next invocation succeeds, on a new process when the old one died.
			after := invokeEnv(t, e, arn)
			if tc.sameProc {
				assert.Equal(t, before.PID, after.PID)
				return
			}
			assert.NotEqual(t, before.PID, after.PID)
			assert.Eventually(t, func() bool { return syscall.Kill(before.PID, 0) != nil }, 5*time.Second, 20*time.Millisecond,
				"the failed instance's process must be gone")
		})
	}
}

func TestInitFailureFailsTheInvocation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.deploy(t, lambdatest.Function{Env: map[string]string{"INIT_FAIL": "1"}})
	res, err := e.svc.Invoke(context.Background(), arn, []byte(`{}`))
	require.NoError(t, err)
	assert.Equal(t, "Unhandled", res.FunctionError)
	assert.Equal(t, "Runtime.ExitError", res.ErrorType)
	assert.Contains(t, string(res.Payload), "exit status 7")
	assert.Contains(t, string(res.Payload), res.RequestID)
}

// barrierServer answers its requests only once n of them are inside at once (or after 20 s, which
// fails the tests using it); every request is announced on arrived.
func barrierServer(t *testing.T, n int32) (url string, arrived <-chan struct{}) {
	t.Helper()
	var count atomic.Int32
	all := make(chan struct{})
	each := make(chan struct{}, n+1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if count.Add(1) == n {
			close(all)
		}
		each <- struct{}{}
		select {
		case <-all: // every invocation is inside the function at once
		case <-time.After(20 * time.Second):
			w.WriteHeader(http.StatusGatewayTimeout)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, each
}

// invokeBarrier invokes the function's barrier action in the background; the channel gets the pid
// of the process that ran it (0 when the invocation failed, which is reported).
func invokeBarrier(t *testing.T, e *env, arn, url string) <-chan int {
	pid := make(chan int, 1)
	go func() {
		defer close(pid)
		res, err := e.svc.Invoke(context.Background(), arn, []byte(`{"action":"barrier","url":"`+url+`"}`))
		if !assert.NoError(t, err) || !assert.Empty(t, res.FunctionError, "%s", res.Payload) {
			return
		}
		var out struct{ PID int }
		assert.NoError(t, json.Unmarshal(res.Payload, &out))
		pid <- out.PID
	}()
	return pid
}

// await waits for an event of the test, failing rather than hanging when it never comes.
func await[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func TestConcurrentInvocationsRunOnSeparateInstances(t *testing.T) {
	t.Parallel()
	const n = 3
	url, _ := barrierServer(t, n)
	e := newEnv(t)
	arn := e.deploy(t, lambdatest.Function{Timeout: 30})

	var pids []int
	for _, pid := range []<-chan int{invokeBarrier(t, e, arn, url), invokeBarrier(t, e, arn, url), invokeBarrier(t, e, arn, url)} {
		pids = append(pids, <-pid)
	}
	assert.Len(t, map[int]bool{pids[0]: true, pids[1]: true, pids[2]: true}, n, "pids %v", pids)
}

// The interleavings below are rare under scheduling and played here with the pool's hooks: in
// each, a second invocation arrives while the only instance counts as available but has already
// taken the first one. It must get an instance of its own, not wait for the first to end (both
// meet at a barrier, so waiting would time out and run both on one process).

func TestInvocationArrivingAsAnInstanceTakesAnotherGetsItsOwn(t *testing.T) {
	t.Parallel()
	queued, taken, release := make(chan struct{}, 8), make(chan struct{}), make(chan struct{})
	var armed atomic.Bool
	e := newEnv(t, func(o *Options) {
		o.hooks = &poolHooks{
			queued: func() { queued <- struct{}{} },
			taken: func() {
				if armed.CompareAndSwap(true, false) {
					close(taken)
					<-release
				}
			},
		}
	})
	arn := e.deploy(t, lambdatest.Function{Timeout: 30})
	warm := invokeEnv(t, e, arn) // one instance, free again
	await(t, queued, "the warm-up invocation")
	url, _ := barrierServer(t, 2)

	armed.Store(true)
	first := invokeBarrier(t, e, arn, url)
	await(t, queued, "the first invocation")
	await(t, taken, "the instance to take the first invocation") // and it is held before turning busy
	second := invokeBarrier(t, e, arn, url)
	await(t, queued, "the second invocation")
	close(release)

	p1, p2 := <-first, <-second
	assert.Equal(t, warm.PID, p1, "the free instance took the first invocation")
	assert.NotEqual(t, p1, p2, "the second invocation ran on an instance of its own")
}

func TestInvocationArrivingAsAnInstanceRegistersGetsItsOwn(t *testing.T) {
	t.Parallel()
	queued, registering, release := make(chan struct{}, 8), make(chan struct{}), make(chan struct{})
	e := newEnv(t, func(o *Options) {
		o.hooks = &poolHooks{
			queued: func() { queued <- struct{}{} },
			registering: func(instance int) {
				if instance == 1 {
					close(registering)
					<-release
				}
			},
		}
	})
	arn := e.deploy(t, lambdatest.Function{Timeout: 30})
	url, arrived := barrierServer(t, 2)

	first := invokeBarrier(t, e, arn, url)
	await(t, queued, "the first invocation")
	await(t, registering, "the first instance to be ready") // and it is held before the pool registers it
	await(t, arrived, "the first invocation inside the function")
	second := invokeBarrier(t, e, arn, url)
	await(t, queued, "the second invocation")
	close(release)

	p1, p2 := <-first, <-second
	assert.NotZero(t, p1)
	assert.NotEqual(t, p1, p2, "the second invocation ran on an instance of its own")
}

func TestInvokeAsyncRetriesThenSendsToFailureDestination(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	arn := e.deploy(t, lambdatest.Function{})
	name, _, _ := ParseTarget(arn)
	q, err := e.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name + "-dlq")})
	require.NoError(t, err)
	qa, err := e.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	require.NoError(t, err)
	queueARN := qa.Attributes["QueueArn"]
	_, err = e.lambda.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName:         aws.String(name),
		Qualifier:            aws.String("live"),
		MaximumRetryAttempts: aws.Int32(1),
		DestinationConfig:    &ltypes.DestinationConfig{OnFailure: &ltypes.OnFailure{Destination: aws.String(queueARN)}},
	})
	require.NoError(t, err)

	a, err := e.svc.InvokeAsync(ctx, arn, []byte(`{"action":"error","message":"always"}`))
	require.NoError(t, err)
	require.NoError(t, a.Wait(ctx))
	assert.Equal(t, 2, a.Attempts, "one try and MaximumRetryAttempts=1 retry")
	assert.Equal(t, queueARN, a.Destination)

	msg, err := e.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 1})
	require.NoError(t, err)
	require.Len(t, msg.Messages, 1)
	var rec struct {
		RequestContext struct {
			RequestID   string `json:"requestId"`
			FunctionARN string `json:"functionArn"`
			Condition   string `json:"condition"`
			Count       int    `json:"approximateInvokeCount"`
		} `json:"requestContext"`
		RequestPayload  map[string]string `json:"requestPayload"`
		ResponseContext struct {
			FunctionError   string `json:"functionError"`
			ExecutedVersion string `json:"executedVersion"`
		} `json:"responseContext"`
		ResponsePayload struct {
			ErrorMessage string `json:"errorMessage"`
		} `json:"responsePayload"`
	}
	require.NoError(t, json.Unmarshal([]byte(aws.ToString(msg.Messages[0].Body)), &rec))
	assert.Equal(t, a.RequestID, rec.RequestContext.RequestID)
	assert.Equal(t, arn, rec.RequestContext.FunctionARN)
	assert.Equal(t, "RetriesExhausted", rec.RequestContext.Condition)
	assert.Equal(t, 2, rec.RequestContext.Count)
	assert.Equal(t, "always", rec.RequestPayload["message"])
	assert.Equal(t, "Unhandled", rec.ResponseContext.FunctionError)
	assert.Equal(t, "1", rec.ResponseContext.ExecutedVersion)
	assert.Equal(t, "always", rec.ResponsePayload.ErrorMessage)
}

func TestInvokeAsyncSucceedsOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out := t.TempDir()
	arn := e.deploy(t, lambdatest.Function{Env: map[string]string{"OUT_DIR": out}})
	a, err := e.svc.InvokeAsync(context.Background(), arn, []byte(`{"hello":"world"}`))
	require.NoError(t, err)
	require.NoError(t, a.Wait(context.Background()))
	assert.Equal(t, 1, a.Attempts)
	require.NoError(t, a.Err)
	assert.False(t, a.Result.Failed())
	b, err := os.ReadFile(filepath.Join(out, a.RequestID+".json"))
	require.NoError(t, err)
	assert.JSONEq(t, `{"hello":"world"}`, string(b))
}

func TestCodeSha256(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()

	t.Run("moto reports base64 sha256 of the zip, and the matching local zip runs", func(t *testing.T) {
		arn := e.deploy(t, lambdatest.Function{})
		name, _, _ := ParseTarget(arn)
		out, err := e.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name), Qualifier: aws.String("live")})
		require.NoError(t, err)
		assert.Equal(t, CodeSha256(e.fnA.Zip), aws.ToString(out.Configuration.CodeSha256))
		p, err := e.svc.artifacts.Find(name, "1", aws.ToString(out.Configuration.CodeSha256))
		require.NoError(t, err)
		assert.Equal(t, filepath.Join(e.build, "amd64", "fn.zip"), p)
	})

	t.Run("a deployed zip with no local match is refused, naming function, hash and search path", func(t *testing.T) {
		other, err := lambdatest.Zip(map[string][]byte{"bootstrap": []byte("#!/bin/sh\necho not the build\n")})
		require.NoError(t, err)
		arn := e.deploy(t, lambdatest.Function{Zip: other})
		name, _, _ := ParseTarget(arn)

		_, err = e.svc.Invoke(ctx, arn, []byte(`{}`))
		require.Error(t, err)
		assert.ErrorIs(t, err, ErrNoArtifact)
		var ae *ArtifactError
		require.True(t, errors.As(err, &ae))
		assert.Equal(t, name, ae.Function)
		assert.Equal(t, CodeSha256(other), ae.CodeSha256)
		assert.Contains(t, err.Error(), name)
		assert.Contains(t, err.Error(), CodeSha256(other))
		assert.Contains(t, err.Error(), filepath.Join(e.build, "*", "*.zip"))
		assert.Contains(t, err.Error(), CodeSha256(e.fnA.Zip), "the candidates' hashes help spot a stale build")

		_, err = e.svc.InvokeAsync(ctx, arn, []byte(`{}`))
		assert.ErrorIs(t, err, ErrNoArtifact, "async invocations are refused up front too")
	})
}

func TestRedeployReplacesInstances(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	arn := e.deploy(t, lambdatest.Function{})
	name, _, _ := ParseTarget(arn)
	first := invokeEnv(t, e, arn)
	require.Equal(t, "a", first.Variant)

	up, err := e.lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(name), ZipFile: e.fnB.Zip, Publish: true})
	require.NoError(t, err)
	_, err = e.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(name), Name: aws.String("live"), FunctionVersion: up.Version})
	require.NoError(t, err)

	require.Eventually(t, func() bool { return invokeEnv(t, e, arn).Variant == "b" }, 5*time.Second, 50*time.Millisecond)
	second := invokeEnv(t, e, arn)
	assert.Equal(t, aws.ToString(up.Version), second.Env["AWS_LAMBDA_FUNCTION_VERSION"])
	assert.Eventually(t, func() bool { return syscall.Kill(first.PID, 0) != nil }, 5*time.Second, 20*time.Millisecond,
		"the old version's idle instance is stopped")
}

func TestInvokeHandlerServesTheLambdaInvokeAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	arn := e.deploy(t, lambdatest.Function{})
	name, _, _ := ParseTarget(arn)
	srv := httptest.NewServer(e.svc.InvokeHandler())
	t.Cleanup(srv.Close)
	cfg := moto.Shared(t).Config()
	cfg.BaseEndpoint = aws.String(srv.URL)
	cfg.RetryMaxAttempts = 1
	client := lambda.NewFromConfig(cfg)

	out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Qualifier: aws.String("live"), Payload: []byte(`{"action":"error","message":"via api"}`)})
	require.NoError(t, err)
	assert.Equal(t, "Unhandled", aws.ToString(out.FunctionError))
	assert.Equal(t, "1", aws.ToString(out.ExecutedVersion))
	assert.Contains(t, string(out.Payload), "via api")

	ev, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(arn), InvocationType: ltypes.InvocationTypeEvent, Payload: []byte(`{}`)})
	require.NoError(t, err)
	assert.Equal(t, int32(http.StatusAccepted), ev.StatusCode)

	_, err = client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("does-not-exist")})
	var nf *ltypes.ResourceNotFoundException
	assert.ErrorAs(t, err, &nf)
}

func TestDescribeReportsLiveAliasAndArtifact(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.deploy(t, lambdatest.Function{})
	name, _, _ := ParseTarget(arn)
	got, err := e.svc.Describe(context.Background())
	require.NoError(t, err)
	var st *FunctionStatus
	for i := range got {
		if got[i].Name == name {
			st = &got[i]
		}
	}
	require.NotNil(t, st)
	assert.Equal(t, "live", st.Qualifier)
	assert.Equal(t, "1", st.Version)
	assert.Equal(t, CodeSha256(e.fnA.Zip), st.CodeSha256)
	assert.Equal(t, filepath.Join(e.build, "amd64", "fn.zip"), st.Artifact)
	assert.Empty(t, st.Error)
}

func TestParseTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, name, qualifier string
		bad                 bool
	}{
		{in: "fn", name: "fn"},
		{in: "fn:live", name: "fn", qualifier: "live"},
		{in: "123456789012:function:fn", name: "fn"},
		{in: "123456789012:function:fn:7", name: "fn", qualifier: "7"},
		{in: "arn:aws:lambda:us-east-1:123456789012:function:fn", name: "fn"},
		{in: "arn:aws:lambda:us-east-1:123456789012:function:fn:live", name: "fn", qualifier: "live"},
		{in: "arn:aws:sns:us-east-1:123456789012:topic", bad: true},
		{in: "", bad: true},
		{in: "fn:", bad: true},
		{in: "a:b:c:d:e", bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			name, q, err := ParseTarget(tc.in)
			if tc.bad {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.name, name)
			assert.Equal(t, tc.qualifier, q)
		})
	}
}

func TestInvocationsPublishLambdaMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	arn := e.deploy(t, lambdatest.Function{})
	name, _, _ := ParseTarget(arn)
	_, err := e.svc.Invoke(ctx, arn, []byte(`{}`))
	require.NoError(t, err)
	_, err = e.svc.Invoke(ctx, arn, []byte(`{"action":"error","message":"x"}`))
	require.NoError(t, err)

	// GetMetricData, whose dimension match is exact in moto (GetMetricStatistics matches subsets).
	sum := func(metric string, dims ...cwtypes.Dimension) float64 {
		now := time.Now().UTC().Truncate(time.Minute)
		out, err := e.cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
			StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now.Add(time.Hour)),
			MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("m"), MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String(metric), Dimensions: dims},
				Period: aws.Int32(7200), Stat: aws.String("Sum")}}},
		})
		require.NoError(t, err)
		total := 0.0
		for _, r := range out.MetricDataResults {
			for _, v := range r.Values {
				total += v
			}
		}
		return total
	}
	byName := cwtypes.Dimension{Name: aws.String("FunctionName"), Value: aws.String(name)}
	byAlias := cwtypes.Dimension{Name: aws.String("Resource"), Value: aws.String(name + ":live")}
	require.Eventually(t, func() bool { return sum("Invocations", byName) == 2 }, 10*time.Second, 100*time.Millisecond)
	assert.Equal(t, 1.0, sum("Errors", byName))
	assert.Equal(t, 2.0, sum("Invocations", byName, byAlias))
	assert.Equal(t, 1.0, sum("Errors", byName, byAlias))
}

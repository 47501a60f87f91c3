package sqsmap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/localrun/internal/runtimetest"
	"github.com/webhealth/webhealth/platform/localrun/lambdarun"
	"github.com/webhealth/webhealth/platform/localrun/lambdatest"
	"github.com/webhealth/webhealth/platform/moto"
)

// Each test has an emulator of its own: a deliverer runs every SQS mapping it finds, so tests
// sharing one would consume each other's queues.
type fixture struct {
	sqs    *sqs.Client
	lambda *lambda.Client
	rt     *runtimetest.Runtime
	fnARN  string
	out    string // the events the function received
}

func setup(t *testing.T) *fixture {
	t.Helper()
	m := moto.Start(t)
	rt := runtimetest.New(t, m)
	arn, out := rt.DeployRecorder(t, "worker")
	return &fixture{sqs: sqs.NewFromConfig(m.Config()), lambda: lambda.NewFromConfig(m.Config()), rt: rt, fnARN: arn, out: out}
}

func (f *fixture) queue(t *testing.T, attrs map[string]string) (url, arn string) {
	t.Helper()
	ctx := context.Background()
	q, err := f.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(lambdatest.Unique("shards")), Attributes: attrs})
	require.NoError(t, err)
	a, err := f.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	require.NoError(t, err)
	return aws.ToString(q.QueueUrl), a.Attributes["QueueArn"]
}

// mapping creates a disabled mapping of the function on the queue, as the Terraform does on the emulator.
func (f *fixture) mapping(t *testing.T, queueARN string, edit func(*lambda.CreateEventSourceMappingInput)) string {
	t.Helper()
	in := &lambda.CreateEventSourceMappingInput{FunctionName: aws.String(f.fnARN), EventSourceArn: aws.String(queueARN),
		BatchSize: aws.Int32(1), Enabled: aws.Bool(false)}
	if edit != nil {
		edit(in)
	}
	out, err := f.lambda.CreateEventSourceMapping(context.Background(), in)
	require.NoError(t, err)
	require.Equal(t, "Disabled", aws.ToString(out.State))
	return aws.ToString(out.UUID)
}

func (f *fixture) send(t *testing.T, url, body string) *sqs.SendMessageOutput {
	t.Helper()
	out, err := f.sqs.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body),
		MessageAttributes: map[string]types.MessageAttributeValue{"kind": {DataType: aws.String("String"), StringValue: aws.String("shard")}}})
	require.NoError(t, err)
	return out
}

// start runs a deliverer until the test ends, with short pauses so the tests are quick.
func (f *fixture) start(t *testing.T) *Deliverer {
	t.Helper()
	d := New(f.lambda, f.sqs, f.rt.Functions, nil)
	d.Refresh, d.MinIdle, d.MaxIdle = 200*time.Millisecond, 20*time.Millisecond, 200*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return d
}

// records are the SQS records the function received from queueARN, in no particular order.
func (f *fixture) records(t *testing.T, queueARN string) []events.SQSMessage {
	t.Helper()
	entries, err := os.ReadDir(f.out)
	require.NoError(t, err)
	var out []events.SQSMessage
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(f.out, e.Name()))
		require.NoError(t, err)
		var ev events.SQSEvent
		if json.Unmarshal(b, &ev) != nil {
			continue // being written
		}
		for _, r := range ev.Records {
			if r.EventSourceARN == queueARN {
				out = append(out, r)
			}
		}
	}
	return out
}

func (f *fixture) depth(t *testing.T, url string) (visible, inflight int) {
	t.Helper()
	a, err := f.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	require.NoError(t, err)
	visible, _ = strconv.Atoi(a.Attributes["ApproximateNumberOfMessages"])
	inflight, _ = strconv.Atoi(a.Attributes["ApproximateNumberOfMessagesNotVisible"])
	return visible, inflight
}

func TestDeliversOnceAndDeletes(t *testing.T) {
	t.Parallel()
	f := setup(t)
	url, arn := f.queue(t, nil)
	id := f.mapping(t, arn, nil)
	sent := f.send(t, url, `{"shard":1}`)
	d := f.start(t)

	// Deleted after the successful invocation: neither visible nor in flight.
	require.Eventually(t, func() bool { return len(f.records(t, arn)) > 0 }, 15*time.Second, 50*time.Millisecond)
	require.Eventually(t, func() bool { v, n := f.depth(t, url); return v == 0 && n == 0 }, 5*time.Second, 50*time.Millisecond)
	require.Len(t, f.records(t, arn), 1)
	r := f.records(t, arn)[0]
	assert.Equal(t, aws.ToString(sent.MessageId), r.MessageId)
	assert.Equal(t, `{"shard":1}`, r.Body)
	assert.Equal(t, aws.ToString(sent.MD5OfMessageBody), r.Md5OfBody)
	assert.Equal(t, arn, r.EventSourceARN)
	assert.Equal(t, "aws:sqs", r.EventSource)
	assert.Equal(t, moto.Region, r.AWSRegion)
	assert.NotEmpty(t, r.ReceiptHandle)
	assert.Equal(t, "1", r.Attributes["ApproximateReceiveCount"])
	for _, a := range []string{"SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} {
		assert.NotEmpty(t, r.Attributes[a], a)
	}
	require.Contains(t, r.MessageAttributes, "kind")
	assert.Equal(t, "shard", aws.ToString(r.MessageAttributes["kind"].StringValue))
	assert.Equal(t, "String", r.MessageAttributes["kind"].DataType)

	ms := d.Mappings()
	require.Len(t, ms, 1)
	assert.Equal(t, id, ms[0].UUID)
	assert.Equal(t, "Disabled", ms[0].State, "a disabled mapping is delivered all the same")
	assert.Equal(t, int64(1), ms[0].Invocations)
	assert.Equal(t, url, ms[0].QueueURL)
	assert.Empty(t, ms[0].Error)
}

func TestFailedBatchIsLeftThenRedrivenToTheDLQ(t *testing.T) {
	t.Parallel()
	f := setup(t)
	// No redrive policy: the failed message reappears and is delivered again.
	retryURL, retryARN := f.queue(t, map[string]string{"VisibilityTimeout": "1"})
	f.mapping(t, retryARN, nil)
	retried := f.send(t, retryURL, `{"action":"error","message":"nope"}`)
	// maxReceiveCount 1: the failed message goes to the DLQ and is not delivered again.
	dlqURL, dlqARN := f.queue(t, nil)
	url, arn := f.queue(t, map[string]string{"VisibilityTimeout": "1",
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":1}`, dlqARN)})
	f.mapping(t, arn, nil)
	f.send(t, url, `{"action":"error","message":"nope"}`)
	d := f.start(t)

	require.Eventually(t, func() bool { return len(f.records(t, retryARN)) >= 2 }, 15*time.Second, 50*time.Millisecond)
	counts := map[string]bool{}
	for _, r := range f.records(t, retryARN) {
		assert.Equal(t, aws.ToString(retried.MessageId), r.MessageId)
		counts[r.Attributes["ApproximateReceiveCount"]] = true
	}
	assert.True(t, counts["1"] && counts["2"], "delivered again after the visibility timeout: %v", counts)

	require.Eventually(t, func() bool { v, _ := f.depth(t, dlqURL); return v == 1 }, 15*time.Second, 100*time.Millisecond)
	v, n := f.depth(t, url)
	assert.Zero(t, v+n, "the message left the source queue")
	time.Sleep(1500 * time.Millisecond)
	assert.Len(t, f.records(t, arn), 1, "delivered once, then moved to the DLQ")
	for _, m := range d.Mappings() {
		assert.Positive(t, m.Failures, m.Queue)
		assert.Contains(t, m.Error, "function error", m.Queue)
	}
}

func TestMaximumConcurrency(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var mu sync.Mutex
	inside, most, calls := 0, 0, 0
	barrier := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		inside++
		calls++
		most = max(most, inside)
		mu.Unlock()
		time.Sleep(time.Second)
		mu.Lock()
		inside--
		mu.Unlock()
	}))
	t.Cleanup(barrier.Close)
	url, arn := f.queue(t, map[string]string{"VisibilityTimeout": "30"})
	f.mapping(t, arn, func(in *lambda.CreateEventSourceMappingInput) {
		in.ScalingConfig = &ltypes.ScalingConfig{MaximumConcurrency: aws.Int32(2)}
	})
	for range 4 {
		f.send(t, url, fmt.Sprintf(`{"action":"barrier","url":%q}`, barrier.URL))
	}
	d := f.start(t)

	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return calls == 4 && inside == 0 }, 20*time.Second, 50*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 2, most, "two shards at once, never more")
	require.Len(t, d.Mappings(), 1)
	assert.Equal(t, 2, d.Mappings()[0].MaxConcurrency)
}

func TestTakesNoMoreThanTheFunctionRuns(t *testing.T) {
	t.Parallel()
	f := setup(t)
	// One invocation at a time (reserved concurrency 1), 700 ms each, a 2 s visibility timeout: a
	// message received before an instance is free would reappear while it waits, and run twice.
	// The mapping is of the unqualified function: moto keeps a reserved concurrency on $LATEST only.
	unqualified := f.fnARN[:strings.LastIndex(f.fnARN, ":")]
	_, err := f.lambda.PutFunctionConcurrency(context.Background(), &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String(unqualified), ReservedConcurrentExecutions: aws.Int32(1)})
	require.NoError(t, err)
	url, arn := f.queue(t, map[string]string{"VisibilityTimeout": "2"})
	f.mapping(t, arn, func(in *lambda.CreateEventSourceMappingInput) { in.FunctionName = aws.String(unqualified) })
	for range 4 {
		f.send(t, url, `{"action":"sleep","ms":700}`)
	}
	d := f.start(t)

	require.Eventually(t, func() bool { v, n := f.depth(t, url); return v == 0 && n == 0 }, 20*time.Second, 50*time.Millisecond)
	rs := f.records(t, arn)
	assert.Len(t, rs, 4, "each message delivered once")
	for _, r := range rs {
		assert.Equal(t, "1", r.Attributes["ApproximateReceiveCount"])
	}
	require.Len(t, d.Mappings(), 1)
	assert.Equal(t, DefaultConcurrency, d.Mappings()[0].MaxConcurrency)
	assert.Equal(t, 1, d.Mappings()[0].Concurrency)
}

func TestMappingFollowsTheLiveAlias(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	url, arn := f.queue(t, nil)
	f.mapping(t, arn, nil) // on fn:live, which moto records as fn:1
	// A later apply: version 2 (recording elsewhere) and live moved to it.
	unqualified := f.fnARN[:strings.LastIndex(f.fnARN, ":")]
	v2out := t.TempDir()
	_, err := f.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(unqualified),
		Environment: &ltypes.Environment{Variables: map[string]string{lambdatest.OutDirEnv: v2out}}})
	require.NoError(t, err)
	v, err := f.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(unqualified)})
	require.NoError(t, err)
	require.Equal(t, "2", aws.ToString(v.Version))
	_, err = f.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(unqualified), Name: aws.String("live"), FunctionVersion: v.Version})
	require.NoError(t, err)
	f.send(t, url, "after the apply")
	d := f.start(t)

	v1out := f.out
	f.out = v2out
	require.Eventually(t, func() bool { return len(f.records(t, arn)) == 1 }, 15*time.Second, 50*time.Millisecond, "version 2 (live) received it")
	f.out = v1out
	assert.Empty(t, f.records(t, arn), "version 1 did not")
	require.Len(t, d.Mappings(), 1)
	assert.Equal(t, unqualified+":1", d.Mappings()[0].Function)
	assert.Equal(t, f.fnARN, d.Mappings()[0].Invokes)
}

func TestMappingsAreRereadWhileRunning(t *testing.T) {
	t.Parallel()
	f := setup(t)
	d := f.start(t)
	time.Sleep(300 * time.Millisecond) // the first discovery found nothing
	require.Empty(t, d.Mappings())

	url, arn := f.queue(t, nil)
	id := f.mapping(t, arn, nil)
	f.send(t, url, "first")
	require.Eventually(t, func() bool { return len(f.records(t, arn)) == 1 }, 15*time.Second, 50*time.Millisecond)

	// A removed mapping stops: a later message stays in the queue.
	_, err := f.lambda.DeleteEventSourceMapping(context.Background(), &lambda.DeleteEventSourceMappingInput{UUID: aws.String(id)})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(d.Mappings()) == 0 }, 5*time.Second, 50*time.Millisecond)
	f.send(t, url, "second")
	time.Sleep(time.Second)
	assert.Len(t, f.records(t, arn), 1)
	v, _ := f.depth(t, url)
	assert.Equal(t, 1, v, "not consumed")
}

func TestReportBatchItemFailures(t *testing.T) {
	t.Parallel()
	f := setup(t)
	// Long enough for the first invocation (a cold start) to finish before its messages reappear.
	url, arn := f.queue(t, map[string]string{"VisibilityTimeout": "3"})
	f.mapping(t, arn, func(in *lambda.CreateEventSourceMappingInput) {
		in.BatchSize = aws.Int32(3)
		in.FunctionResponseTypes = []ltypes.FunctionResponseType{ltypes.FunctionResponseTypeReportBatchItemFailures}
	})
	ok1 := aws.ToString(f.send(t, url, `{"action":"ok"}`).MessageId)
	bad := aws.ToString(f.send(t, url, `{"action":"fail_item"}`).MessageId)
	ok2 := aws.ToString(f.send(t, url, `{"action":"ok"}`).MessageId)
	f.start(t)

	seen := func() map[string]int {
		n := map[string]int{}
		for _, r := range f.records(t, arn) {
			n[r.MessageId]++
		}
		return n
	}
	require.Eventually(t, func() bool { return seen()[bad] >= 2 }, 15*time.Second, 50*time.Millisecond)
	assert.Equal(t, 1, seen()[ok1], "a message not reported is deleted")
	assert.Equal(t, 1, seen()[ok2], "a message not reported is deleted")
}

func TestReceiveDoesNotLongPoll(t *testing.T) {
	t.Parallel()
	f := setup(t)
	// A queue whose consumers long-poll by default: an empty receive would hold the emulator 20 s.
	url, _ := f.queue(t, map[string]string{"ReceiveMessageWaitTimeSeconds": "20"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	msgs, err := receive(ctx, f.sqs, url, 1)
	require.NoError(t, err)
	assert.Empty(t, msgs)
	assert.Less(t, time.Since(start), 3*time.Second)
}

func TestFromAPI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   ltypes.EventSourceMappingConfiguration
		want Mapping
	}{
		{name: "defaults", in: ltypes.EventSourceMappingConfiguration{UUID: aws.String("u"), State: aws.String("Disabled")},
			want: Mapping{UUID: "u", State: "Disabled", BatchSize: 10, MaxConcurrency: DefaultConcurrency}},
		{name: "configured", in: ltypes.EventSourceMappingConfiguration{UUID: aws.String("u"), BatchSize: aws.Int32(1),
			ScalingConfig:         &ltypes.ScalingConfig{MaximumConcurrency: aws.Int32(100)},
			FunctionResponseTypes: []ltypes.FunctionResponseType{ltypes.FunctionResponseTypeReportBatchItemFailures}},
			want: Mapping{UUID: "u", BatchSize: 1, MaxConcurrency: 100, ReportFailures: true}},
		{name: "filtered", in: ltypes.EventSourceMappingConfiguration{UUID: aws.String("u"),
			FilterCriteria: &ltypes.FilterCriteria{Filters: []ltypes.Filter{{Pattern: aws.String(`{"body":{"a":[1]}}`)}}}},
			want: Mapping{UUID: "u", BatchSize: 10, MaxConcurrency: DefaultConcurrency, Warning: "FilterCriteria is not emulated: every message is delivered"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, fromAPI(tc.in))
		})
	}
}

// fakeLambda lists one mapping of a version of fn.
type fakeLambda struct{}

func (fakeLambda) ListEventSourceMappings(context.Context, *lambda.ListEventSourceMappingsInput, ...func(*lambda.Options)) (*lambda.ListEventSourceMappingsOutput, error) {
	return &lambda.ListEventSourceMappingsOutput{EventSourceMappings: []ltypes.EventSourceMappingConfiguration{{UUID: aws.String("u"),
		FunctionArn: aws.String("arn:aws:lambda:us-east-1:123456789012:function:fn:1"), EventSourceArn: aws.String("arn:aws:sqs:us-east-1:123456789012:q"),
		BatchSize: aws.Int32(1), ScalingConfig: &ltypes.ScalingConfig{MaximumConcurrency: aws.Int32(100)}}}}, nil
}

// fakeInvoker answers Resolve and Concurrency with err when set; Invoke is not called (no SQS).
type fakeInvoker struct {
	err error
	n   int
}

func (f *fakeInvoker) Invoke(context.Context, string, []byte) (*lambdarun.Result, error) {
	return nil, errors.New("not called")
}
func (f *fakeInvoker) Concurrency(context.Context, string) (int, error) { return f.n, f.err }
func (f *fakeInvoker) Resolve(context.Context, string) (lambdarun.Resolved, error) {
	return lambdarun.Resolved{}, f.err
}

func TestRefreshKeepsWhatTheEmulatorCannotSay(t *testing.T) {
	t.Parallel()
	inv := &fakeInvoker{n: 4}
	d := New(fakeLambda{}, noQueue{}, inv, nil)
	d.MinIdle, d.MaxIdle = time.Hour, time.Hour // the pollers wait for a queue URL they never get
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); d.wg.Wait() }()

	require.NoError(t, d.refresh(ctx))
	first := d.Mappings()
	require.Len(t, first, 1)
	assert.Equal(t, "arn:aws:lambda:us-east-1:123456789012:function:fn:live", first[0].Invokes)
	assert.Equal(t, 4, first[0].Concurrency)
	d.mu.Lock()
	running := d.pollers["u"]
	d.mu.Unlock()

	// The emulator fails to answer: the poller is kept as it was, not restarted.
	inv.err = errors.New("connection refused")
	require.NoError(t, d.refresh(ctx))
	assert.Equal(t, first[0].Invokes, d.Mappings()[0].Invokes)
	assert.Equal(t, 4, d.Mappings()[0].Concurrency)
	d.mu.Lock()
	assert.Same(t, running, d.pollers["u"])
	d.mu.Unlock()

	// The alias is gone: the version itself, as moto says.
	inv.err = fmt.Errorf("alias: %w", lambdarun.ErrFunctionNotFound)
	require.NoError(t, d.refresh(ctx))
	assert.Equal(t, "arn:aws:lambda:us-east-1:123456789012:function:fn:1", d.Mappings()[0].Invokes)
	assert.Equal(t, 100, d.Mappings()[0].Concurrency)

	// A new deliverer that cannot ask takes one batch at a time.
	fresh := New(fakeLambda{}, noQueue{}, &fakeInvoker{err: errors.New("timeout")}, nil)
	fresh.MinIdle, fresh.MaxIdle = time.Hour, time.Hour
	require.NoError(t, fresh.refresh(ctx))
	assert.Equal(t, 1, fresh.Mappings()[0].Concurrency)
	cancel()
	fresh.wg.Wait()
}

// noQueue has no queues.
type noQueue struct{ SQSAPI }

func (noQueue) GetQueueUrl(context.Context, *sqs.GetQueueUrlInput, ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error) {
	return nil, errors.New("no such queue")
}

func TestBatchItemFailures(t *testing.T) {
	t.Parallel()
	batch := []types.Message{{MessageId: aws.String("a")}, {MessageId: aws.String("b")}}
	tests := []struct {
		name    string
		payload string
		want    []string
		wantErr bool
	}{
		{name: "empty payload", payload: ``},
		{name: "null", payload: `null`},
		{name: "empty list", payload: `{"batchItemFailures":[]}`},
		{name: "null list", payload: `{"batchItemFailures":null}`},
		{name: "one failed", payload: `{"batchItemFailures":[{"itemIdentifier":"b"}]}`, want: []string{"b"}},
		{name: "unknown id", payload: `{"batchItemFailures":[{"itemIdentifier":"z"}]}`, wantErr: true},
		{name: "empty id", payload: `{"batchItemFailures":[{"itemIdentifier":""}]}`, wantErr: true},
		{name: "not a response", payload: `"ok"`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := batchItemFailures([]byte(tc.payload), batch)
			if tc.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			var ids []string
			for id := range got {
				ids = append(ids, id)
			}
			assert.ElementsMatch(t, tc.want, ids)
		})
	}
}

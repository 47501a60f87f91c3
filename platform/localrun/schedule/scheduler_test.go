package schedule

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/localrun/internal/runtimetest"
	"github.com/webhealth/webhealth/platform/localrun/lambdarun"
	"github.com/webhealth/webhealth/platform/localrun/lambdatest"
	"github.com/webhealth/webhealth/platform/moto"
)

func TestMain(m *testing.M) { moto.Main(m) }

type fixture struct {
	events *eventbridge.Client
	svc    *lambdarun.Service
	fnARN  string
	out    string // where the function writes the events it receives
}

func setup(t *testing.T) *fixture {
	t.Helper()
	m := moto.Shared(t)
	rt := runtimetest.New(t, m)
	arn, out := rt.DeployRecorder(t, "fn")
	return &fixture{events: eventbridge.NewFromConfig(m.Config()), svc: rt.Functions, fnARN: arn, out: out}
}

func (f *fixture) rule(t *testing.T, expr string, state types.RuleState, targets ...types.Target) (name, arn string) {
	t.Helper()
	ctx := context.Background()
	name = lambdatest.Unique("rule")
	out, err := f.events.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), ScheduleExpression: aws.String(expr), State: state})
	require.NoError(t, err)
	_, err = f.events.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), Targets: targets})
	require.NoError(t, err)
	return name, aws.ToString(out.RuleArn)
}

type scheduledEvent struct {
	Version    string         `json:"version"`
	ID         string         `json:"id"`
	DetailType string         `json:"detail-type"`
	Source     string         `json:"source"`
	Account    string         `json:"account"`
	Time       string         `json:"time"`
	Region     string         `json:"region"`
	Resources  []string       `json:"resources"`
	Detail     map[string]any `json:"detail"`
}

func TestFireNow(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	name, ruleARN := f.rule(t, "cron(0/5 * * * ? *)", types.RuleStateEnabled,
		types.Target{Id: aws.String("event"), Arn: aws.String(f.fnARN)},
		types.Target{Id: aws.String("input"), Arn: aws.String(f.fnARN), Input: aws.String(`{"constant":true}`)},
		types.Target{Id: aws.String("path"), Arn: aws.String(f.fnARN), InputPath: aws.String("$.detail-type")},
	)
	disabled, _ := f.rule(t, "rate(1 minute)", types.RuleStateDisabled, types.Target{Id: aws.String("t"), Arn: aws.String(f.fnARN)})

	s := New(f.events, f.svc, moto.Region, nil)
	results, err := s.Fire(ctx, []string{name})
	require.NoError(t, err)
	require.Len(t, results, 3)

	byTarget := map[string]Result{}
	for _, r := range results {
		assert.Equal(t, "succeeded", r.Status, "%+v", r)
		assert.Equal(t, name, r.Rule)
		assert.Equal(t, 1, r.Attempts)
		byTarget[r.Target] = r
	}
	var got struct {
		Event scheduledEvent `json:"event"`
	}
	require.NoError(t, json.Unmarshal(byTarget["event"].Response, &got))
	ev := got.Event
	assert.Equal(t, "Scheduled Event", ev.DetailType)
	assert.Equal(t, "aws.events", ev.Source)
	assert.Equal(t, "0", ev.Version)
	assert.Equal(t, "123456789012", ev.Account)
	assert.Equal(t, moto.Region, ev.Region)
	assert.Equal(t, []string{ruleARN}, ev.Resources)
	assert.Empty(t, ev.Detail)
	assert.NotEmpty(t, ev.ID)
	_, err = time.Parse(time.RFC3339, ev.Time)
	assert.NoError(t, err)

	// The function received exactly the target's input (recorded by the function itself).
	assert.JSONEq(t, `{"constant":true}`, string(lambdatest.Received(t, f.out, byTarget["input"].RequestID)))
	assert.JSONEq(t, `"Scheduled Event"`, string(lambdatest.Received(t, f.out, byTarget["path"].RequestID)))

	_, err = s.Fire(ctx, []string{disabled})
	assert.ErrorIs(t, err, ErrUnknownRule, "disabled rules are not fired")
}

func TestFireReportsFunctionFailure(t *testing.T) {
	t.Parallel()
	f := setup(t)
	name, _ := f.rule(t, "rate(5 minutes)", types.RuleStateEnabled,
		types.Target{Id: aws.String("t"), Arn: aws.String(f.fnARN), Input: aws.String(`{"action":"error","message":"nope"}`)})
	s := New(f.events, f.svc, moto.Region, nil)
	results, err := s.Fire(context.Background(), []string{name})
	require.NoError(t, err)
	require.Len(t, results, 1)
	assert.Equal(t, "failed", results[0].Status)
	assert.Equal(t, "Unhandled", results[0].FunctionError)
	assert.Equal(t, 3, results[0].Attempts, "Lambda retries a failed asynchronous invocation twice")
	assert.Contains(t, string(results[0].Response), "nope")
}

func TestRunFiresOnSchedule(t *testing.T) {
	t.Parallel()
	f := setup(t)
	_, ruleARN := f.rule(t, "rate(1 minute)", types.RuleStateEnabled, types.Target{Id: aws.String("t"), Arn: aws.String(f.fnARN)})
	s := New(f.events, f.svc, moto.Region, nil)
	// A clock shifted so that the scheduler first reads it 700 ms before a minute boundary, however
	// long it takes to start: the rule is next due at that boundary, moments away.
	boundary := time.Now().Truncate(time.Minute).Add(time.Minute)
	var shift sync.Once
	var offset time.Duration
	s.now = func() time.Time {
		shift.Do(func() { offset = time.Until(boundary.Add(-700 * time.Millisecond)) })
		return time.Now().Add(offset)
	}
	fired := make(chan struct{}, 10)
	s.AfterFire = func(context.Context) { fired <- struct{}{} }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	select {
	case <-fired:
	case <-time.After(20 * time.Second):
		t.Fatal("the rule did not fire")
	}
	entries, err := os.ReadDir(f.out)
	require.NoError(t, err)
	var ev scheduledEvent
	found := false
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(f.out, e.Name()))
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &ev))
		if len(ev.Resources) == 1 && ev.Resources[0] == ruleARN {
			found = true
			break
		}
	}
	require.True(t, found, "the function received the rule's Scheduled Event")
	assert.Equal(t, boundary.UTC().Format(time.RFC3339), ev.Time, "the event carries the scheduled time")
}

func TestTargetPayload(t *testing.T) {
	t.Parallel()
	event := ScheduledEvent("arn:aws:events:us-east-1:123456789012:rule/r", "us-east-1", time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC))
	tests := []struct {
		name   string
		target Target
		want   string
	}{
		{name: "input", target: Target{Input: `{"a":1}`}, want: `{"a":1}`},
		{name: "whole event path", target: Target{InputPath: "$"}, want: string(event)},
		{name: "nested path", target: Target{InputPath: "$.detail"}, want: `{}`},
		{name: "missing path", target: Target{InputPath: "$.nope.deeper"}, want: `null`},
		{name: "transformer", target: Target{paths: map[string]string{"t": "$.time", "r": "$.resources"}, template: `{"at":"<t>","rules":<r>}`},
			want: `{"at":"2026-11-21T10:00:00Z","rules":["arn:aws:events:us-east-1:123456789012:rule/r"]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.target.payload(event)
			require.NoError(t, err)
			assert.JSONEq(t, tc.want, string(got))
		})
	}
}

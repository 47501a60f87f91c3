package alarms

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/awsconfig/cwquery"
	"github.com/webhealth/webhealth/platform/localrun/internal/runtimetest"
	"github.com/webhealth/webhealth/platform/localrun/lambdatest"
	"github.com/webhealth/webhealth/platform/localrun/snsdeliver"
	"github.com/webhealth/webhealth/platform/moto"
)

type fixture struct {
	cw    *cloudwatch.Client
	eval  *Evaluator
	topic string
	out   string // the subscribed function writes every event it receives here
	ns    string
	clock time.Time
}

// setup deploys the test function to a private moto (the evaluator evaluates every alarm in the
// emulator, so tests must not share one), subscribes it to a new SNS topic, and returns an
// evaluator whose clock the test moves.
func setup(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	m := moto.Start(t)
	cfg := m.Config()
	rt := runtimetest.New(t, m)
	fnARN, out := rt.DeployRecorder(t, "logger")
	snsc := sns.NewFromConfig(cfg)
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(lambdatest.Unique("alarms"))})
	require.NoError(t, err)
	_, err = snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("lambda"), Endpoint: aws.String(fnARN)})
	require.NoError(t, err)
	cw := cloudwatch.NewFromConfig(cfg, cwquery.Option)
	f := &fixture{
		cw:    cw,
		topic: aws.ToString(topic.TopicArn),
		out:   out,
		ns:    lambdatest.Unique("WebHealth/test"),
		clock: time.Now().UTC().Truncate(time.Minute).Add(-30 * time.Minute),
	}
	f.eval = New(cw, snsdeliver.New(snsc, nil, rt.Functions, moto.Region, nil), moto.Region, nil)
	f.eval.now = func() time.Time { return f.clock }
	return f
}

func (f *fixture) alarm(t *testing.T, name, target string) { f.alarmWith(t, name, target, true) }

func (f *fixture) alarmWith(t *testing.T, name, target string, actions bool) {
	t.Helper()
	_, err := f.cw.PutMetricAlarm(context.Background(), &cloudwatch.PutMetricAlarmInput{
		ActionsEnabled:     aws.Bool(actions),
		AlarmName:          aws.String(name),
		AlarmDescription:   aws.String("availability of " + target),
		Namespace:          aws.String(f.ns),
		MetricName:         aws.String("Availability"),
		Dimensions:         []cwtypes.Dimension{{Name: aws.String("TargetId"), Value: aws.String(target)}, {Name: aws.String("Region"), Value: aws.String(moto.Region)}},
		Statistic:          cwtypes.StatisticMinimum,
		Period:             aws.Int32(60),
		EvaluationPeriods:  aws.Int32(1),
		DatapointsToAlarm:  aws.Int32(1),
		Threshold:          aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorLessThanThreshold,
		TreatMissingData:   aws.String(Missing),
		AlarmActions:       []string{f.topic},
		OKActions:          []string{f.topic},
	})
	require.NoError(t, err)
}

func (f *fixture) put(t *testing.T, target string, at time.Time, v float64) {
	t.Helper()
	_, err := f.cw.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{
		Namespace: aws.String(f.ns),
		MetricData: []cwtypes.MetricDatum{{
			MetricName: aws.String("Availability"), Timestamp: aws.Time(at), Value: aws.Float64(v), Unit: cwtypes.StandardUnitNone,
			Dimensions: []cwtypes.Dimension{{Name: aws.String("TargetId"), Value: aws.String(target)}, {Name: aws.String("Region"), Value: aws.String(moto.Region)}},
		}},
	})
	require.NoError(t, err)
}

func (f *fixture) describe(t *testing.T, name string) cwtypes.MetricAlarm {
	t.Helper()
	out, err := f.cw.DescribeAlarms(context.Background(), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
	require.NoError(t, err)
	require.Len(t, out.MetricAlarms, 1)
	return out.MetricAlarms[0]
}

func (f *fixture) evaluate(t *testing.T) map[string]Transition {
	t.Helper()
	trs, err := f.eval.EvaluateAll(context.Background())
	require.NoError(t, err)
	out := map[string]Transition{}
	for _, tr := range trs {
		out[tr.Alarm] = tr
		for _, d := range tr.Delivered {
			require.Empty(t, d.Error)
			require.NotNil(t, d.Invocation())
			require.NoError(t, d.Invocation().Wait(context.Background()))
			require.False(t, d.Invocation().Result.Failed(), "%s", d.Invocation().Result.Payload)
		}
	}
	return out
}

// received decodes the SNS event the subscribed function got for a delivery, and the CloudWatch
// notification inside it, with aws-lambda-go's own types.
func (f *fixture) received(t *testing.T, tr Transition) (events.SNSEntity, events.CloudWatchAlarmSNSPayload) {
	t.Helper()
	require.Len(t, tr.Delivered, 1)
	var ev events.SNSEvent
	require.NoError(t, json.Unmarshal(lambdatest.Received(t, f.out, tr.Delivered[0].RequestID), &ev))
	require.Len(t, ev.Records, 1)
	assert.Equal(t, "aws:sns", ev.Records[0].EventSource)
	assert.Equal(t, "1.0", ev.Records[0].EventVersion)
	assert.Equal(t, tr.Delivered[0].SubscriptionARN, ev.Records[0].EventSubscriptionArn)
	var msg events.CloudWatchAlarmSNSPayload
	require.NoError(t, json.Unmarshal([]byte(ev.Records[0].SNS.Message), &msg))
	return ev.Records[0].SNS, msg
}

func TestAlarmLifecycleDeliversNotifications(t *testing.T) {
	t.Parallel()
	f := setup(t)
	name, target, other := lambdatest.Unique("web-availability"), lambdatest.Unique("target"), lambdatest.Unique("other")
	f.alarm(t, name, target)
	base := f.clock
	require.Equal(t, "OK", string(f.describe(t, name).StateValue), "moto creates alarms in OK")

	// No data yet: CloudWatch's state is INSUFFICIENT_DATA; moto is corrected without a notification.
	f.clock = base.Add(30 * time.Second)
	assert.Empty(t, f.evaluate(t))
	assert.Equal(t, "INSUFFICIENT_DATA", string(f.describe(t, name).StateValue))

	// The target is down: ALARM, and the subscribed function gets CloudWatch's notification via SNS.
	f.put(t, target, base.Add(10*time.Second), 0)
	f.put(t, other, base.Add(10*time.Second), 1)
	trs := f.evaluate(t)
	require.Contains(t, trs, name)
	tr := trs[name]
	assert.Equal(t, InsufficientData, tr.From)
	assert.Equal(t, Alarm, tr.To)
	a := f.describe(t, name)
	assert.Equal(t, "ALARM", string(a.StateValue))
	assert.Equal(t, tr.Reason, aws.ToString(a.StateReason))
	assert.Contains(t, tr.Reason, "Threshold Crossed: 1 out of the last 1 datapoints [0.0 (")
	assert.Contains(t, tr.Reason, "was less than the threshold (1.0) (minimum 1 datapoint for INSUFFICIENT_DATA -> ALARM transition).")
	var reasonData map[string]any
	require.NoError(t, json.Unmarshal([]byte(aws.ToString(a.StateReasonData)), &reasonData))
	assert.Equal(t, []any{0.0}, reasonData["recentDatapoints"])

	snsMsg, msg := f.received(t, tr)
	assert.Equal(t, "Notification", snsMsg.Type)
	assert.Equal(t, f.topic, snsMsg.TopicArn)
	assert.Equal(t, fmt.Sprintf("ALARM: %q in US East (N. Virginia)", name), snsMsg.Subject)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, snsMsg.MessageID)
	assert.Equal(t, "1", snsMsg.SignatureVersion)
	assert.WithinDuration(t, time.Now(), snsMsg.Timestamp, time.Minute)
	assert.Equal(t, name, msg.AlarmName)
	assert.Equal(t, "availability of "+target, msg.AlarmDescription)
	assert.Equal(t, "123456789012", msg.AWSAccountID)
	assert.Equal(t, "ALARM", msg.NewStateValue)
	assert.Equal(t, "INSUFFICIENT_DATA", msg.OldStateValue)
	assert.Equal(t, tr.Reason, msg.NewStateReason)
	assert.Equal(t, "US East (N. Virginia)", msg.Region)
	assert.Equal(t, aws.ToString(a.AlarmArn), msg.AlarmARN)
	assert.Equal(t, "Availability", msg.Trigger.MetricName)
	assert.Equal(t, f.ns, msg.Trigger.Namespace)
	assert.Equal(t, "MINIMUM", msg.Trigger.Statistic)
	assert.Equal(t, "Statistic", msg.Trigger.StatisticType)
	assert.Equal(t, int64(60), msg.Trigger.Period)
	assert.Equal(t, int64(1), msg.Trigger.EvaluationPeriods)
	assert.Equal(t, "LessThanThreshold", msg.Trigger.ComparisonOperator)
	assert.Equal(t, 1.0, msg.Trigger.Threshold)
	assert.Equal(t, "missing", msg.Trigger.TreatMissingData)
	assert.ElementsMatch(t, []events.CloudWatchDimension{{Name: "TargetId", Value: target}, {Name: "Region", Value: moto.Region}}, msg.Trigger.Dimensions)
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(snsMsg.Message), &raw))
	assert.JSONEq(t, fmt.Sprintf("[%q]", f.topic), string(raw["AlarmActions"]))
	assert.JSONEq(t, "[]", string(raw["InsufficientDataActions"]))
	assert.Regexp(t, `^"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000"$`, string(raw["StateChangeTime"]))
	assert.Regexp(t, `^"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000"$`, string(raw["AlarmConfigurationUpdatedTimestamp"]))

	// Still down: no new transition, nothing delivered.
	assert.Empty(t, f.evaluate(t))

	// Recovered in the next period (another target's 0 in the same namespace must not count).
	f.put(t, target, base.Add(70*time.Second), 1)
	f.put(t, other, base.Add(70*time.Second), 0)
	f.clock = base.Add(90 * time.Second)
	trs = f.evaluate(t)
	require.Contains(t, trs, name)
	assert.Equal(t, Alarm, trs[name].From)
	assert.Equal(t, OK, trs[name].To)
	_, msg = f.received(t, trs[name])
	assert.Equal(t, "OK", msg.NewStateValue)
	assert.Equal(t, "ALARM", msg.OldStateValue)
	assert.Equal(t, "OK", string(f.describe(t, name).StateValue))
}

func TestFirstEvaluationComputesTheRealState(t *testing.T) {
	t.Parallel()
	f := setup(t)
	name, target := lambdatest.Unique("web-availability"), lambdatest.Unique("target")
	base := f.clock
	f.put(t, target, base.Add(5*time.Second), 0)
	f.alarm(t, name, target)
	f.clock = base.Add(20 * time.Second)

	trs := f.evaluate(t)
	require.Contains(t, trs, name, "moto's OK is not the alarm's state: the first pass moves it to ALARM and notifies")
	assert.Equal(t, InsufficientData, trs[name].From)
	assert.Equal(t, Alarm, trs[name].To)

	// Updating the alarm (the crawler reconciles thresholds) makes moto report a fresh OK;
	// CloudWatch keeps the state, so no transition and no notification.
	f.alarm(t, name, target)
	require.Equal(t, "OK", string(f.describe(t, name).StateValue))
	assert.Empty(t, f.evaluate(t))
	assert.Equal(t, "ALARM", string(f.describe(t, name).StateValue))
}

func TestActionsDisabledChangesStateWithoutNotifying(t *testing.T) {
	t.Parallel()
	f := setup(t)
	name, target := lambdatest.Unique("quiet"), lambdatest.Unique("target")
	f.alarmWith(t, name, target, false)
	f.put(t, target, f.clock.Add(5*time.Second), 0)
	f.clock = f.clock.Add(20 * time.Second)
	trs := f.evaluate(t)
	require.Contains(t, trs, name)
	assert.Equal(t, Alarm, trs[name].To)
	assert.Empty(t, trs[name].Delivered)
	entries, err := os.ReadDir(f.out)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

// TestHeartbeatAlarmBreachesOnMissingRuns: the stack's crawler heartbeat (RunDuration SampleCount < 1 over
// 2 periods, missing data breaching) stays OK while runs complete and goes to ALARM, with its notification,
// once no run has been seen for the whole evaluation range; a run afterwards recovers it.
func TestHeartbeatAlarmBreachesOnMissingRuns(t *testing.T) {
	t.Parallel()
	f := setup(t)
	name := lambdatest.Unique("stack-crawler-heartbeat")
	dims := []cwtypes.Dimension{{Name: aws.String("Region"), Value: aws.String(moto.Region)}}
	_, err := f.cw.PutMetricAlarm(context.Background(), &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String(name), Namespace: aws.String(f.ns), MetricName: aws.String("RunDuration"), Dimensions: dims,
		Statistic: cwtypes.StatisticSampleCount, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(2), DatapointsToAlarm: aws.Int32(2),
		Threshold: aws.Float64(1), ComparisonOperator: cwtypes.ComparisonOperatorLessThanThreshold, TreatMissingData: aws.String(Breaching),
		AlarmActions: []string{f.topic}, OKActions: []string{f.topic},
	})
	require.NoError(t, err)
	run := func(at time.Time) {
		t.Helper()
		_, err := f.cw.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{Namespace: aws.String(f.ns), MetricData: []cwtypes.MetricDatum{{
			MetricName: aws.String("RunDuration"), Timestamp: aws.Time(at), Value: aws.Float64(1234), Unit: cwtypes.StandardUnitMilliseconds, Dimensions: dims,
		}}})
		require.NoError(t, err)
	}
	base := f.clock
	for i := range 3 { // a run in each of three minutes
		run(base.Add(time.Duration(i)*time.Minute + 5*time.Second))
	}
	f.clock = base.Add(2*time.Minute + 30*time.Second)
	trs := f.evaluate(t)
	require.Contains(t, trs, name, "the first evaluation gives the alarm its real state")
	assert.Equal(t, OK, trs[name].To, trs[name].Reason)

	// The crawler stops after the run of minute 2: OK as long as two runs are in the range, then a
	// single real run with a missing period filled in as breaching is 1 of 2: still OK.
	for _, at := range []time.Duration{3*time.Minute + 10*time.Second, 4*time.Minute + 10*time.Second, 5*time.Minute + 10*time.Second} {
		f.clock = base.Add(at)
		assert.Empty(t, f.evaluate(t), "at +%s a run is still in the evaluation range", at)
	}
	// No run in the whole range: every missing datapoint breaches.
	f.clock = base.Add(6*time.Minute + 10*time.Second)
	trs = f.evaluate(t)
	require.Contains(t, trs, name)
	assert.Equal(t, OK, trs[name].From)
	assert.Equal(t, Alarm, trs[name].To)
	assert.Contains(t, trs[name].Reason, "no datapoints were received for 2 periods and 2 missing datapoints were treated as [Breaching]")
	_, msg := f.received(t, trs[name])
	assert.Equal(t, "ALARM", msg.NewStateValue)
	assert.Equal(t, "SAMPLE_COUNT", msg.Trigger.Statistic)
	assert.Equal(t, "breaching", msg.Trigger.TreatMissingData)

	// Runs again: two runs in two periods recover it.
	run(base.Add(6*time.Minute + 20*time.Second))
	run(base.Add(7*time.Minute + 20*time.Second))
	f.clock = base.Add(7*time.Minute + 30*time.Second)
	trs = f.evaluate(t)
	require.Contains(t, trs, name)
	assert.Equal(t, OK, trs[name].To, trs[name].Reason)
}

// TestRunMetricAlarmsOfTheStack: the stack's crawler-alarm-backlog (AlarmsPending Minimum > 0 in 10 periods, 10 of
// 10, missing data not breaching) fires only once every period of ten in a row had pending work in all its runs, and
// one run that caught up recovers it; crawler-failures (RunFailures Maximum > 0, one period) fires on one failing run
// among clean ones.
func TestRunMetricAlarmsOfTheStack(t *testing.T) {
	t.Parallel()
	f := setup(t)
	dims := []cwtypes.Dimension{{Name: aws.String("Region"), Value: aws.String(moto.Region)}}
	backlog, failures := lambdatest.Unique("stack-crawler-alarm-backlog"), lambdatest.Unique("stack-crawler-failures")
	for _, a := range []struct {
		name, metric string
		stat         cwtypes.Statistic
		periods      int32
	}{{backlog, "AlarmsPending", cwtypes.StatisticMinimum, 10}, {failures, "RunFailures", cwtypes.StatisticMaximum, 1}} {
		_, err := f.cw.PutMetricAlarm(context.Background(), &cloudwatch.PutMetricAlarmInput{
			AlarmName: aws.String(a.name), Namespace: aws.String(f.ns), MetricName: aws.String(a.metric), Dimensions: dims,
			Statistic: a.stat, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(a.periods), DatapointsToAlarm: aws.Int32(a.periods),
			Threshold: aws.Float64(0), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold, TreatMissingData: aws.String(NotBreaching),
			AlarmActions: []string{f.topic}, OKActions: []string{f.topic},
		})
		require.NoError(t, err)
	}
	base := f.clock
	run := func(minute int, pending, failed float64) {
		t.Helper()
		at := aws.Time(base.Add(time.Duration(minute)*time.Minute + 5*time.Second))
		_, err := f.cw.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{Namespace: aws.String(f.ns), MetricData: []cwtypes.MetricDatum{
			{MetricName: aws.String("AlarmsPending"), Timestamp: at, Value: aws.Float64(pending), Unit: cwtypes.StandardUnitCount, Dimensions: dims},
			{MetricName: aws.String("RunFailures"), Timestamp: at, Value: aws.Float64(failed), Unit: cwtypes.StandardUnitCount, Dimensions: dims},
		}})
		require.NoError(t, err)
	}
	// Nine minutes of runs that each left alarm work (minute 4 twice, both with work left) and had no failures.
	for m := range 9 {
		run(m, float64(500-50*m), 0)
	}
	run(4, 120, 0)
	f.clock = base.Add(8*time.Minute + 30*time.Second)
	trs := f.evaluate(t)
	require.Contains(t, trs, backlog, "the first evaluation gives the alarm its real state")
	assert.Equal(t, OK, trs[backlog].To, "nine pending intervals of ten are no backlog yet: %s", trs[backlog].Reason)
	require.Contains(t, trs, failures)
	assert.Equal(t, OK, trs[failures].To, trs[failures].Reason)

	// The tenth: every interval of ten had work left in all its runs.
	run(9, 60, 0)
	f.clock = base.Add(9*time.Minute + 30*time.Second)
	trs = f.evaluate(t)
	require.Contains(t, trs, backlog)
	assert.Equal(t, Alarm, trs[backlog].To, trs[backlog].Reason)
	_, msg := f.received(t, trs[backlog])
	assert.Equal(t, "MINIMUM", msg.Trigger.Statistic)
	assert.NotContains(t, trs, failures)

	// Minute 10: one run caught up (its Minimum is 0) and another one failed.
	run(10, 40, 0)
	run(10, 0, 3)
	f.clock = base.Add(10*time.Minute + 30*time.Second)
	trs = f.evaluate(t)
	require.Contains(t, trs, backlog)
	assert.Equal(t, OK, trs[backlog].To, "a run that caught up ends the backlog: %s", trs[backlog].Reason)
	require.Contains(t, trs, failures)
	assert.Equal(t, Alarm, trs[failures].To, "one failing run among clean ones fires: %s", trs[failures].Reason)
	_, msg = f.received(t, trs[failures])
	assert.Equal(t, "MAXIMUM", msg.Trigger.Statistic)
}

// TestMetricMathAlarmIsEvaluatedLocally: webhealth's degraded alarm (IF(m >= 1 AND m < 2, 1, 0) >= 1 over
// RegionsDown), whose expression moto does not evaluate, goes to ALARM while one region sees the target down
// and back to OK when the quorum does (down, not degraded).
func TestMetricMathAlarmIsEvaluatedLocally(t *testing.T) {
	t.Parallel()
	f := setup(t)
	name, target := lambdatest.Unique("degraded"), lambdatest.Unique("target")
	_, err := f.cw.PutMetricAlarm(context.Background(), &cloudwatch.PutMetricAlarmInput{
		AlarmName:      aws.String(name),
		ActionsEnabled: aws.Bool(true),
		Metrics: []cwtypes.MetricDataQuery{
			{Id: aws.String("m"), ReturnData: aws.Bool(false), MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: aws.String(f.ns), MetricName: aws.String("RegionsDown"),
					Dimensions: []cwtypes.Dimension{{Name: aws.String("TargetId"), Value: aws.String(target)}}},
				Period: aws.Int32(60), Stat: aws.String("Maximum"),
			}},
			{Id: aws.String("degraded"), Expression: aws.String("IF(m >= 1 AND m < 2, 1, 0)"), ReturnData: aws.Bool(true)},
		},
		EvaluationPeriods:  aws.Int32(1),
		DatapointsToAlarm:  aws.Int32(1),
		Threshold:          aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
		TreatMissingData:   aws.String(Missing),
		AlarmActions:       []string{f.topic},
		OKActions:          []string{f.topic},
	})
	require.NoError(t, err)
	regionsDown := func(at time.Time, v float64) {
		_, err := f.cw.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{Namespace: aws.String(f.ns),
			MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("RegionsDown"), Timestamp: aws.Time(at), Value: aws.Float64(v),
				Dimensions: []cwtypes.Dimension{{Name: aws.String("TargetId"), Value: aws.String(target)}}}}})
		require.NoError(t, err)
	}

	regionsDown(f.clock.Add(5*time.Second), 1)
	f.clock = f.clock.Add(20 * time.Second)
	trs := f.evaluate(t)
	require.Contains(t, trs, name, "one region of two down: degraded")
	assert.Equal(t, Alarm, trs[name].To)
	_, msg := f.received(t, trs[name])
	assert.Equal(t, "ALARM", msg.NewStateValue)

	f.clock = f.clock.Truncate(time.Minute).Add(time.Minute)
	regionsDown(f.clock.Add(5*time.Second), 2)
	f.clock = f.clock.Add(20 * time.Second)
	trs = f.evaluate(t)
	require.Contains(t, trs, name, "both regions down: down, not degraded")
	assert.Equal(t, OK, trs[name].To)
}

package crawler

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/webhealth/webhealth/internal/contract"
)

func TestDesiredAlarmShape(t *testing.T) {
	t.Parallel()
	c := newTestCrawler(t, testConfig(), &fakeDB{}, &fakeCW{})
	tg := &alarmTarget{ID: testID(7), URL: "https://example.com/health", Name: "example", LatencyThresholdMS: 750}
	dims := []cwtypes.Dimension{
		{Name: aws.String("TargetId"), Value: aws.String(testID(7))},
		{Name: aws.String("Region"), Value: aws.String(testRegion)},
	}
	common := func(kind string) *cloudwatch.PutMetricAlarmInput {
		return &cloudwatch.PutMetricAlarmInput{
			AlarmName: aws.String("wh-test-" + testID(7) + "-" + kind), Namespace: aws.String("WebHealth/test"),
			Dimensions: dims, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(2), DatapointsToAlarm: aws.Int32(2),
			TreatMissingData: aws.String("missing"), ActionsEnabled: aws.Bool(true),
			AlarmActions: []string{testTopic}, OKActions: []string{testTopic},
			Tags: []cwtypes.Tag{
				{Key: aws.String("webhealth:target-id"), Value: aws.String(testID(7))},
				{Key: aws.String("webhealth:alarm-kind"), Value: aws.String(kind)},
			},
		}
	}
	avail := common("availability")
	avail.MetricName, avail.Statistic = aws.String("Availability"), cwtypes.StatisticMinimum
	avail.ComparisonOperator, avail.Threshold = cwtypes.ComparisonOperatorLessThanThreshold, aws.Float64(1)
	avail.AlarmDescription = aws.String("webhealth: https://example.com/health (example) is not available")
	lat := common("latency")
	lat.MetricName, lat.Statistic = aws.String("Latency"), cwtypes.StatisticAverage
	lat.ComparisonOperator, lat.Threshold = cwtypes.ComparisonOperatorGreaterThanThreshold, aws.Float64(750)
	lat.AlarmDescription = aws.String("webhealth: https://example.com/health (example) latency above 750 ms")

	cert := common("certificate")
	cert.MetricName, cert.Statistic = aws.String("CertDaysRemaining"), cwtypes.StatisticMinimum
	cert.ComparisonOperator, cert.Threshold = cwtypes.ComparisonOperatorLessThanThreshold, aws.Float64(14)
	cert.AlarmDescription = aws.String("webhealth: https://example.com/health (example) certificate expires in less than 14 days")
	cert.TreatMissingData = aws.String("ignore") // the days are published in one hour of the day (certDue)

	assert.Equal(t, avail, c.desiredAlarm(tg, contract.AlarmKindAvailability))
	assert.Equal(t, lat, c.desiredAlarm(tg, contract.AlarmKindLatency))
	assert.Equal(t, cert, c.desiredAlarm(tg, contract.AlarmKindCertificate), "CERT_EXPIRY_DAYS without the target's own")

	own := *tg
	own.CertExpiryDays = 30
	cert.Threshold = aws.Float64(30)
	cert.AlarmDescription = aws.String("webhealth: https://example.com/health (example) certificate expires in less than 30 days")
	assert.Equal(t, cert, c.desiredAlarm(&own, contract.AlarmKindCertificate), "the target's cert_expiry_threshold_days wins")

	long := &alarmTarget{ID: testID(8), URL: "https://example.com/" + strings.Repeat("é", 1500), Name: "x", LatencyThresholdMS: 1}
	desc := aws.ToString(c.desiredAlarm(long, contract.AlarmKindLatency).AlarmDescription)
	assert.LessOrEqual(t, len(desc), 1024, "CloudWatch limits descriptions to 1024 characters")
	assert.True(t, strings.HasPrefix(desc, "webhealth: https://example.com/é"))
}

func TestSameAlarmComparesEveryFieldSet(t *testing.T) {
	t.Parallel()
	c := newTestCrawler(t, testConfig(), &fakeDB{}, &fakeCW{})
	tg := &alarmTarget{ID: testID(1), URL: "https://a/", Name: "a", LatencyThresholdMS: 500, CertExpiryDays: 21}
	tests := []struct {
		name   string
		mutate func(a *cwtypes.MetricAlarm)
		same   bool
	}{
		{name: "identical", mutate: func(*cwtypes.MetricAlarm) {}, same: true},
		{name: "dimensions reordered", mutate: func(a *cwtypes.MetricAlarm) {
			a.Dimensions = []cwtypes.Dimension{a.Dimensions[1], a.Dimensions[0]}
		}, same: true},
		{name: "unit None reported back", mutate: func(a *cwtypes.MetricAlarm) { a.Unit = "" }, same: true},
		{name: "threshold", mutate: func(a *cwtypes.MetricAlarm) { a.Threshold = aws.Float64(400) }},
		{name: "comparison", mutate: func(a *cwtypes.MetricAlarm) {
			a.ComparisonOperator = cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold
		}},
		{name: "statistic", mutate: func(a *cwtypes.MetricAlarm) { a.Statistic = cwtypes.StatisticMaximum }},
		{name: "extended statistic", mutate: func(a *cwtypes.MetricAlarm) { a.ExtendedStatistic = aws.String("p99") }},
		{name: "period", mutate: func(a *cwtypes.MetricAlarm) { a.Period = aws.Int32(300) }},
		{name: "evaluation periods", mutate: func(a *cwtypes.MetricAlarm) { a.EvaluationPeriods = aws.Int32(3) }},
		{name: "datapoints to alarm", mutate: func(a *cwtypes.MetricAlarm) { a.DatapointsToAlarm = aws.Int32(1) }},
		{name: "treat missing data", mutate: func(a *cwtypes.MetricAlarm) { a.TreatMissingData = aws.String("breaching") }},
		{name: "actions disabled", mutate: func(a *cwtypes.MetricAlarm) { a.ActionsEnabled = aws.Bool(false) }},
		{name: "alarm actions", mutate: func(a *cwtypes.MetricAlarm) { a.AlarmActions = []string{"arn:aws:sns:eu-west-1:123456789012:other"} }},
		{name: "ok actions missing", mutate: func(a *cwtypes.MetricAlarm) { a.OKActions = nil }},
		{name: "insufficient data actions added", mutate: func(a *cwtypes.MetricAlarm) { a.InsufficientDataActions = []string{testTopic} }},
		{name: "description", mutate: func(a *cwtypes.MetricAlarm) { a.AlarmDescription = aws.String("edited by hand") }},
		{name: "namespace", mutate: func(a *cwtypes.MetricAlarm) { a.Namespace = aws.String("Other") }},
		{name: "metric name", mutate: func(a *cwtypes.MetricAlarm) { a.MetricName = aws.String("TTFB") }},
		{name: "dimension value", mutate: func(a *cwtypes.MetricAlarm) {
			a.Dimensions = []cwtypes.Dimension{a.Dimensions[0], {Name: aws.String("Region"), Value: aws.String("us-east-1")}}
		}},
		{name: "dimension missing", mutate: func(a *cwtypes.MetricAlarm) { a.Dimensions = a.Dimensions[:1] }},
		{name: "unit set", mutate: func(a *cwtypes.MetricAlarm) { a.Unit = cwtypes.StandardUnitSeconds }},
		{name: "metric math", mutate: func(a *cwtypes.MetricAlarm) { a.Metrics = []cwtypes.MetricDataQuery{{Id: aws.String("m1")}} }},
	}
	for _, kind := range contract.RegionalAlarmKinds() {
		want := c.desiredAlarm(tg, kind)
		for _, tc := range tests {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				have := alarmFromInput(want)
				have.Dimensions = append([]cwtypes.Dimension(nil), want.Dimensions...)
				tc.mutate(&have)
				assert.Equal(t, tc.same, sameAlarm(have, want))
			})
		}
	}
}

// seed puts the alarm the crawler would create for t/kind into the fake, optionally altered.
func seed(c *Crawler, cw *fakeCW, t *alarmTarget, kind string, alter func(*cloudwatch.PutMetricAlarmInput)) string {
	in := c.desiredAlarm(t, kind)
	if alter != nil {
		alter(in)
	}
	if cw.alarms == nil {
		cw.alarms = map[string]cwtypes.MetricAlarm{}
	}
	cw.alarms[aws.ToString(in.AlarmName)] = alarmFromInput(in)
	return aws.ToString(in.AlarmName)
}

func TestReconcileAlarms(t *testing.T) {
	t.Parallel()
	cw := &fakeCW{}
	c := newTestCrawler(t, testConfig(), &fakeDB{}, cw)
	a := &alarmTarget{ID: testID(0), URL: "https://a.example/", Name: "a", LatencyThresholdMS: 1000}
	b := &alarmTarget{ID: testID(1), URL: "https://b.example/", Name: "b", LatencyThresholdMS: 800, CertExpiryDays: 30}
	gone := &alarmTarget{ID: testID(2), URL: "https://gone.example/", Name: "gone", LatencyThresholdMS: 1000}
	d := &alarmTarget{ID: testID(3), URL: "https://d.example/", Name: "d", LatencyThresholdMS: 1000}
	plain := &alarmTarget{ID: testID(4), URL: "http://plain.example/", Name: "plain", LatencyThresholdMS: 1000}
	// was https: its certificate alarm outlives the change until a complete run
	downgraded := &alarmTarget{ID: testID(5), URL: "http://downgraded.example/", Name: "downgraded", LatencyThresholdMS: 1000}
	for _, k := range contract.RegionalAlarmKinds() {
		seed(c, cw, a, k, nil)
		seed(c, cw, gone, k, nil)
	}
	seed(c, cw, b, contract.AlarmKindAvailability, nil)
	bLatency := seed(c, cw, b, contract.AlarmKindLatency, func(in *cloudwatch.PutMetricAlarmInput) { in.Threshold = aws.Float64(500) })
	bCert := seed(c, cw, b, contract.AlarmKindCertificate, func(in *cloudwatch.PutMetricAlarmInput) { in.Threshold = aws.Float64(14) })
	seed(c, cw, plain, contract.AlarmKindAvailability, nil)
	seed(c, cw, plain, contract.AlarmKindLatency, nil)
	seed(c, cw, downgraded, contract.AlarmKindAvailability, nil)
	seed(c, cw, downgraded, contract.AlarmKindLatency, nil)
	wasHTTPS := *downgraded
	wasHTTPS.URL = "https://downgraded.example/"
	downgradedCert := seed(c, cw, &wasHTTPS, contract.AlarmKindCertificate, nil)
	untouchable := []string{
		testPrefix + "-notatarget",
		testPrefix + "-" + testID(2) + "-other",
		testPrefix + "-" + strings.ToUpper(testID(2)[:31]) + "A-availability",
		testPrefix + "x-" + testID(2) + "-availability",
		"other-" + testID(2) + "-availability",
		"other-" + testID(4) + "-certificate",
	}
	for _, n := range untouchable {
		cw.alarms[n] = cwtypes.MetricAlarm{AlarmName: aws.String(n)}
	}
	seen := map[string]*alarmTarget{a.ID: a, b.ID: b, d.ID: d, plain.ID: plain, downgraded.ID: downgraded}

	t.Run("incomplete target list deletes nothing", func(t *testing.T) {
		st := &runState{}
		listAndReconcile(context.Background(), c, map[string]*alarmTarget{downgraded.ID: downgraded}, false, st)
		assert.Zero(t, st.sum.AlarmsFailed)
		assert.Zero(t, st.sum.AlarmsDeleted)
		assert.Empty(t, cw.deletes)
		assert.Contains(t, cw.alarms, downgradedCert, "an http target's certificate alarm goes only after a complete scan")
	})

	cw.alarmPuts = nil
	st := &runState{}
	listAndReconcile(context.Background(), c, seen, true, st)
	assert.Zero(t, st.sum.AlarmsFailed)
	assert.Equal(t, 3, st.sum.AlarmsCreated, "d's three alarms")
	assert.Equal(t, 2, st.sum.AlarmsUpdated, "b's latency threshold and its certificate threshold changed")
	assert.Equal(t, 4, st.sum.AlarmsDeleted, "the removed target's three alarms, the downgraded target's certificate alarm")
	assert.ElementsMatch(t, []string{bLatency, bCert,
		contract.AlarmName(testPrefix, d.ID, "availability"), contract.AlarmName(testPrefix, d.ID, "latency"), contract.AlarmName(testPrefix, d.ID, "certificate"),
	}, cw.alarmPuts, "only missing or changed alarms are written; an http target gets no certificate alarm")
	require.Len(t, cw.deletes, 1, "one DeleteAlarms call")
	assert.ElementsMatch(t, []string{
		contract.AlarmName(testPrefix, gone.ID, "availability"), contract.AlarmName(testPrefix, gone.ID, "certificate"),
		contract.AlarmName(testPrefix, gone.ID, "latency"), downgradedCert,
	}, cw.deletes[0])
	assert.Equal(t, 800.0, aws.ToFloat64(cw.alarms[bLatency].Threshold))
	assert.Equal(t, 30.0, aws.ToFloat64(cw.alarms[bCert].Threshold))
	assert.NotContains(t, cw.alarms, contract.AlarmName(testPrefix, plain.ID, "certificate"))
	for _, n := range untouchable {
		assert.Contains(t, cw.alarms, n, "alarms not matching <prefix>-<id>-<kind> are never touched")
	}

	t.Run("second run is a no-op", func(t *testing.T) {
		cw.alarmPuts, cw.deletes = nil, nil
		st := &runState{}
		listAndReconcile(context.Background(), c, seen, true, st)
		assert.Zero(t, st.sum.AlarmsFailed)
		assert.Zero(t, st.sum.AlarmsCreated+st.sum.AlarmsUpdated+st.sum.AlarmsDeleted)
		assert.Empty(t, cw.alarmPuts)
		assert.Empty(t, cw.deletes)
	})
	t.Run("an undecodable item keeps every alarm of its id", func(t *testing.T) {
		cw.alarmPuts, cw.deletes = nil, nil
		st := &runState{}
		listAndReconcile(context.Background(), c, map[string]*alarmTarget{a.ID: nil, b.ID: b, d.ID: d, plain.ID: plain, downgraded.ID: downgraded}, true, st)
		assert.Zero(t, st.sum.AlarmsFailed)
		assert.Empty(t, cw.deletes)
		for _, k := range contract.RegionalAlarmKinds() {
			assert.Contains(t, cw.alarms, contract.AlarmName(testPrefix, a.ID, k))
		}
	})
}

func TestReconcileDeletesInBatchesAcrossPages(t *testing.T) {
	t.Parallel()
	cw := &fakeCW{}
	c := newTestCrawler(t, testConfig(), &fakeDB{}, cw)
	for i := range 150 {
		tg := &alarmTarget{ID: testID(i), URL: "https://x/", Name: "x", LatencyThresholdMS: 1000}
		seed(c, cw, tg, contract.AlarmKindAvailability, nil)
		seed(c, cw, tg, contract.AlarmKindLatency, nil)
	}
	st := &runState{}
	listAndReconcile(context.Background(), c, map[string]*alarmTarget{}, true, st)
	assert.Zero(t, st.sum.AlarmsFailed)
	assert.Equal(t, 300, st.sum.AlarmsDeleted)
	require.Len(t, cw.deletes, 3)
	for _, batch := range cw.deletes {
		assert.Len(t, batch, 100)
	}
	assert.Empty(t, cw.alarms)
	assert.Equal(t, 3, cw.describes, "300 alarms at 100 per page")
}

func TestReconcileFailuresAndThrottling(t *testing.T) {
	t.Parallel()
	tgA := &alarmTarget{ID: testID(0), URL: "https://a/", Name: "a", LatencyThresholdMS: 1000}
	tgB := &alarmTarget{ID: testID(1), URL: "https://b/", Name: "b", LatencyThresholdMS: 1000}
	seen := map[string]*alarmTarget{tgA.ID: tgA, tgB.ID: tgB}

	t.Run("throttled put is retried", func(t *testing.T) {
		t.Parallel()
		calls := 0
		cw := &fakeCW{alarmErr: func(op, _ string) error {
			if op == "put" {
				calls++
				if calls <= 2 {
					return throttled()
				}
			}
			return nil
		}}
		c := newTestCrawler(t, testConfig(), &fakeDB{}, cw)
		st := &runState{}
		listAndReconcile(context.Background(), c, seen, true, st)
		assert.Zero(t, st.sum.AlarmsFailed)
		assert.Equal(t, 6, st.sum.AlarmsCreated, "three per https target")
	})
	t.Run("one failed put does not stop the others", func(t *testing.T) {
		t.Parallel()
		bad := contract.AlarmName(testPrefix, tgA.ID, contract.AlarmKindLatency)
		cw := &fakeCW{alarmErr: func(op, name string) error {
			if op == "put" && name == bad {
				return errors.New("LimitExceeded: too many alarms")
			}
			return nil
		}}
		c := newTestCrawler(t, testConfig(), &fakeDB{}, cw)
		st := &runState{}
		listAndReconcile(context.Background(), c, seen, true, st)
		assert.NotContains(t, cw.alarms, bad)
		assert.Equal(t, 5, st.sum.AlarmsCreated)
		assert.Equal(t, 1, st.sum.AlarmsFailed)
	})
	t.Run("describe failure is reported and nothing changes", func(t *testing.T) {
		t.Parallel()
		cw := &fakeCW{alarmErr: func(op, _ string) error {
			if op == "describe" {
				return errors.New("InternalFailure")
			}
			return nil
		}}
		c := newTestCrawler(t, testConfig(), &fakeDB{}, cw)
		st := &runState{}
		listAndReconcile(context.Background(), c, seen, true, st)
		assert.Equal(t, 1, st.sum.AlarmsFailed, "the failed listing is one failure")
		assert.Empty(t, cw.alarmPuts)
	})
	t.Run("run deadline leaves work pending, not failed", func(t *testing.T) {
		t.Parallel()
		cw := &fakeCW{}
		c := newTestCrawler(t, testConfig(), &fakeDB{}, cw)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		st := &runState{}
		listAndReconcile(ctx, c, seen, true, st)
		assert.Zero(t, st.sum.AlarmsFailed)
		assert.Equal(t, 6, st.sum.AlarmsPending)
		assert.Zero(t, st.sum.AlarmsFailed)
		assert.Empty(t, cw.alarmPuts)
	})
}

// sameAlarm reports whether the existing alarm already is what PutMetricAlarm would make of want,
// as reconcileAlarms decides it.
func sameAlarm(have cwtypes.MetricAlarm, want *cloudwatch.PutMetricAlarmInput) bool {
	return digestOfAlarm(have) == digestOfInput(want)
}

// listAndReconcile lists the existing alarms and reconciles them with seen, as a run does.
func listAndReconcile(ctx context.Context, c *Crawler, seen map[string]*alarmTarget, complete bool, st *runState) {
	existing, err := c.ownedAlarms(ctx)
	c.reconcileAlarms(ctx, existing, err, seen, complete, st)
}

package crawler

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/contract"
	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
	"github.com/webhealth/webhealth/internal/verdict"
)

// fakeRegionChecks is the checks table as the verdict reads it: the other regions' checks by target id
// and region; every BatchChecks call is kept.
type fakeRegionChecks struct {
	mu     sync.Mutex
	checks map[string]store.RegionChecks
	err    error
	calls  [][]string // the target ids of each call
	asked  [][]string // the regions of each call
}

func (f *fakeRegionChecks) BatchChecks(_ context.Context, ids, regions []string) (map[string]store.RegionChecks, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, slices.Clone(ids))
	f.asked = append(f.asked, slices.Clone(regions))
	if f.err != nil {
		return nil, f.err
	}
	if len(ids)*len(regions) > 100 {
		return nil, errors.New("ValidationException: Too many items requested for the BatchGetItem call")
	}
	out := map[string]store.RegionChecks{}
	for _, id := range ids {
		for _, r := range regions {
			if lc, ok := f.checks[id][r]; ok {
				if out[id] == nil {
					out[id] = store.RegionChecks{}
				}
				out[id][r] = lc
			}
		}
	}
	return out, nil
}

// downProber answers 503 for the targets in down, 200 for the others.
type downProber struct{ down map[string]bool }

func (p downProber) Probe(_ context.Context, t target.Target) target.Observation {
	status := 200
	if p.down[t.ID] {
		status = 503
	}
	return target.Observation{CheckedAt: time.Now().UTC(), StatusCode: status, Attempts: 1}
}

// threeRegions: the test crawler's region (eu-west-1) first, so it is the home region, with two more.
func threeRegions(quorum int) verdict.Settings {
	return verdict.Settings{Region: testRegion, Home: testRegion, Rule: verdict.Rule{
		Regions: []string{testRegion, "us-east-1", "ap-southeast-1"}, Quorum: quorum, StaleAfter: 3 * time.Minute,
	}}
}

// regionsDown is each target's RegionsDown datums' values.
func regionsDown(t *testing.T, datums []cwtypes.MetricDatum) map[string][]float64 {
	t.Helper()
	out := map[string][]float64{}
	for _, d := range datums {
		if aws.ToString(d.MetricName) != contract.MetricRegionsDown {
			continue
		}
		require.Len(t, d.Dimensions, 1, "RegionsDown has the dimension TargetId alone")
		require.Equal(t, contract.DimensionTargetID, aws.ToString(d.Dimensions[0].Name))
		assert.Equal(t, cwtypes.StandardUnitCount, d.Unit)
		id := aws.ToString(d.Dimensions[0].Value)
		out[id] = append(out[id], aws.ToFloat64(d.Value))
	}
	return out
}

// TestVerdictPublishesRegionsDown: the home region of several publishes each checked target's RegionsDown,
// the regions that see it down among those whose checks count: its own fresh check and the others' latest
// not older than STALE_AFTER_SECONDS; a region outside REGIONS and a region without a check count nothing.
func TestVerdictPublishesRegionsDown(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC()
	fresh := func(up bool) target.LastCheck {
		return target.LastCheck{CheckedAt: now.Add(-time.Minute), Available: up}
	}
	stale := func(up bool) target.LastCheck {
		return target.LastCheck{CheckedAt: now.Add(-10 * time.Minute), Available: up}
	}
	tests := []struct {
		name   string
		homeUp bool
		others store.RegionChecks
		want   float64
	}{
		{name: "down everywhere", others: store.RegionChecks{"us-east-1": fresh(false), "ap-southeast-1": fresh(false)}, want: 3},
		{name: "down here and in one other; the third is stale", others: store.RegionChecks{"us-east-1": fresh(false), "ap-southeast-1": stale(false)}, want: 2},
		{name: "up here, down in both others", homeUp: true, others: store.RegionChecks{"us-east-1": fresh(false), "ap-southeast-1": fresh(false)}, want: 2},
		{name: "down here only", others: store.RegionChecks{"us-east-1": fresh(true), "ap-southeast-1": fresh(true)}, want: 1},
		{name: "down here, the others stale", others: store.RegionChecks{"us-east-1": stale(false), "ap-southeast-1": stale(false)}, want: 1},
		{name: "down here, no other check yet", want: 1},
		{name: "up everywhere", homeUp: true, others: store.RegionChecks{"us-east-1": fresh(true), "ap-southeast-1": fresh(true)}, want: 0},
		{name: "up here, a region outside REGIONS down", homeUp: true, others: store.RegionChecks{"sa-east-1": fresh(false)}, want: 0},
		{name: "a stale check of this region in the table is replaced by the fresh one", homeUp: true,
			others: store.RegionChecks{testRegion: fresh(false), "us-east-1": fresh(true)}, want: 0},
	}
	db := &fakeDB{}
	checks := &fakeRegionChecks{checks: map[string]store.RegionChecks{}}
	down := map[string]bool{}
	for i, tc := range tests {
		tg := testTarget(i, "http://192.0.2.1/")
		db.add(t, targetItem(t, tg))
		checks.checks[tg.ID] = tc.others
		down[tg.ID] = !tc.homeUp
	}
	cfg := testConfig()
	cfg.Regions = threeRegions(2)
	cw := &fakeCW{}
	c, err := New(cfg, testRegion, store.NewTargets(db, cfg.URLsTable), cw, downProber{down: down}, WithChecks(&fakeChecks{}), WithVerdict(checks))
	require.NoError(t, err)
	sum, err := c.Run(context.Background())
	require.NoError(t, err)
	require.Equal(t, len(tests), sum.Checked)
	assert.Zero(t, sum.VerdictFailures)
	assert.Zero(t, sum.RunFailures)

	got := regionsDown(t, cw.datums())
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, []float64{tc.want}, got[testID(i)], "one RegionsDown per check")
		})
	}
	require.Len(t, checks.calls, 1, "%d targets in 2 other regions: one BatchGetItem", len(tests))
	assert.Equal(t, []string{"us-east-1", "ap-southeast-1"}, checks.asked[0], "the other regions' checks, never this region's own")

	// The datum is at the time of this region's check (the Availability datum's).
	for _, d := range cw.datums() {
		if aws.ToString(d.MetricName) != contract.MetricRegionsDown {
			continue
		}
		id := aws.ToString(d.Dimensions[0].Value)
		av := datumsNamed(cw.datums(), contract.MetricAvailability, id)
		require.Len(t, av, 1)
		assert.Equal(t, aws.ToTime(av[0].Timestamp), aws.ToTime(d.Timestamp), id)
	}
}

// TestVerdictReadsInBatches: one BatchChecks per batch of targets, each within BatchGetItem's 100 keys,
// never one per target; every checked target gets its verdict once.
func TestVerdictReadsInBatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		regions verdict.Settings
		targets int
		calls   int
	}{
		{name: "two regions: 100 targets a call", regions: twoRegions(testRegion), targets: 250, calls: 3},
		{name: "three regions: 50 targets a call", regions: threeRegions(2), targets: 120, calls: 3},
		{name: "three regions, fewer targets than a batch", regions: threeRegions(2), targets: 7, calls: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := &fakeDB{}
			for i := range tc.targets {
				db.add(t, targetItem(t, testTarget(i, "http://192.0.2.1/")))
			}
			cfg := testConfig()
			cfg.Regions = tc.regions
			checks := &fakeRegionChecks{}
			cw := &fakeCW{}
			c, err := New(cfg, testRegion, store.NewTargets(db, cfg.URLsTable), cw, &upProber{n: -1}, WithChecks(&fakeChecks{}), WithVerdict(checks))
			require.NoError(t, err)
			sum, err := c.Run(context.Background())
			require.NoError(t, err)
			require.Equal(t, tc.targets, sum.Checked)
			assert.Len(t, checks.calls, tc.calls)
			seen := map[string]int{}
			for i, ids := range checks.calls {
				assert.LessOrEqual(t, len(ids)*len(checks.asked[i]), 100, "one BatchGetItem call's keys")
				for _, id := range ids {
					seen[id]++
				}
			}
			assert.Len(t, seen, tc.targets)
			got := regionsDown(t, cw.datums())
			assert.Len(t, got, tc.targets)
			for id, vs := range got {
				assert.Equal(t, []float64{0}, vs, id)
				assert.Equal(t, 1, seen[id], id)
			}
		})
	}
}

// TestVerdictReadFailure: when the other regions' checks cannot be read, the batch's targets get no
// RegionsDown (no guess from one region) and are VerdictFailures, counted in RunFailures.
func TestVerdictReadFailure(t *testing.T) {
	t.Parallel()
	db := &fakeDB{}
	for i := range 3 {
		db.add(t, targetItem(t, testTarget(i, "http://192.0.2.1/")))
	}
	cfg := testConfig()
	cfg.Regions = twoRegions(testRegion)
	cw := &fakeCW{}
	checks := &fakeRegionChecks{err: errors.New("ProvisionedThroughputExceededException")}
	c, err := New(cfg, testRegion, store.NewTargets(db, cfg.URLsTable), cw, downProber{}, WithChecks(&fakeChecks{}), WithVerdict(checks))
	require.NoError(t, err)
	sum, err := c.Run(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 3, sum.Checked)
	assert.Equal(t, 3, sum.VerdictFailures)
	assert.Equal(t, 3, sum.RunFailures)
	assert.Equal(t, 3.0, runMetric(t, cw.datums(), contract.MetricRunFailures))
	assert.Empty(t, regionsDown(t, cw.datums()))
	assert.Len(t, db.lastChecks(), 3, "the checks are still written")
}

// TestNoVerdictOutsideTheHomeRegionOfSeveral: a single region and a region other than the home region
// publish no RegionsDown and read no checks.
func TestNoVerdictOutsideTheHomeRegionOfSeveral(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		regions verdict.Settings
	}{
		{name: "one region, unset"},
		{name: "one region", regions: verdict.Single(testRegion)},
		{name: "another region", regions: twoRegions("us-east-1")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := &fakeDB{}
			db.add(t, targetItem(t, testTarget(0, "http://192.0.2.1/")))
			cfg := testConfig()
			cfg.Regions = tc.regions
			cw := &fakeCW{}
			checks := &fakeRegionChecks{}
			c, err := New(cfg, testRegion, store.NewTargets(db, cfg.URLsTable), cw, downProber{}, WithChecks(&fakeChecks{}), WithVerdict(checks))
			require.NoError(t, err)
			sum, err := c.Run(context.Background())
			require.NoError(t, err)
			assert.Equal(t, 1, sum.Checked)
			assert.Empty(t, checks.calls)
			assert.Empty(t, regionsDown(t, cw.datums()))
		})
	}
}

func TestNewRefusesTheHomeRegionOfSeveralWithoutVerdict(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Regions = twoRegions(testRegion)
	_, err := New(cfg, testRegion, store.NewTargets(&fakeDB{}, cfg.URLsTable), &fakeCW{}, &upProber{n: -1}, WithChecks(&fakeChecks{}))
	require.ErrorIs(t, err, errNoVerdictReader)
	_, err = New(cfg, testRegion, store.NewTargets(&fakeDB{}, cfg.URLsTable), &fakeCW{}, &upProber{n: -1}, WithChecks(&fakeChecks{}), WithVerdict(&fakeRegionChecks{}))
	require.NoError(t, err)
}

// verdictCrawler is a crawler of the home region of three regions with the quorum given.
func verdictCrawler(t *testing.T, quorum int, cw *fakeCW) *Crawler {
	t.Helper()
	cfg := testConfig()
	cfg.Regions = threeRegions(quorum)
	c, err := New(cfg, testRegion, store.NewTargets(&fakeDB{}, cfg.URLsTable), cw, &upProber{n: -1}, WithChecks(&fakeChecks{}), WithVerdict(&fakeRegionChecks{}))
	require.NoError(t, err)
	return c
}

func TestVerdictAlarmShapes(t *testing.T) {
	t.Parallel()
	c := verdictCrawler(t, 2, &fakeCW{})
	tg := &alarmTarget{ID: testID(7), URL: "https://example.com/health", Name: "example", LatencyThresholdMS: 750}
	tags := func(kind string) []cwtypes.Tag {
		return []cwtypes.Tag{
			{Key: aws.String("webhealth:target-id"), Value: aws.String(testID(7))},
			{Key: aws.String("webhealth:alarm-kind"), Value: aws.String(kind)},
		}
	}
	byTarget := []cwtypes.Dimension{{Name: aws.String("TargetId"), Value: aws.String(testID(7))}}
	want := &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("wh-test-" + testID(7) + "-verdict"), Namespace: aws.String("WebHealth/test"),
		MetricName: aws.String("RegionsDown"), Dimensions: byTarget, Statistic: cwtypes.StatisticMaximum,
		Period: aws.Int32(60), EvaluationPeriods: aws.Int32(2), DatapointsToAlarm: aws.Int32(2),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, Threshold: aws.Float64(2),
		TreatMissingData: aws.String("missing"), ActionsEnabled: aws.Bool(true),
		AlarmActions: []string{testTopic}, OKActions: []string{testTopic}, Tags: tags("verdict"),
		AlarmDescription: aws.String("webhealth: https://example.com/health (example) is down from at least 2 of 3 regions"),
	}
	assert.Equal(t, want, c.desiredAlarm(tg, contract.AlarmKindVerdict))

	degraded := &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("wh-test-" + testID(7) + "-degraded"),
		Metrics: []cwtypes.MetricDataQuery{
			{Id: aws.String("degraded"), Expression: aws.String("IF(m >= 1 AND m < 2, 1, 0)"), Label: aws.String("degraded"), ReturnData: aws.Bool(true)},
			{Id: aws.String("m"), MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: aws.String("WebHealth/test"), MetricName: aws.String("RegionsDown"), Dimensions: byTarget},
				Period: aws.Int32(60), Stat: aws.String("Maximum"),
			}, ReturnData: aws.Bool(false)},
		},
		EvaluationPeriods: aws.Int32(2), DatapointsToAlarm: aws.Int32(2),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, Threshold: aws.Float64(1),
		TreatMissingData: aws.String("missing"), ActionsEnabled: aws.Bool(true),
		AlarmActions: []string{testTopic}, OKActions: []string{testTopic}, Tags: tags("degraded"),
		AlarmDescription: aws.String("webhealth: https://example.com/health (example) is down from some of its 3 regions, fewer than 2"),
	}
	assert.Equal(t, degraded, c.desiredAlarm(tg, contract.AlarmKindDegraded))

	c3 := verdictCrawler(t, 3, &fakeCW{})
	assert.Equal(t, 3.0, aws.ToFloat64(c3.desiredAlarm(tg, contract.AlarmKindVerdict).Threshold))
	assert.Equal(t, "IF(m >= 1 AND m < 3, 1, 0)", aws.ToString(c3.desiredAlarm(tg, contract.AlarmKindDegraded).Metrics[0].Expression))
}

// TestDegradedNeverWithDown: for every quorum, the degraded alarm's expression and the verdict alarm's
// threshold, as the crawler writes them, never alarm on the same RegionsDown, and one of them alarms on
// any RegionsDown above 0.
func TestDegradedNeverWithDown(t *testing.T) {
	t.Parallel()
	regions := []string{testRegion, "us-east-1", "us-west-2", "ap-southeast-1", "ap-northeast-1", "eu-central-1", "sa-east-1", "ca-central-1"}
	expr := regexp.MustCompile(`^IF\(m >= (\d+) AND m < (\d+), 1, 0\)$`)
	tg := &alarmTarget{ID: testID(1), URL: "http://a/", Name: "a", LatencyThresholdMS: 500}
	for quorum := 2; quorum <= len(regions); quorum++ {
		cfg := testConfig()
		cfg.Regions = verdict.Settings{Region: testRegion, Home: testRegion, Rule: verdict.Rule{Regions: regions, Quorum: quorum, StaleAfter: time.Minute}}
		c, err := New(cfg, testRegion, store.NewTargets(&fakeDB{}, cfg.URLsTable), &fakeCW{}, &upProber{n: -1}, WithChecks(&fakeChecks{}), WithVerdict(&fakeRegionChecks{}))
		require.NoError(t, err)
		threshold := aws.ToFloat64(c.desiredAlarm(tg, contract.AlarmKindVerdict).Threshold)
		degraded := c.desiredAlarm(tg, contract.AlarmKindDegraded)
		require.Equal(t, 1.0, aws.ToFloat64(degraded.Threshold))
		m := expr.FindStringSubmatch(aws.ToString(degraded.Metrics[0].Expression))
		require.NotNil(t, m, aws.ToString(degraded.Metrics[0].Expression))
		lo, _ := strconv.Atoi(m[1])
		hi, _ := strconv.Atoi(m[2])
		for n := 0; n <= len(regions); n++ {
			isDegraded := n >= lo && n < hi
			isDown := float64(n) >= threshold
			assert.False(t, isDegraded && isDown, "quorum %d, %d down: both alarms", quorum, n)
			assert.Equal(t, n > 0, isDegraded || isDown, "quorum %d, %d down", quorum, n)
		}
	}
}

func TestSameVerdictAlarmComparesQueries(t *testing.T) {
	t.Parallel()
	c := verdictCrawler(t, 2, &fakeCW{})
	tg := &alarmTarget{ID: testID(1), URL: "https://a/", Name: "a", LatencyThresholdMS: 500}
	want := c.desiredAlarm(tg, contract.AlarmKindDegraded)
	stat := func(a *cwtypes.MetricAlarm) *cwtypes.MetricStat { return a.Metrics[1].MetricStat }
	tests := []struct {
		name   string
		mutate func(a *cwtypes.MetricAlarm)
		same   bool
	}{
		{name: "identical", mutate: func(*cwtypes.MetricAlarm) {}, same: true},
		{name: "ReturnData of the expression unset (true)", mutate: func(a *cwtypes.MetricAlarm) { a.Metrics[0].ReturnData = nil }, same: true},
		{name: "expression", mutate: func(a *cwtypes.MetricAlarm) { a.Metrics[0].Expression = aws.String("IF(m >= 1 AND m < 3, 1, 0)") }},
		{name: "label", mutate: func(a *cwtypes.MetricAlarm) { a.Metrics[0].Label = aws.String("other") }},
		{name: "query id", mutate: func(a *cwtypes.MetricAlarm) { a.Metrics[1].Id = aws.String("m1") }},
		{name: "ReturnData of the metric", mutate: func(a *cwtypes.MetricAlarm) { a.Metrics[1].ReturnData = aws.Bool(true) }},
		{name: "metric stat", mutate: func(a *cwtypes.MetricAlarm) { stat(a).Stat = aws.String("Minimum") }},
		{name: "metric period", mutate: func(a *cwtypes.MetricAlarm) { stat(a).Period = aws.Int32(300) }},
		{name: "metric name", mutate: func(a *cwtypes.MetricAlarm) { stat(a).Metric.MetricName = aws.String("Availability") }},
		{name: "metric namespace", mutate: func(a *cwtypes.MetricAlarm) { stat(a).Metric.Namespace = aws.String("Other") }},
		{name: "metric dimensions", mutate: func(a *cwtypes.MetricAlarm) {
			stat(a).Metric.Dimensions = append(stat(a).Metric.Dimensions, cwtypes.Dimension{Name: aws.String("Region"), Value: aws.String(testRegion)})
		}},
		{name: "a query missing", mutate: func(a *cwtypes.MetricAlarm) { a.Metrics = a.Metrics[:1] }},
		{name: "threshold", mutate: func(a *cwtypes.MetricAlarm) { a.Threshold = aws.Float64(0) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fresh := c.desiredAlarm(tg, contract.AlarmKindDegraded) // its own queries, free to change
			have := alarmFromInput(fresh)
			tc.mutate(&have)
			assert.Equal(t, tc.same, sameAlarm(have, want))
		})
	}
}

// TestReconcileVerdictAlarms: the home region of several keeps a verdict and a degraded alarm per
// target (no degraded with a quorum of 1), rewrites them when the quorum changes, and leaves them in
// step on the next run; another region, or a single one, deletes any it finds and creates none.
func TestReconcileVerdictAlarms(t *testing.T) {
	t.Parallel()
	a := &alarmTarget{ID: testID(0), URL: "https://a.example/", Name: "a", LatencyThresholdMS: 1000}
	b := &alarmTarget{ID: testID(1), URL: "http://b.example/", Name: "b", LatencyThresholdMS: 1000}
	seen := map[string]*alarmTarget{a.ID: a, b.ID: b}
	names := func(kinds ...string) []string {
		var out []string
		for _, tg := range []*alarmTarget{a, b} {
			for _, k := range kinds {
				out = append(out, contract.AlarmName(testPrefix, tg.ID, k))
			}
		}
		return out
	}

	cw := &fakeCW{}
	c := verdictCrawler(t, 2, cw)
	st := &runState{}
	listAndReconcile(context.Background(), c, seen, true, st)
	assert.Zero(t, st.sum.AlarmsFailed)
	assert.Equal(t, 9, st.sum.AlarmsCreated, "a: 3 regional + 2; b (http): 2 regional + 2")
	for _, n := range names(contract.AlarmKindVerdict, contract.AlarmKindDegraded) {
		assert.Contains(t, cw.alarms, n)
	}
	assert.Equal(t, 2.0, aws.ToFloat64(cw.alarms[contract.AlarmName(testPrefix, a.ID, contract.AlarmKindVerdict)].Threshold))

	t.Run("the next run is a no-op, the metric math alarm included", func(t *testing.T) {
		cw.alarmPuts, cw.deletes = nil, nil
		st := &runState{}
		listAndReconcile(context.Background(), c, seen, true, st)
		assert.Zero(t, st.sum.AlarmsCreated+st.sum.AlarmsUpdated+st.sum.AlarmsDeleted+st.sum.AlarmsFailed)
	})
	t.Run("a changed quorum rewrites both verdict alarms", func(t *testing.T) {
		c3 := verdictCrawler(t, 3, cw)
		cw.alarmPuts, cw.deletes = nil, nil
		st := &runState{}
		listAndReconcile(context.Background(), c3, seen, true, st)
		assert.Equal(t, 4, st.sum.AlarmsUpdated)
		assert.ElementsMatch(t, names(contract.AlarmKindVerdict, contract.AlarmKindDegraded), cw.alarmPuts)
		assert.Equal(t, "IF(m >= 1 AND m < 3, 1, 0)",
			aws.ToString(cw.alarms[contract.AlarmName(testPrefix, b.ID, contract.AlarmKindDegraded)].Metrics[0].Expression))
	})
	t.Run("a quorum of 1 has no degraded alarm", func(t *testing.T) {
		c1 := verdictCrawler(t, 1, cw)
		cw.alarmPuts, cw.deletes = nil, nil
		st := &runState{}
		listAndReconcile(context.Background(), c1, seen, true, st)
		assert.Equal(t, 2, st.sum.AlarmsUpdated, "the verdict alarms' threshold")
		assert.Equal(t, 2, st.sum.AlarmsDeleted)
		for _, n := range names(contract.AlarmKindDegraded) {
			assert.NotContains(t, cw.alarms, n)
		}
	})

	for _, other := range []struct {
		name    string
		regions verdict.Settings
	}{{"another region", twoRegions("us-east-1")}, {"a single region", verdict.Single(testRegion)}} {
		t.Run(other.name+" deletes verdict alarms and creates none", func(t *testing.T) {
			cw := &fakeCW{}
			for _, tg := range []*alarmTarget{a, b} {
				for _, k := range []string{contract.AlarmKindVerdict, contract.AlarmKindDegraded} {
					seed(c, cw, tg, k, nil)
				}
			}
			cfg := testConfig()
			cfg.Regions = other.regions
			oc, err := New(cfg, testRegion, store.NewTargets(&fakeDB{}, cfg.URLsTable), cw, &upProber{n: -1}, WithChecks(&fakeChecks{}))
			require.NoError(t, err)
			st := &runState{}
			listAndReconcile(context.Background(), oc, seen, true, st)
			assert.Zero(t, st.sum.AlarmsFailed)
			assert.Equal(t, 5, st.sum.AlarmsCreated, "the regional alarms only")
			assert.Equal(t, 4, st.sum.AlarmsDeleted)
			for _, n := range cw.alarmPuts {
				_, kind, ok := contract.ParseAlarmName(testPrefix, n)
				require.True(t, ok)
				assert.Contains(t, contract.RegionalAlarmKinds(), kind)
			}
		})
	}
}

// TestShardWorkerJudgesTheVerdict: a shard worker of the home region of several judges its shard's
// targets' verdicts as a single run does: one RegionsDown per target, from one BatchChecks of the shard.
func TestShardWorkerJudgesTheVerdict(t *testing.T) {
	t.Parallel()
	targets := fakeShardTargets{}
	var ids []string
	down := map[string]bool{}
	checks := &fakeRegionChecks{checks: map[string]store.RegionChecks{}}
	for i := range 5 {
		tg := testTarget(i, "http://192.0.2.1/")
		targets[tg.ID] = tg
		ids = append(ids, tg.ID)
		down[tg.ID] = i%2 == 0
		checks.checks[tg.ID] = store.RegionChecks{"us-east-1": {CheckedAt: time.Now().UTC(), Available: false}}
	}
	slices.Sort(ids)
	now := time.Now()
	body, err := EncodeShardMessage(ShardMessage{Version: ShardMessageVersion, RunID: "r", Shard: 0, Shards: 1, From: "00", To: "ff",
		IDs: ids, IssuedAt: now, NotAfter: now.Add(time.Minute)})
	require.NoError(t, err)
	cfg := testConfig()
	cfg.Regions = twoRegions(testRegion)
	cw := &fakeCW{}
	c, err := New(cfg, testRegion, store.NewTargets(&fakeDB{}, cfg.URLsTable), cw, downProber{down: down}, WithChecks(&fakeChecks{}), WithVerdict(checks))
	require.NoError(t, err)
	WithFanOut(&fakeQueue{}, "https://sqs.eu-west-1.amazonaws.com/123456789012/crawl-shards", 4, targets)(c)
	sum, err := c.Handle(context.Background(), sqsEvent(t, string(body)))
	require.NoError(t, err)
	require.Equal(t, 5, sum.Checked)
	got := regionsDown(t, cw.datums())
	require.Len(t, got, 5)
	for id, vs := range got {
		want := 1.0 // us-east-1 sees every target down
		if down[id] {
			want = 2
		}
		assert.Equal(t, []float64{want}, vs, id)
	}
	assert.Len(t, checks.calls, 1, "one read for the shard")
}

package crawler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/contract"
	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
)

// runMetric is the value of a run-level metric in datums; it fails unless there is exactly one.
func runMetric(t *testing.T, datums []cwtypes.MetricDatum, name string) float64 {
	t.Helper()
	ds := datumsNamed(datums, name, "")
	require.Len(t, ds, 1, name)
	return aws.ToFloat64(ds[0].Value)
}

func TestAlarmBacklogLeavesTheMetricsTheirTime(t *testing.T) {
	t.Parallel()
	// 500 https and 250 http targets: 2,000 alarms to create, at 2 ms a call more than the run has.
	db := &fakeDB{}
	var targets []target.Target
	for i := range 750 {
		scheme := "https"
		if i >= 500 {
			scheme = "http"
		}
		tg := testTarget(i, fmt.Sprintf("%s://site-%d.example/", scheme, i), func(t *target.Target) { t.TimeoutMS = 100 })
		targets = append(targets, tg)
		db.add(t, targetItem(t, tg))
	}
	cw := &fakeCW{putAlarmDelay: 2 * time.Millisecond}
	c, err := New(testConfig(), testRegion, store.NewTargets(db, testConfig().URLsTable), cw, &upProber{n: -1})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	sum, err := c.Run(ctx)
	require.NoError(t, err)
	assert.NoError(t, ctx.Err(), "the run returns before the invocation deadline")
	assert.Equal(t, len(targets), sum.Checked)
	assert.Zero(t, sum.MetricBatchesFailed)

	all := cw.datums()
	for _, tg := range targets {
		assert.Len(t, datumsNamed(all, contract.MetricAvailability, tg.ID), 1, "every check's Availability is published: %s", tg.ID)
	}
	assert.Positive(t, sum.AlarmsCreated, "reconciliation had its share")
	assert.Positive(t, sum.AlarmsPending, "and left the rest for the next run")
	assert.Equal(t, 2000, sum.AlarmsCreated+sum.AlarmsPending, "every alarm is created or pending")
	assert.Equal(t, float64(sum.AlarmsPending), runMetric(t, all, contract.MetricAlarmsPending))
	assert.Equal(t, float64(len(targets)), runMetric(t, all, contract.MetricTargetsChecked))
	assert.Zero(t, runMetric(t, all, contract.MetricRunFailures), "pending work is no failure")

	t.Run("the next run goes on where this one stopped", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		next, err := c.Run(ctx)
		require.NoError(t, err)
		assert.Equal(t, sum.AlarmsPending, next.AlarmsCreated+next.AlarmsPending, "what was created stays created")
	})
}

func TestSlowAlarmListingStaysInItsShare(t *testing.T) {
	t.Parallel()
	db := &fakeDB{}
	db.add(t, targetItem(t, testTarget(0, "http://192.0.2.1/", func(t *target.Target) { t.TimeoutMS = 100 })))
	cw := &fakeCW{describeDelay: time.Minute}
	c, err := New(testConfig(), testRegion, store.NewTargets(db, testConfig().URLsTable), cw, &upProber{n: -1})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	sum, err := c.Run(ctx)
	require.NoError(t, err)
	// The probe window is 2.25 s: the share ends at most 0.56 s after the plan; the run does not wait for the listing.
	assert.Less(t, time.Since(start), 2*time.Second, "the run waited for the alarm listing")
	assert.Equal(t, 1, sum.Checked)
	assert.Equal(t, 2, sum.AlarmsPending, "the target's two alarms are left for the next run")
	assert.Zero(t, sum.AlarmsFailed, "running out of the share is no failure")
	assert.Equal(t, 2.0, runMetric(t, cw.datums(), contract.MetricAlarmsPending))
}

func TestPartialFailuresAreRunFailuresNotErrors(t *testing.T) {
	t.Parallel()
	db := &fakeDB{updateErr: func(id string) error {
		if id == testID(0) {
			return errors.New("ProvisionedThroughputExceeded")
		}
		return nil
	}}
	for i := range 3 {
		db.add(t, targetItem(t, testTarget(i, "http://192.0.2.1/")))
	}
	broken := targetItem(t, testTarget(3, "http://192.0.2.1/"))
	broken["created_at"] = &types.AttributeValueMemberS{Value: "yesterday"}
	db.add(t, broken)
	cw := &fakeCW{alarmErr: func(op, name string) error {
		if op == "put" && name == contract.AlarmName(testPrefix, testID(1), contract.AlarmKindLatency) {
			return errors.New("LimitExceeded")
		}
		return nil
	}}
	c, err := New(testConfig(), testRegion, store.NewTargets(db, testConfig().URLsTable), cw, &upProber{n: -1})
	require.NoError(t, err)
	sum, err := c.Run(context.Background())
	require.NoError(t, err, "only targets that cannot be read are an error")
	assert.Equal(t, 1, sum.LastCheckFailures)
	assert.Equal(t, 1, sum.AlarmsFailed)
	assert.Equal(t, 1, sum.InvalidItems)
	assert.Equal(t, 3, sum.RunFailures)
	assert.Equal(t, 3.0, runMetric(t, cw.datums(), contract.MetricRunFailures))
}

func TestReconciliationDoesNotAlwaysStartWithTheSameAlarm(t *testing.T) {
	t.Parallel()
	seen := map[string]*alarmTarget{}
	for i := range 20 {
		seen[testID(i)] = &alarmTarget{ID: testID(i), URL: "http://x/", Name: "x", LatencyThresholdMS: 1000}
	}
	firsts := map[string]bool{}
	for range 10 {
		var tried []string
		cw := &fakeCW{alarmErr: func(op, name string) error {
			if op == "put" {
				tried = append(tried, name) // under the fake's lock
				return errors.New("LimitExceeded")
			}
			return nil
		}}
		c := newTestCrawler(t, testConfig(), &fakeDB{}, cw)
		st := &runState{}
		listAndReconcile(context.Background(), c, seen, true, st)
		require.Equal(t, 40, st.sum.AlarmsFailed)
		require.Len(t, tried, 40)
		firsts[tried[0]] = true
	}
	assert.Greater(t, len(firsts), 1, "a failing alarm first in the order would be first every run")
}

func TestPhaseMetricsSwitch(t *testing.T) {
	t.Parallel()
	days := 42
	tests := []struct {
		name  string
		phase bool
		res   target.LastCheck
		want  []string
	}{
		{name: "on, https", phase: true, res: probeResult(true, 200, &days, 12.5), want: []string{
			contract.MetricAvailability, contract.MetricLatency, contract.MetricDNSLatency, contract.MetricConnectLatency,
			contract.MetricTTFB, contract.MetricTLSLatency, contract.MetricCertDaysRemaining}},
		{name: "off, https: the certificate alarm keeps its metric", res: probeResult(true, 200, &days, 12.5), want: []string{
			contract.MetricAvailability, contract.MetricLatency, contract.MetricCertDaysRemaining}},
		{name: "off, http", res: probeResult(true, 200, nil, 0), want: []string{contract.MetricAvailability, contract.MetricLatency}},
		{name: "off, no response", res: probeResult(false, 0, nil, 0), want: []string{contract.MetricAvailability}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			cfg.PhaseMetrics = tc.phase
			c := newTestCrawler(t, cfg, &fakeDB{}, &fakeCW{})
			var got []string
			for _, d := range c.targetDatums(testTarget(0, "https://example.com/"), tc.res, true) {
				got = append(got, aws.ToString(d.MetricName))
			}
			assert.ElementsMatch(t, tc.want, got)
		})
	}
}

// fakeLease is a run lease held by another run (held), failing (err), or free; it records its calls.
type fakeLease struct {
	held bool
	err  error

	mu       sync.Mutex
	ids      []string
	acquired []time.Time
	released []store.Lease
}

func (l *fakeLease) Acquire(_ context.Context, id string, expiresAt time.Time) (store.Lease, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ids = append(l.ids, id)
	l.acquired = append(l.acquired, expiresAt)
	switch {
	case l.err != nil:
		return store.Lease{}, l.err
	case l.held:
		return store.Lease{}, fmt.Errorf("acquire %s: %w", id, store.ErrLeaseHeld)
	}
	return store.Lease{ID: id, Holder: "h1", ExpiresAt: expiresAt}, nil
}

func (l *fakeLease) Release(_ context.Context, le store.Lease) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.released = append(l.released, le)
	return true, nil
}

func TestRunLease(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		lease      *fakeLease
		crawls     bool
		overlapped float64
		failures   float64
	}{
		{name: "free: the run crawls and releases it", lease: &fakeLease{}, crawls: true},
		{name: "held: no crawl, RunsOverlapped 1, no error", lease: &fakeLease{held: true}, overlapped: 1},
		{name: "cannot be asked for: crawls without it, a run failure", lease: &fakeLease{err: errors.New("AccessDeniedException")}, crawls: true, failures: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := &fakeDB{}
			db.add(t, targetItem(t, testTarget(0, "http://192.0.2.1/", func(t *target.Target) { t.TimeoutMS = 200 })))
			cw := &fakeCW{}
			c, err := New(testConfig(), testRegion, store.NewTargets(db, testConfig().URLsTable), cw, &upProber{n: -1}, WithLease(tc.lease))
			require.NoError(t, err)
			deadline := time.Now().Add(5 * time.Second)
			ctx, cancel := context.WithDeadline(context.Background(), deadline)
			defer cancel()
			sum, err := c.Run(ctx)
			require.NoError(t, err)
			require.Len(t, tc.lease.acquired, 1)
			assert.Equal(t, []string{"lease#crawler#" + testRegion}, tc.lease.ids, "the lease of the crawler's own region")
			assert.Equal(t, deadline.Add(leaseMargin), tc.lease.acquired[0], "the lease lasts to the invocation deadline and a margin")
			if !tc.crawls {
				assert.Zero(t, db.pages, "no target read")
				assert.Zero(t, sum.Checked)
				assert.Empty(t, tc.lease.released)
				if tc.overlapped > 0 {
					assert.True(t, sum.Overlapped)
					all := cw.datums()
					require.Len(t, all, 1, "only RunsOverlapped: a TargetsChecked of 0 would be false")
					assert.Equal(t, tc.overlapped, runMetric(t, all, contract.MetricRunsOverlapped))
				}
				return
			}
			assert.Equal(t, 1, sum.Checked)
			assert.Zero(t, runMetric(t, cw.datums(), contract.MetricRunsOverlapped))
			assert.Equal(t, tc.failures, runMetric(t, cw.datums(), contract.MetricRunFailures))
			if tc.lease.err != nil {
				assert.Empty(t, tc.lease.released, "no lease taken, none released")
				return
			}
			require.Len(t, tc.lease.released, 1)
			assert.Equal(t, "h1", tc.lease.released[0].Holder)
		})
	}
}

// certProber answers every target up at the given time with the certificate days set for its id.
type certProber struct {
	at   time.Time
	days map[string]int
}

func (p certProber) Probe(_ context.Context, t target.Target) target.Observation {
	d := p.days[t.ID]
	return target.Observation{CheckedAt: p.at, StatusCode: 200, LatencyMS: 10, CertDaysRemaining: &d, Attempts: 1}
}

func TestCertDaysArePublishedOnceADayUnlessNearTheThreshold(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 2, 5, 30, 0, 0, time.UTC) // 05:xx UTC: ids with prefix 05, 1d, 35, ... are in their hour
	idAt := func(prefix string, n int) string { return fmt.Sprintf("%s%030x", prefix, n) }
	prev := func(days int) func(*target.Target) {
		return func(t *target.Target) {
			t.LastCheck = &target.LastCheck{CheckedAt: at.Add(-time.Minute), Available: true, StatusCode: 200, LatencyMS: 10, CertDaysRemaining: &days}
		}
	}
	tests := []struct {
		name      string
		id        string
		prev      func(*target.Target)
		days      int
		threshold *int
		published bool
	}{
		{"far from the threshold, not its hour", idAt("06", 1), prev(90), 89, nil, false},
		{"far from the threshold, its hour", idAt("05", 2), prev(90), 89, nil, true},
		{"its hour from another prefix (0x1d = 29, 29 mod 24 = 5)", idAt("1d", 3), prev(90), 89, nil, true},
		{"first check", idAt("06", 4), nil, 89, nil, true},
		{"at the threshold", idAt("06", 5), prev(15), 14, nil, true},
		{"below it", idAt("06", 6), prev(10), 9, nil, true},
		{"renewed: above it, below it last time", idAt("06", 7), prev(13), 90, nil, true},
		{"one day above the threshold", idAt("06", 8), prev(16), 15, nil, false},
		{"the target's own threshold", idAt("06", 9), prev(31), 30, new(30), true},
		{"the target's own threshold, far", idAt("06", 10), prev(40), 29, new(7), false},
	}
	db := &fakeDB{}
	days := map[string]int{}
	for i, tc := range tests {
		mods := []func(*target.Target){func(t *target.Target) { t.ID = tc.id; t.CertExpiryThresholdDays = tc.threshold }}
		if tc.prev != nil {
			mods = append(mods, tc.prev)
		}
		db.add(t, targetItem(t, testTarget(i, "https://example.com/", mods...)))
		days[tc.id] = tc.days
	}
	cw := &fakeCW{}
	c := newTestCrawler(t, testConfig(), db, cw)
	c.prober = certProber{at: at, days: days}
	sum, err := c.Run(context.Background())
	require.NoError(t, err)
	require.Equal(t, len(tests), sum.Checked)
	all := cw.datums()
	for _, tc := range tests {
		got := datumsNamed(all, contract.MetricCertDaysRemaining, tc.id)
		if tc.published {
			require.Len(t, got, 1, tc.name)
			assert.InDelta(t, float64(tc.days), aws.ToFloat64(got[0].Value), 0, tc.name)
		} else {
			assert.Empty(t, got, tc.name)
		}
		assert.Len(t, datumsNamed(all, contract.MetricAvailability, tc.id), 1, "%s: availability every check", tc.name)
		lc := db.lastChecks()[tc.id]
		require.NotNil(t, lc.CertDaysRemaining, "%s: last_check keeps the days every check", tc.name)
		assert.Equal(t, tc.days, *lc.CertDaysRemaining, tc.name)
	}
}

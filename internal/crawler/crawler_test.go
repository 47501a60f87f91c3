package crawler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/awsconfig/cwquery"
	"github.com/webhealth/webhealth/internal/contract"
	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
	"github.com/webhealth/webhealth/internal/verdict"
)

// datumsNamed returns the recorded datums of a metric for a target id ("" for run-level metrics).
func datumsNamed(all []cwtypes.MetricDatum, metric, targetID string) []cwtypes.MetricDatum {
	var out []cwtypes.MetricDatum
	for _, d := range all {
		if aws.ToString(d.MetricName) != metric {
			continue
		}
		id := ""
		for _, dim := range d.Dimensions {
			if aws.ToString(dim.Name) == contract.DimensionTargetID {
				id = aws.ToString(dim.Value)
			}
		}
		if id == targetID {
			out = append(out, d)
		}
	}
	return out
}

func TestRunChecksPublishesAndWritesLastCheck(t *testing.T) {
	t.Parallel()
	srv := okServer(t)
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(tlsSrv.Close)
	db := &fakeDB{pageSize: 2}
	up := testTarget(0, srv.URL+"/health")
	down := testTarget(1, srv.URL+"/missing", func(t *target.Target) { t.ExpectedStatus = []int{204} })
	refused := testTarget(2, "http://127.0.0.1:1/") // nothing listens: no response at all
	disabled := testTarget(3, srv.URL+"/disabled", func(t *target.Target) { t.Enabled = false })
	db.add(t, targetItem(t, up), targetItem(t, down), targetItem(t, refused), targetItem(t, disabled),
		map[string]types.AttributeValue{ // a uniqueness item is not a target
			"id": &types.AttributeValueMemberS{Value: "urlkey#abc"}, "kind": &types.AttributeValueMemberS{Value: "urlkey"},
			"target_id": &types.AttributeValueMemberS{Value: up.ID},
		})
	cw := &fakeCW{}
	c := newTestCrawler(t, testConfig(), db, cw)

	sum, err := c.Run(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 3, sum.Checked)
	assert.Equal(t, 2, sum.Down)
	assert.Zero(t, sum.Skipped)
	assert.Equal(t, 6, sum.AlarmsCreated, "two alarms per enabled target")
	assert.Positive(t, sum.DurationMS)

	all := cw.datums()
	for _, tc := range []struct {
		id    string
		avail float64
		timed bool
	}{{up.ID, 1, true}, {down.ID, 0, true}, {refused.ID, 0, false}} {
		av := datumsNamed(all, contract.MetricAvailability, tc.id)
		require.Len(t, av, 1, tc.id)
		assert.Equal(t, tc.avail, aws.ToFloat64(av[0].Value))
		assert.Equal(t, cwtypes.StandardUnitNone, av[0].Unit)
		assert.ElementsMatch(t, []cwtypes.Dimension{
			{Name: aws.String(contract.DimensionTargetID), Value: aws.String(tc.id)},
			{Name: aws.String(contract.DimensionRegion), Value: aws.String(testRegion)},
		}, av[0].Dimensions)
		for _, m := range []string{contract.MetricLatency, contract.MetricDNSLatency, contract.MetricConnectLatency, contract.MetricTTFB} {
			ds := datumsNamed(all, m, tc.id)
			if tc.timed {
				require.Len(t, ds, 1, "%s %s", m, tc.id)
				assert.Equal(t, cwtypes.StandardUnitMilliseconds, ds[0].Unit)
			} else {
				assert.Empty(t, ds, "no timings without a response: %s", m)
			}
		}
		assert.Empty(t, datumsNamed(all, contract.MetricTLSLatency, tc.id), "plain http")
		assert.Empty(t, datumsNamed(all, contract.MetricCertDaysRemaining, tc.id), "plain http")
	}
	assert.Empty(t, datumsNamed(all, contract.MetricAvailability, disabled.ID), "disabled targets are not probed")
	runLevel := map[string]float64{}
	for _, m := range []string{contract.MetricTargetsChecked, contract.MetricTargetsDown, contract.MetricTargetsSkipped, contract.MetricRunDuration} {
		ds := datumsNamed(all, m, "")
		require.Len(t, ds, 1, m)
		assert.Equal(t, []cwtypes.Dimension{{Name: aws.String(contract.DimensionRegion), Value: aws.String(testRegion)}}, ds[0].Dimensions)
		runLevel[m] = aws.ToFloat64(ds[0].Value)
	}
	assert.Equal(t, 3.0, runLevel[contract.MetricTargetsChecked])
	assert.Equal(t, 2.0, runLevel[contract.MetricTargetsDown])
	assert.Equal(t, 0.0, runLevel[contract.MetricTargetsSkipped])
	assert.Positive(t, runLevel[contract.MetricRunDuration])

	checks := db.lastChecks()
	require.Len(t, checks, 3)
	assert.True(t, checks[up.ID].Available)
	assert.Equal(t, 200, checks[up.ID].StatusCode)
	assert.Equal(t, 1, checks[up.ID].Attempts)
	assert.False(t, checks[down.ID].Available)
	assert.Equal(t, 200, checks[down.ID].StatusCode)
	assert.Equal(t, 2, checks[down.ID].Attempts)
	assert.Contains(t, checks[down.ID].Error, "status 200 not in expected [204]")
	assert.Zero(t, checks[refused.ID].StatusCode)
	assert.NotEmpty(t, checks[refused.ID].Error)
}

func TestRunPublishesTLSMetrics(t *testing.T) {
	t.Parallel()
	// The prober trusts the system roots only, so an httptest certificate fails verification: no days.
	// Days are covered in internal/probe; here the crawler must publish them when the probe has them.
	days := 42
	c := newTestCrawler(t, testConfig(), &fakeDB{}, &fakeCW{})
	ds := c.targetDatums(testTarget(0, "https://example.com/"), probeResult(true, 200, &days, 12.5), true)
	names := map[string]float64{}
	for _, d := range ds {
		names[aws.ToString(d.MetricName)] = aws.ToFloat64(d.Value)
	}
	assert.Equal(t, 42.0, names[contract.MetricCertDaysRemaining])
	assert.Equal(t, 12.5, names[contract.MetricTLSLatency])
	assert.Len(t, ds, 7, "availability, latency, 4 phases, cert days")
}

// TestDatumsFollowTheContract: every datum the crawler builds is a metric of internal/contract with
// exactly its dimensions, and every metric of the contract is published.
func TestDatumsFollowTheContract(t *testing.T) {
	t.Parallel()
	days := 42
	c := newTestCrawler(t, testConfig(), &fakeDB{}, &fakeCW{})
	datums := append(c.targetDatums(testTarget(0, "https://example.com/"), probeResult(true, 200, &days, 12.5), true),
		c.runDatums(Summary{Checked: 1}, time.Now())...)
	datums = append(datums, c.verdictDatum(testID(0), verdict.Verdict{Down: 1}, probeResult(false, 503, nil, 1)))
	published := map[string]bool{}
	for _, d := range datums {
		name := aws.ToString(d.MetricName)
		published[name] = true
		m, ok := contract.LookupMetric(name)
		if !assert.True(t, ok, "%s is not a metric of the contract", name) {
			continue
		}
		var dims []string
		for _, dim := range d.Dimensions {
			dims = append(dims, aws.ToString(dim.Name))
		}
		assert.ElementsMatch(t, m.Dimensions, dims, name)
	}
	for _, m := range contract.Metrics() {
		assert.True(t, published[m.Name], "%s is in the contract but never published", m.Name)
	}
}

func TestMetricBatchesRespectLimits(t *testing.T) {
	t.Parallel()
	c := newTestCrawler(t, testConfig(), &fakeDB{}, &fakeCW{})
	small := func(n int) []cwtypes.MetricDatum {
		ds := make([]cwtypes.MetricDatum, n)
		for i := range ds {
			ds[i] = c.targetDatums(testTarget(i, "http://x/"), probeResult(true, 200, nil, 0), true)[0]
		}
		return ds
	}
	big := func(n int) []cwtypes.MetricDatum {
		ds := small(n)
		for i := range ds {
			ds[i].Dimensions = []cwtypes.Dimension{
				{Name: aws.String("A"), Value: aws.String(strings.Repeat("a", 1024))},
				{Name: aws.String("B"), Value: aws.String(strings.Repeat("b", 1024))},
			}
		}
		return ds
	}
	tests := []struct {
		name    string
		datums  []cwtypes.MetricDatum
		batches []int
	}{
		{name: "one", datums: small(1), batches: []int{1}},
		{name: "999", datums: small(999), batches: []int{999}},
		{name: "exactly 1000", datums: small(1000), batches: []int{1000}},
		{name: "1001", datums: small(1001), batches: []int{1000, 1}},
		{name: "2500", datums: small(2500), batches: []int{1000, 1000, 500}},
		{name: "large datums split by size", datums: big(400), batches: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cw := &fakeCW{}
			c := newTestCrawler(t, testConfig(), &fakeDB{}, cw)
			b := newMetricBatcher("ns", c.putMetricData)
			// Added the way the workers add them: a few at a time.
			for i := 0; i < len(tc.datums); i += 7 {
				b.add(context.Background(), tc.datums[i:min(i+7, len(tc.datums))]...)
			}
			b.flush(context.Background())
			require.NoError(t, b.err())
			var sizes []int
			total := 0
			for _, batch := range cw.puts {
				sizes = append(sizes, len(batch))
				total += len(batch)
				est := 0
				for _, d := range batch {
					est += datumSize(d)
				}
				assert.LessOrEqual(t, est, maxRequestBytes-requestHeadroom)
			}
			assert.Equal(t, len(tc.datums), total, "every datum sent once")
			if tc.batches != nil {
				assert.Equal(t, tc.batches, sizes)
			} else {
				assert.Greater(t, len(sizes), 1, "large datums need several calls")
			}
		})
	}
}

func TestThrottlingIsRetried(t *testing.T) {
	t.Parallel()
	datums := func(c *Crawler) []cwtypes.MetricDatum {
		return c.runDatums(Summary{Checked: 1}, time.Now())
	}
	tests := []struct {
		name    string
		putErr  func(call int) error
		calls   int
		wantErr bool
	}{
		{name: "throttled twice then accepted", putErr: func(n int) error {
			if n <= 2 {
				return throttled()
			}
			return nil
		}, calls: 3},
		{name: "always throttled gives up after the bounded retries", putErr: func(int) error { return throttled() }, calls: 4, wantErr: true},
		{name: "other errors are not retried", putErr: func(int) error {
			return errors.New("InvalidParameterCombination")
		}, calls: 1, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cw := &fakeCW{putErr: tc.putErr}
			c := newTestCrawler(t, testConfig(), &fakeDB{}, cw)
			err := c.putMetricData(context.Background(), datums(c))
			assert.Equal(t, tc.wantErr, err != nil, err)
			assert.Equal(t, tc.calls, cw.putCalls)
		})
	}
}

func TestFailedBatchDoesNotLoseOthers(t *testing.T) {
	t.Parallel()
	srv := okServer(t)
	db := &fakeDB{}
	const n = 300 // 300 targets x 5 datums (+ the run-level ones) = 1508 datums: two batches
	for i := range n {
		db.add(t, targetItem(t, testTarget(i, fmt.Sprintf("%s/t/%d", srv.URL, i))))
	}
	cw := &fakeCW{putErr: func(call int) error {
		if call == 1 {
			return errors.New("InternalServiceError")
		}
		return nil
	}}
	c := newTestCrawler(t, testConfig(), db, cw)
	sum, err := c.Run(context.Background())
	require.NoError(t, err, "a lost batch is a partial failure, reported as RunFailures")
	assert.Equal(t, 1, sum.MetricBatchesFailed)
	assert.Equal(t, 1, sum.RunFailures)
	assert.Equal(t, n, sum.Checked)
	assert.Equal(t, 2, cw.putCalls)
	require.Len(t, cw.puts, 1, "the second batch was still sent")
	assert.Len(t, cw.puts[0], n*5+len(c.runDatums(Summary{}, time.Now()))-1000)
	failures := datumsNamed(cw.puts[0], contract.MetricRunFailures, "")
	require.Len(t, failures, 1)
	assert.Equal(t, 1.0, aws.ToFloat64(failures[0].Value), "the lost batch is counted in the run's metrics")
	assert.Len(t, db.lastChecks(), n, "last_check is written regardless")
	assert.Equal(t, 2*n, sum.AlarmsCreated, "alarms are reconciled regardless")
}

func TestConcurrencyBound(t *testing.T) {
	t.Parallel()
	const limit, targets = 4, 40
	var inFlight, maxInFlight atomic.Int64
	full := make(chan struct{}) // closed when limit requests are in flight at once
	var fill sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		if n >= limit {
			fill.Do(func() { close(full) })
		}
		// The first requests are held until the pool is full, however slowly its workers start;
		// every request then stays a moment, so an unbounded pool shows up clearly.
		select {
		case <-full:
		case <-r.Context().Done(): // the probe gave up (its timeout): the request is no longer in flight
		case <-time.After(10 * time.Second): // the pool never fills: stop holding (the check below fails)
			fill.Do(func() { close(full) })
		}
		time.Sleep(5 * time.Millisecond)
	}))
	t.Cleanup(srv.Close)
	db := &fakeDB{pageSize: 7}
	for i := range targets {
		db.add(t, targetItem(t, testTarget(i, fmt.Sprintf("%s/t/%d", srv.URL, i))))
	}
	cfg := testConfig()
	cfg.Concurrency = limit
	c := newTestCrawler(t, cfg, db, &fakeCW{})
	sum, err := c.Run(context.Background())
	require.NoError(t, err)
	assert.Equal(t, targets, sum.Checked)
	assert.LessOrEqual(t, maxInFlight.Load(), int64(limit), "more probes in flight than CONCURRENCY")
	assert.Equal(t, int64(limit), maxInFlight.Load(), "the pool should fill up")
}

func TestTargetsAreReadBeforeTheRunIsPlanned(t *testing.T) {
	t.Parallel()
	db := &fakeDB{pageSize: 3}
	for i := range 9 {
		db.add(t, targetItem(t, testTarget(i, fmt.Sprintf("http://192.0.2.1/t/%d", i))))
	}
	p := &upProber{n: 9, all: make(chan struct{})}
	var probedEarly atomic.Int32
	db.beforePage = func(context.Context, int) error {
		probedEarly.Add(p.probed.Load())
		return nil
	}
	c, err := New(testConfig(), testRegion, store.NewTargets(db, testConfig().URLsTable), &fakeCW{}, p)
	require.NoError(t, err)
	sum, err := c.Run(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 9, sum.Checked)
	assert.Equal(t, 3, db.pages, "three pages of three")
	assert.Zero(t, probedEarly.Load(), "no probe starts before the whole list is read and planned")
}

func TestRunDeadline(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	ok := okServer(t)

	db := &fakeDB{}
	healthy := testTarget(0, ok.URL, func(t *target.Target) { t.TimeoutMS = 1000 })
	ownTimeout := testTarget(1, hang.URL+"/own", func(t *target.Target) { t.TimeoutMS = 100 })
	var cut []target.Target
	for i := 2; i < 8; i++ { // timeouts that do not fit in the probe window: never started
		cut = append(cut, testTarget(i, fmt.Sprintf("%s/cut/%d", hang.URL, i), func(t *target.Target) { t.TimeoutMS = 30000 }))
	}
	db.add(t, targetItem(t, healthy), targetItem(t, ownTimeout))
	for _, tg := range cut {
		db.add(t, targetItem(t, tg))
	}
	cw := &fakeCW{}
	c := newTestCrawler(t, testConfig(), db, cw) // 4 workers, margin 500ms

	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	sum, err := c.Run(ctx)
	require.NoError(t, ctx.Err(), "the run must return before the invocation deadline")
	require.NoError(t, err, "skipped targets are not an error")
	assert.Equal(t, 2, sum.Checked)
	assert.Equal(t, 1, sum.Down, "the target that hit its own timeout is down")
	assert.Equal(t, len(cut), sum.Skipped)

	all := cw.datums()
	for _, tg := range cut {
		assert.Empty(t, datumsNamed(all, contract.MetricAvailability, tg.ID), "a check that could not start is not reported")
	}
	require.Len(t, datumsNamed(all, contract.MetricAvailability, ownTimeout.ID), 1)
	assert.Equal(t, 0.0, aws.ToFloat64(datumsNamed(all, contract.MetricAvailability, ownTimeout.ID)[0].Value))
	assert.Equal(t, 1.0, aws.ToFloat64(datumsNamed(all, contract.MetricAvailability, healthy.ID)[0].Value))
	skipped := datumsNamed(all, contract.MetricTargetsSkipped, "")
	require.Len(t, skipped, 1)
	assert.Equal(t, float64(len(cut)), aws.ToFloat64(skipped[0].Value))

	checks := db.lastChecks()
	assert.Len(t, checks, 2, "no last_check for the skipped targets")
	assert.Contains(t, checks[ownTimeout.ID].Error, "timed out after 100 ms")
	assert.Equal(t, 1, checks[ownTimeout.ID].Attempts, "a timeout is not retried")
	assert.Equal(t, 2*8, sum.AlarmsCreated, "alarms follow the list even when probes are skipped")
}

func TestLastCheckWrites(t *testing.T) {
	t.Parallel()
	srv := okServer(t)
	tests := []struct {
		name      string
		updateErr func(id string) error
		deleted   bool
		failures  int
	}{
		{name: "written"},
		{name: "target deleted mid-run is not an error", deleted: true},
		{name: "write failure is counted, not an error", updateErr: func(string) error { return errors.New("ProvisionedThroughputExceeded") },
			failures: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg := testTarget(0, srv.URL)
			db := &fakeDB{updateErr: tc.updateErr}
			db.add(t, targetItem(t, tg))
			if tc.deleted {
				// The target disappears between the scan and the write.
				db.updateErr = func(id string) error {
					db.mu.Lock()
					db.items = nil
					db.mu.Unlock()
					return nil
				}
			}
			c := newTestCrawler(t, testConfig(), db, &fakeCW{})
			sum, err := c.Run(context.Background())
			require.NoError(t, err)
			assert.Equal(t, tc.failures, sum.LastCheckFailures)
			assert.Equal(t, tc.failures, sum.RunFailures)
			assert.Equal(t, 1, sum.Checked)
			if tc.deleted {
				assert.Empty(t, db.items, "not resurrected")
				assert.Empty(t, db.lastChecks())
			} else if tc.updateErr == nil {
				assert.Len(t, db.lastChecks(), 1)
			}
		})
	}
}

func TestScanFailureKeepsAlarms(t *testing.T) {
	t.Parallel()
	srv := okServer(t)
	tests := []struct {
		name     string
		failPage int
		checked  int
		wantErr  bool
	}{
		{name: "a later page fails: the targets read are judged, a run failure", failPage: 2, checked: 1},
		{name: "the first page fails: nothing read, the run's error", failPage: 1, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := &fakeDB{pageSize: 1}
			db.add(t, targetItem(t, testTarget(0, srv.URL)), targetItem(t, testTarget(1, srv.URL+"/1")))
			db.beforePage = func(_ context.Context, page int) error {
				if page == tc.failPage {
					return errors.New("InternalServerError")
				}
				return nil
			}
			cw := &fakeCW{alarms: map[string]cwtypes.MetricAlarm{}}
			// Target 1 (on an unread page) has alarms: they must survive an incomplete scan.
			c := newTestCrawler(t, testConfig(), db, cw)
			for _, kind := range []string{contract.AlarmKindAvailability, contract.AlarmKindLatency} {
				in := c.desiredAlarm(&alarmTarget{ID: testID(1), URL: srv.URL + "/1", Name: "target 1", LatencyThresholdMS: 1000}, kind)
				cw.alarms[aws.ToString(in.AlarmName)] = alarmFromInput(in)
			}
			sum, err := c.Run(context.Background())
			if tc.wantErr {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "read targets")
			} else {
				require.NoError(t, err, "a scan that stopped part way is a partial failure")
				assert.Equal(t, 1, sum.ReadFailures)
				assert.Equal(t, 1, sum.RunFailures)
			}
			assert.Equal(t, tc.checked, sum.Checked, "targets read before the failure are still checked")
			assert.Zero(t, sum.AlarmsDeleted)
			assert.Len(t, cw.alarms, 2+2*tc.checked)
		})
	}
}

func TestUndecodableItem(t *testing.T) {
	t.Parallel()
	srv := okServer(t)
	db := &fakeDB{}
	good := testTarget(0, srv.URL)
	broken := targetItem(t, testTarget(1, srv.URL+"/1"))
	broken["created_at"] = &types.AttributeValueMemberS{Value: "yesterday"}
	db.add(t, targetItem(t, good), broken)
	cw := &fakeCW{alarms: map[string]cwtypes.MetricAlarm{}}
	c := newTestCrawler(t, testConfig(), db, cw)
	old := c.desiredAlarm(&alarmTarget{ID: testID(1), URL: srv.URL + "/1", Name: "target 1", LatencyThresholdMS: 1000}, contract.AlarmKindLatency)
	cw.alarms[aws.ToString(old.AlarmName)] = alarmFromInput(old)

	sum, err := c.Run(context.Background())
	require.NoError(t, err, "an undecodable item is a partial failure")
	assert.Equal(t, 1, sum.InvalidItems)
	assert.Equal(t, 1, sum.RunFailures)
	assert.Equal(t, 1, sum.Checked)
	assert.Contains(t, cw.alarms, aws.ToString(old.AlarmName), "alarms of an undecodable target are kept")
}

func TestHandleAcceptsAnyPayload(t *testing.T) {
	t.Parallel()
	scheduled, err := os.ReadFile("testdata/eventbridge-scheduled-event.json")
	require.NoError(t, err)
	srv := okServer(t)
	tests := []struct {
		name    string
		payload string
	}{
		{name: "EventBridge scheduled event", payload: string(scheduled)},
		{name: "manual invoke with {}", payload: `{}`},
		{name: "null", payload: `null`},
		{name: "unrelated JSON", payload: `{"hello":["world"]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := &fakeDB{}
			db.add(t, targetItem(t, testTarget(0, srv.URL)))
			c := newTestCrawler(t, testConfig(), db, &fakeCW{})
			sum, err := c.Handle(context.Background(), json.RawMessage(tc.payload))
			require.NoError(t, err)
			assert.Equal(t, 1, sum.Checked)
		})
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	targets := store.NewTargets(&fakeDB{}, cfg.URLsTable)
	prober := newTestCrawler(t, testConfig(), &fakeDB{}, &fakeCW{}).prober
	_, err := New(cfg, "", targets, &fakeCW{}, prober)
	assert.Error(t, err)
	_, err = New(cfg, testRegion, nil, &fakeCW{}, prober)
	assert.Error(t, err)
	_, err = New(cfg, testRegion, targets, &fakeCW{}, nil)
	assert.Error(t, err)
	cfg.Concurrency = 0
	_, err = New(cfg, testRegion, targets, &fakeCW{}, prober)
	assert.Error(t, err)
}

func TestMetricRequestsStayUnderOneMegabyte(t *testing.T) {
	t.Parallel()
	// A CloudWatch endpoint that records the size of each (uncompressed) PutMetricData request.
	var sizes []int
	var datums int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		sizes = append(sizes, len(body))
		datums += strings.Count(string(body), "MetricName=")
		mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, `<PutMetricDataResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">`+
			`<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PutMetricDataResponse>`)
	}))
	t.Cleanup(srv.Close)
	cw := cloudwatch.New(cloudwatch.Options{
		Region: testRegion, BaseEndpoint: aws.String(srv.URL), DisableRequestCompression: true,
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""),
	}, cwquery.Option)
	c := newTestCrawler(t, testConfig(), &fakeDB{}, cw)

	// Dimension values at CloudWatch's 1024-character limit, with characters that need escaping.
	value := strings.Repeat("a/b c&é", 1024/8)
	b := newMetricBatcher("ns", c.putMetricData)
	const n = 1000
	for i := range n {
		b.add(context.Background(), cwtypes.MetricDatum{
			MetricName: aws.String(contract.MetricLatency), Value: aws.Float64(float64(i)), Unit: cwtypes.StandardUnitMilliseconds,
			Timestamp: aws.Time(time.Now()),
			Dimensions: []cwtypes.Dimension{
				{Name: aws.String(contract.DimensionTargetID), Value: aws.String(value)},
				{Name: aws.String(contract.DimensionRegion), Value: aws.String(value)},
			},
		})
	}
	b.flush(context.Background())
	require.NoError(t, b.err())
	assert.Greater(t, len(sizes), 1, "1000 large datums do not fit one request")
	for _, s := range sizes {
		assert.Less(t, s, 1<<20, "request body over 1 MB")
	}
	assert.Equal(t, n, datums)
}

// BenchmarkMetricPipeline measures building a target's datums and batching them (the per-target
// publishing cost of a run; the PutMetricData call itself is a no-op fake).
func BenchmarkMetricPipeline(b *testing.B) {
	cw := &fakeCW{}
	c := newTestCrawler(b, testConfig(), &fakeDB{}, cw)
	days := 30
	res := probeResult(true, 200, &days, 3)
	tg := testTarget(0, "https://example.com/")
	batcher := newMetricBatcher("ns", func(context.Context, []cwtypes.MetricDatum) error { return nil })
	ctx := context.Background()
	for b.Loop() {
		batcher.add(ctx, c.targetDatums(tg, res, true)...)
	}
	batcher.flush(ctx)
}

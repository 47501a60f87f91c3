package crawler

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/contract"
	"github.com/webhealth/webhealth/internal/probe"
	"github.com/webhealth/webhealth/internal/target"
)

func TestPlannedCost(t *testing.T) {
	t.Parallel()
	checked := func(available bool, latencyMS float64) func(*target.Target) {
		return func(t *target.Target) {
			t.LastCheck = &target.LastCheck{CheckedAt: time.Now(), Available: available, StatusCode: 200, LatencyMS: latencyMS, Attempts: 1}
		}
	}
	tests := []struct {
		name string
		mod  func(*target.Target)
		cost time.Duration
		slow bool
	}{
		{name: "never checked: its timeout, slow", mod: func(*target.Target) {}, cost: 5 * time.Second, slow: true},
		{name: "down last time: its timeout, slow", mod: checked(false, 12), cost: 5 * time.Second, slow: true},
		{name: "fast answer: its latency", mod: checked(true, 120), cost: 120 * time.Millisecond},
		{name: "very fast answer: at least minCost", mod: checked(true, 0.4), cost: minCost},
		{name: "slow answer: slow lane", mod: checked(true, 1500), cost: 1500 * time.Millisecond, slow: true},
		{name: "answer slower than the timeout now allows: its timeout", mod: func(t *target.Target) {
			checked(true, 4000)(t)
			t.TimeoutMS = 2000
		}, cost: 2 * time.Second, slow: true},
		{name: "no timeout stored: the default", mod: func(t *target.Target) { t.TimeoutMS = 0 }, cost: target.DefaultTimeoutMS * time.Millisecond, slow: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newPlanned(testTarget(0, "http://x/", tc.mod))
			assert.Equal(t, tc.cost, p.cost)
			assert.Equal(t, tc.slow, p.slow)
			assert.Nil(t, p.t.LastCheck, "the run keeps no last_check")
		})
	}
}

func TestPlanSlots(t *testing.T) {
	t.Parallel()
	many := func(n int, cost time.Duration, slow bool) []planned {
		out := make([]planned, n)
		for i := range out {
			out[i] = planned{t: testTarget(i, "http://x/"), cost: cost, slow: slow}
		}
		return out
	}
	tests := []struct {
		name       string
		targets    []planned
		slots      int
		window     time.Duration
		fast, slow int
	}{
		{name: "only fast targets", targets: many(10, minCost, false), slots: 16, window: time.Minute, fast: 16},
		{name: "only slow targets", targets: many(10, time.Second, true), slots: 16, window: time.Minute, slow: 16},
		{name: "one slot: the fast lane first", targets: append(many(10, minCost, false), many(2, time.Second, true)...), slots: 1, window: time.Minute, fast: 1},
		{name: "each lane its need, the spare by cost", targets: append(many(984, minCost, false), many(16, time.Second, true)...),
			slots: 16, window: 10 * time.Second, fast: 9, slow: 7},
		// fast 19.68 s needs 9 slots of 2.25 s, slow 16 s needs 8: more than 16, the fast lane gets its 9.
		{name: "not enough slots: the fast lane first", targets: append(many(984, minCost, false), many(16, time.Second, true)...),
			slots: 16, window: 2250 * time.Millisecond, fast: 9, slow: 7},
		{name: "the slow lane keeps a slot", targets: append(many(1000, time.Second, false), many(16, time.Second, true)...),
			slots: 16, window: time.Second, fast: 15, slow: 1},
		// Checks of 1 s in a 1.75 s window cannot share a slot: the slow lane needs 16, the fast lane 2.
		{name: "long checks need a slot each", targets: append(many(100, minCost, false), many(16, time.Second, true)...),
			slots: 16, window: 1750 * time.Millisecond, fast: 2, slow: 14},
		{name: "checks longer than the window need no slot", targets: append(many(100, minCost, false), many(16, 3*time.Second, true)...),
			slots: 16, window: 2 * time.Second, fast: 15, slow: 1},
		{name: "no deadline: one each, the spare by cost", targets: append(many(100, 100*time.Millisecond, false), many(10, time.Second, true)...),
			slots: 12, fast: 6, slow: 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newPlan(tc.targets, tc.slots, tc.window)
			assert.Equal(t, tc.fast, p.fastSlots, "fast slots")
			assert.Equal(t, tc.slow, p.slowSlots, "slow slots")
			assert.Equal(t, tc.slots, p.fastSlots+p.slowSlots, "every slot is used")
		})
	}
}

func TestPlanOrderIsNotScanOrder(t *testing.T) {
	t.Parallel()
	targets := make([]planned, 200)
	for i := range targets {
		targets[i] = planned{t: testTarget(i, "http://x/"), cost: minCost}
	}
	firsts := map[string]bool{}
	for range 10 {
		p := newPlan(targets, 4, time.Minute)
		ids := make([]string, len(p.fast.targets))
		for i, pt := range p.fast.targets {
			ids[i] = pt.t.ID
		}
		assert.False(t, slices.IsSorted(ids), "a lane is not in scan order")
		firsts[ids[0]] = true
	}
	assert.Greater(t, len(firsts), 1, "every run takes the targets in another order")
}

func TestPlanSlowLaneStartsTheLongestTimeoutsFirst(t *testing.T) {
	t.Parallel()
	var targets []planned
	for i, ms := range []int{1000, 30000, 5000, 30000, 2000, 5000} {
		tg := testTarget(i, "http://x/", func(t *target.Target) { t.TimeoutMS = ms })
		targets = append(targets, planned{t: tg, cost: probe.Timeout(tg), slow: true})
	}
	for range 10 {
		p := newPlan(targets, 4, time.Minute)
		var got []int
		for _, pt := range p.slow.targets {
			got = append(got, pt.t.TimeoutMS)
		}
		assert.Equal(t, []int{30000, 30000, 5000, 5000, 2000, 1000}, got)
	}
}

// starvationCase is 1,000 targets, the first 16 of the scan hanging past their timeout (hangMS) and
// down last time, the others up last time (20 ms) and answering at once, crawled with 16 probe slots. The hanging targets are probed by the real prober (its timeout and retry
// rules are part of the case), the others by a fake (this machine's load must not decide the test).
func starvationCase(t *testing.T, hangMS int) (*Crawler, *fakeDB, *fakeCW, []target.Target, []target.Target) {
	t.Helper()
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	db := &fakeDB{pageSize: 100}
	var hanging, fast []target.Target
	for i := range 1000 {
		if i < 16 {
			tg := testTarget(i, fmt.Sprintf("%s/hang/%d", hang.URL, i), func(t *target.Target) {
				t.TimeoutMS = hangMS
				t.LastCheck = &target.LastCheck{CheckedAt: time.Now(), Error: "timed out", LatencyMS: float64(hangMS), Attempts: 1}
			})
			hanging = append(hanging, tg)
			db.add(t, targetItem(t, tg))
			continue
		}
		tg := testTarget(i, fmt.Sprintf("http://192.0.2.1/t/%d", i), func(t *target.Target) {
			t.TimeoutMS = 200
			t.LastCheck = &target.LastCheck{CheckedAt: time.Now(), Available: true, StatusCode: 200, LatencyMS: 20, Attempts: 1}
		})
		fast = append(fast, tg)
		db.add(t, targetItem(t, tg))
	}
	cw := &fakeCW{}
	cfg := testConfig()
	cfg.Concurrency = 16
	c := newTestCrawler(t, cfg, db, cw)
	c.prober = splitProber{real: c.prober, fast: &upProber{n: -1}, hangHost: strings.TrimPrefix(hang.URL, "http://")}
	return c, db, cw, hanging, fast
}

// splitProber sends the targets on hangHost to the real prober, the others to fast.
type splitProber struct {
	real, fast Prober
	hangHost   string
}

func (p splitProber) Probe(ctx context.Context, t target.Target) target.Observation {
	if strings.Contains(t.URL, p.hangHost) {
		return p.real.Probe(ctx, t)
	}
	return p.fast.Probe(ctx, t)
}

// TestNoStarvationWhenTheWindowFits is not parallel: its timing should not share the package's CPU
// with the parallel tests.
func TestNoStarvationWhenTheWindowFits(t *testing.T) {
	c, db, cw, hanging, fast := starvationCase(t, 2000)
	// A 4.9 s invocation: run deadline 4.4 s, probe window 3.96 s: room for one attempt at each
	// hanging target (2 s) and for the others, not for a second attempt at a hanging target.
	ctx, cancel := context.WithTimeout(context.Background(), 4900*time.Millisecond)
	defer cancel()
	sum, err := c.Run(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1000, sum.Checked, "every target judged")
	assert.Zero(t, sum.Skipped)
	assert.Equal(t, 16, sum.Down, "every hanging target down")
	checks := db.lastChecks()
	all := cw.datums()
	for _, tg := range hanging {
		lc, ok := checks[tg.ID]
		if !assert.True(t, ok, "hanging target %s judged", tg.ID) {
			continue
		}
		assert.False(t, lc.Available)
		assert.Equal(t, "timed out after 2000 ms", lc.Error)
		av := datumsNamed(all, contract.MetricAvailability, tg.ID)
		if assert.Len(t, av, 1) {
			assert.Equal(t, 0.0, aws.ToFloat64(av[0].Value))
		}
	}
	judged := 0
	for _, tg := range fast {
		if checks[tg.ID].Available {
			judged++
		}
	}
	assert.Equal(t, len(fast), judged, "every other target judged up")
}

// TestFastMajorityIsNotBehindTheSlowFew is not parallel, for the same reason.
func TestFastMajorityIsNotBehindTheSlowFew(t *testing.T) {
	c, db, cw, hanging, fast := starvationCase(t, 3000)
	// A 3 s invocation: a probe window of 2.25 s, too short for the hanging targets' 3 s timeout.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	sum, err := c.Run(ctx)
	require.NoError(t, err)
	assert.Equal(t, len(fast), sum.Checked, "every fast target judged")
	assert.Equal(t, len(hanging), sum.Skipped, "only the checks that could not start are skipped")
	checks := db.lastChecks()
	judged := 0
	for _, tg := range fast {
		if checks[tg.ID].Available {
			judged++
		}
	}
	assert.Equal(t, len(fast), judged)
	skipped := datumsNamed(cw.datums(), contract.MetricTargetsSkipped, "")
	require.Len(t, skipped, 1)
	assert.Equal(t, float64(len(hanging)), aws.ToFloat64(skipped[0].Value))
}

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

// manyPlanned is n planned targets of one cost, timeout and lane.
func manyPlanned(n int, cost, timeout time.Duration, slow bool) []planned {
	out := make([]planned, n)
	for i := range out {
		out[i] = planned{t: testTarget(i, "http://x/", func(t *target.Target) { t.TimeoutMS = int(timeout.Milliseconds()) }), cost: cost, slow: slow}
	}
	return out
}

func TestPlanSlots(t *testing.T) {
	t.Parallel()
	many := manyPlanned
	fast984 := many(984, minCost, time.Second, false)
	slow16 := many(16, time.Second, time.Second, true)
	tests := []struct {
		name       string
		targets    []planned
		slots      int
		window     time.Duration
		fast, slow int
	}{
		{name: "only fast targets", targets: many(10, minCost, time.Second, false), slots: 16, window: time.Minute, fast: 16},
		{name: "only slow targets", targets: many(10, time.Second, time.Second, true), slots: 16, window: time.Minute, slow: 16},
		{name: "one slot: the fast lane first", targets: append(many(10, minCost, time.Second, false), many(2, time.Second, time.Second, true)...),
			slots: 1, window: time.Minute, fast: 1},
		// The fast lane's last check starts after 19.66 s of checks, by 9 s (10 s less its 1 s timeout): 3
		// slots; the slow lane's after 15 s: 2. The 11 over go 16 : 19.68 by cost, 4 to the slow lane.
		{name: "each lane its need, the spare by cost", targets: append(slices.Clone(fast984), slow16...),
			slots: 16, window: 10 * time.Second, fast: 10, slow: 6},
		// The same checks with a 5 s timeout must start by 5 s: 4 slots, not the 2 that would end them by 10 s.
		{name: "a check starts while its timeout fits", targets: append(many(984, minCost, 5*time.Second, false), slow16...),
			slots: 16, window: 10 * time.Second, fast: 10, slow: 6},
		// In 3 s the fast lane needs 10 slots (19.66 s by 2 s), the slow lane 8: more than 16, the fast lane gets its 10.
		{name: "not enough slots: the fast lane first", targets: append(slices.Clone(fast984), slow16...),
			slots: 16, window: 3 * time.Second, fast: 10, slow: 6},
		{name: "the slow lane keeps a slot", targets: append(many(1000, minCost, time.Second, false), slow16...),
			slots: 16, window: 1500 * time.Millisecond, fast: 15, slow: 1},
		{name: "checks whose timeout passes the window need no slot", targets: append(many(100, minCost, time.Second, false), many(16, 3*time.Second, 3*time.Second, true)...),
			slots: 16, window: 2 * time.Second, fast: 15, slow: 1},
		{name: "no deadline: one each, the spare by cost", targets: append(many(100, 100*time.Millisecond, time.Second, false), many(10, time.Second, time.Second, true)...),
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

func TestSlotsNeeded(t *testing.T) {
	t.Parallel()
	with := func(n int, cost, timeout time.Duration) []planned { return manyPlanned(n, cost, timeout, false) }
	tests := []struct {
		name    string
		targets []planned
		window  time.Duration
		need    int
		cost    time.Duration
	}{
		// 401 checks of 100 ms with a 10 s timeout in 50 s: the last starts after 40 s of checks, by 40 s.
		{"one slot exactly", with(401, 100*time.Millisecond, 10*time.Second), 50 * time.Second, 1, 40100 * time.Millisecond},
		{"one check more", with(402, 100*time.Millisecond, 10*time.Second), 50 * time.Second, 2, 40200 * time.Millisecond},
		// Hanging checks cost their timeout and must end by the window: 10 of 5 s fit one slot of 50 s.
		{"hanging checks end by the window", with(10, 5*time.Second, 5*time.Second), 50 * time.Second, 1, 50 * time.Second},
		{"a hanging check more", with(11, 5*time.Second, 5*time.Second), 50 * time.Second, 2, 55 * time.Second},
		// A 30 s timeout goes first; the 10 s ones behind it must start by 40 s: 30 s + 399 × 100 ms > 40 s on one slot.
		{"the longest timeout first", append(with(1, 30*time.Second, 30*time.Second), with(400, 100*time.Millisecond, 10*time.Second)...),
			50 * time.Second, 2, 70 * time.Second},
		{"a timeout of the whole window never starts", with(3, time.Second, 50*time.Second), 50 * time.Second, 1, 0},
		{"no window", with(1000, time.Second, 10*time.Second), 0, 1, 1000 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			need, cost := slotsNeeded(tc.targets, tc.window)
			assert.Equal(t, tc.need, need, "slots")
			assert.Equal(t, tc.cost, cost, "cost of the checks that can start")
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

func TestPlanLanesStartTheLongestTimeoutsFirst(t *testing.T) {
	t.Parallel()
	var targets []planned
	for i, ms := range []int{1000, 30000, 5000, 30000, 2000, 5000} {
		for _, slow := range []bool{false, true} {
			tg := testTarget(2*i+len(targets)%2, "http://x/", func(t *target.Target) { t.TimeoutMS = ms })
			targets = append(targets, planned{t: tg, cost: probe.Timeout(tg), slow: slow})
		}
	}
	for range 10 {
		p := newPlan(targets, 4, time.Minute)
		for name, l := range map[string][]planned{"fast": p.fast.targets, "slow": p.slow.targets} {
			var got []int
			for _, pt := range l {
				got = append(got, pt.t.TimeoutMS)
			}
			assert.Equal(t, []int{30000, 30000, 5000, 5000, 2000, 1000}, got, name)
		}
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

package crawler

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"time"

	"github.com/webhealth/webhealth/internal/probe"
	"github.com/webhealth/webhealth/internal/target"
)

// The crawl plan (docs/design.md, "Crawl plan"): every enabled target is read first, then costed from
// its last check and put in one of two lanes, each with its own share of the probe slots, so the fast
// majority is never queued behind the slow few.

const (
	// minCost is the least a check is expected to cost: a fast answer still opens a fresh connection.
	minCost = 20 * time.Millisecond
	// slowCost is the expected cost from which a target that answered goes to the slow lane.
	slowCost = time.Second
)

// planned is a target as the run keeps it: the target without its last_check (only its cost and
// certificate days are kept of it), and the cost and lane the plan gave it.
type planned struct {
	t    target.Target
	cost time.Duration
	slow bool
	// prevCertDays is the last check's CertDaysRemaining (nil: none, or never checked).
	prevCertDays *int
}

// newPlanned costs t: a target never checked, or down last time (a timeout among the reasons), is
// expected to take its whole timeout and is slow; one that answered is expected to take its measured
// latency, at least minCost and at most its timeout, and is slow from slowCost on.
func newPlanned(t target.Target) planned {
	timeout := probe.Timeout(t)
	lc := t.LastCheck
	t.LastCheck = nil
	p := planned{t: t, cost: timeout, slow: true}
	if lc != nil {
		p.prevCertDays = lc.CertDaysRemaining
	}
	if lc != nil && lc.Available {
		p.cost = min(max(time.Duration(lc.LatencyMS*float64(time.Millisecond)), minCost), timeout)
		p.slow = p.cost >= slowCost
	}
	return p
}

// lane is the targets of one lane in the order they are taken; next hands each out once.
type lane struct {
	targets []planned
	cost    time.Duration
	taken   atomic.Int64
}

func (l *lane) next() (*planned, bool) {
	i := l.taken.Add(1) - 1
	if i >= int64(len(l.targets)) {
		return nil, false
	}
	return &l.targets[i], true
}

// plan is the lanes of a run and the probe slots of each (their sum is CONCURRENCY).
type plan struct {
	fast, slow           lane
	fastSlots, slowSlots int
}

// newPlan splits targets into the lanes, each in a fresh random order (never scan order, so that
// when a run cannot judge everything it is not the same targets that wait every run) and then
// longest timeout first, and divides slots between them for a probe window of window (0: no
// deadline). Each lane gets the slots it needs for every check to start while its timeout still
// fits (slotsNeeded); when both cannot, the fast lane gets what it needs but at least one slot is
// left to the slow lane; the slots over are divided in proportion to the lanes' costs. A lane with
// no targets gets no slots; a worker whose lane runs dry takes from the other one, so no slot idles
// while targets wait.
func newPlan(targets []planned, slots int, window time.Duration) *plan {
	p := &plan{}
	for _, t := range targets {
		l := &p.fast
		if t.slow {
			l = &p.slow
		}
		l.targets = append(l.targets, t)
		l.cost += t.cost
	}
	for _, l := range []*lane{&p.fast, &p.slow} {
		rand.Shuffle(len(l.targets), func(i, j int) { l.targets[i], l.targets[j] = l.targets[j], l.targets[i] }) // #nosec G404 -- an order, not a secret
		// Longest timeouts first: a check starts only while its timeout fits in what is left of the
		// window, so the earliest start deadlines go first (a shorter timeout still fits later).
		// Equal timeouts keep their random order.
		slices.SortStableFunc(l.targets, func(a, b planned) int {
			return cmp.Compare(probe.Timeout(b.t), probe.Timeout(a.t))
		})
	}
	switch {
	case len(p.slow.targets) == 0:
		p.fastSlots = slots
		return p
	case len(p.fast.targets) == 0:
		p.slowSlots = slots
		return p
	case slots == 1:
		p.fastSlots = 1 // the one worker takes the fast lane first, then the slow one
		return p
	}
	fastNeed, fastCost := slotsNeeded(p.fast.targets, window)
	slowNeed, slowCost := slotsNeeded(p.slow.targets, window)
	if fastNeed+slowNeed >= slots {
		p.fastSlots = min(fastNeed, slots-1)
		p.slowSlots = slots - p.fastSlots
		return p
	}
	spare := slots - fastNeed - slowNeed
	extraSlow := int(float64(spare) * float64(slowCost) / float64(max(slowCost+fastCost, 1)))
	p.slowSlots = slowNeed + extraSlow
	p.fastSlots = slots - p.slowSlots
	return p
}

// planNeed is the slots a whole list needs, lane by lane as newPlan plans it.
func planNeed(targets []planned, window time.Duration) int {
	var fast, slow []planned
	for _, t := range targets {
		if t.slow {
			slow = append(slow, t)
		} else {
			fast = append(fast, t)
		}
	}
	need := 0
	for _, l := range [][]planned{fast, slow} {
		if len(l) > 0 {
			n, _ := slotsNeeded(l, window)
			need += n
		}
	}
	return max(need, 1)
}

// slotsNeeded is the slots targets need, taken longest timeout first, for each check to start by
// its start deadline (window - its timeout: the run starts no check later), and the cost of the
// checks that can start at all (timeout within the window). On k slots that never idle while checks
// wait, a check starts at the latest when the checks before it have run on all k, their cost / k;
// so k must be at least that cost over the deadline, for the last check of each timeout. Without a
// window (0) one slot is enough.
func slotsNeeded(targets []planned, window time.Duration) (int, time.Duration) {
	type group struct {
		cost, least time.Duration
	}
	groups := map[time.Duration]*group{}
	var total time.Duration
	for _, t := range targets {
		timeout := probe.Timeout(t.t)
		if window > 0 && timeout >= window {
			continue // it cannot start
		}
		total += t.cost
		g := groups[timeout]
		if g == nil {
			g = &group{least: t.cost}
			groups[timeout] = g
		}
		g.cost += t.cost
		g.least = min(g.least, t.cost)
	}
	if window <= 0 {
		return 1, total
	}
	timeouts := make([]time.Duration, 0, len(groups))
	for timeout := range groups {
		timeouts = append(timeouts, timeout)
	}
	slices.Sort(timeouts)
	need := 1
	var before time.Duration
	for i := len(timeouts) - 1; i >= 0; i-- {
		g := groups[timeouts[i]]
		before += g.cost
		// The group's last check starts after everything before it; the most work is before it when
		// it is the group's cheapest.
		work, deadline := before-g.least, window-timeouts[i]
		need = max(need, int((work+deadline-1)/deadline))
	}
	return need, total
}

// lanes returns the lane a worker with the given home takes from first, and the other one.
func (p *plan) lanes(slowHome bool) (home, other *lane) {
	if slowHome {
		return &p.slow, &p.fast
	}
	return &p.fast, &p.slow
}

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

// planned is a target as the run keeps it: the target without its last_check (only its cost is
// kept of it), and the cost and lane the plan gave it.
type planned struct {
	t    target.Target
	cost time.Duration
	slow bool
}

// newPlanned costs t: a target never checked, or down last time (a timeout among the reasons), is
// expected to take its whole timeout and is slow; one that answered is expected to take its measured
// latency, at least minCost and at most its timeout, and is slow from slowCost on.
func newPlanned(t target.Target) planned {
	timeout := probe.Timeout(t)
	lc := t.LastCheck
	t.LastCheck = nil
	p := planned{t: t, cost: timeout, slow: true}
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
// when a run cannot judge everything it is not the same targets that wait every run), and divides
// slots between them for a probe window of window (0: no deadline). Each lane gets the slots it
// needs to finish its expected cost within the window (a check longer than half the window needs a
// slot of its own, one longer than the window none: it cannot start); when both cannot, the fast lane gets what it
// needs but at least one slot is left to the slow lane; the slots over are divided in proportion to
// the lanes' costs. A lane with no targets gets no slots; a worker whose lane runs dry takes from
// the other one, so no slot idles while targets wait.
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
	}
	// The slow lane starts its longest timeouts first, while they still fit in the window; a shorter
	// one fits later. Equal timeouts keep their random order.
	slices.SortStableFunc(p.slow.targets, func(a, b planned) int {
		return cmp.Compare(probe.Timeout(b.t), probe.Timeout(a.t))
	})
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

// slotsNeeded is the slots targets need to finish within the window, and the cost of their checks
// that can start at all: a check longer than half the window has a slot to itself, the shorter ones
// share slots, one longer than the window never starts. Without a window (0) one slot is enough.
func slotsNeeded(targets []planned, window time.Duration) (int, time.Duration) {
	if window <= 0 {
		var cost time.Duration
		for _, t := range targets {
			cost += t.cost
		}
		return 1, cost
	}
	whole, shared := 0, time.Duration(0)
	for _, t := range targets {
		switch {
		case t.cost > window:
		case 2*t.cost > window:
			whole++
		default:
			shared += t.cost
		}
	}
	return max(whole+int((shared+window-1)/window), 1), time.Duration(whole)*window + shared
}

// lanes returns the lane a worker with the given home takes from first, and the other one.
func (p *plan) lanes(slowHome bool) (home, other *lane) {
	if slowHome {
		return &p.slow, &p.fast
	}
	return &p.fast, &p.slow
}

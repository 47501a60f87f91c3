package verdict

import (
	"time"

	"github.com/webhealth/webhealth/internal/target"
)

// Status is the verdict on a target from all its regions (the API's `status`).
type Status string

// The statuses (docs/design.md, "Multi-region").
const (
	// StatusUp: the regions whose checks count see the target, and none sees it down.
	StatusUp Status = "up"
	// StatusDegraded: at least one region whose check counts sees it down, fewer than the quorum.
	StatusDegraded Status = "degraded"
	// StatusDown: at least the quorum of the regions whose checks count see it down.
	StatusDown Status = "down"
	// StatusUnknown: no region's check counts (never checked, or every check stale).
	StatusUnknown Status = "unknown"
)

// Rule is how the regions' checks of a target are judged.
type Rule struct {
	// Regions are the environment's regions, the home region first (REGIONS).
	Regions []string
	// Quorum is how many regions must see a target down for it to be down (QUORUM, 1..len(Regions)).
	Quorum int
	// StaleAfter: a check older than this does not count (STALE_AFTER_SECONDS).
	StaleAfter time.Duration
}

// RegionCheck is one region's latest check of a target as the verdict saw it.
type RegionCheck struct {
	Region string
	// Check is the region's latest check; nil when it has none (yet).
	Check *target.LastCheck
	// Stale: the region has a check and it is older than StaleAfter, so it did not count. A region
	// without a check is not stale (it has nothing to be stale).
	Stale bool
}

// Verdict is the status of a target and the checks it was judged from, one per region in Rule.Regions order.
type Verdict struct {
	Status  Status
	Regions []RegionCheck
	// Down is how many regions whose checks count see the target down; Counted how many count.
	Down, Counted int
}

// Judge is the verdict on a target from its regions' latest checks (by region) at time now. It is pure:
// a check counts when it is not older than StaleAfter (one from the future, a clock's skew, counts); a
// region outside Regions is ignored; down when at least Quorum counted regions see the target down,
// degraded when at least one but fewer than Quorum do, up when some count and none does, unknown when none
// counts.
func (r Rule) Judge(checks map[string]target.LastCheck, now time.Time) Verdict {
	v := Verdict{Regions: make([]RegionCheck, len(r.Regions))}
	for i, region := range r.Regions {
		rc := RegionCheck{Region: region}
		if c, ok := checks[region]; ok {
			rc.Check = &c
			rc.Stale = now.Sub(c.CheckedAt) > r.StaleAfter
			if !rc.Stale {
				v.Counted++
				if !c.Available {
					v.Down++
				}
			}
		}
		v.Regions[i] = rc
	}
	switch {
	case v.Counted == 0:
		v.Status = StatusUnknown
	case v.Down >= max(r.Quorum, 1):
		v.Status = StatusDown
	case v.Down > 0:
		v.Status = StatusDegraded
	default:
		v.Status = StatusUp
	}
	return v
}

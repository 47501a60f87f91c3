package verdict_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/webhealth/webhealth/internal/target"
	"github.com/webhealth/webhealth/internal/verdict"
)

func TestJudge(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	stale := 3 * time.Minute
	up := func(age time.Duration) target.LastCheck {
		return target.LastCheck{CheckedAt: now.Add(-age), Available: true, StatusCode: 200}
	}
	down := func(age time.Duration) target.LastCheck {
		return target.LastCheck{CheckedAt: now.Add(-age), Error: "status 503 not in expected [200]", StatusCode: 503}
	}
	three := []string{"us-east-1", "eu-west-1", "ap-southeast-1"}
	tests := []struct {
		name    string
		regions []string
		quorum  int
		checks  map[string]target.LastCheck
		want    verdict.Status
		stale   []bool // per region, in Regions order
		down    int
		counted int
	}{
		{"never checked", three, 2, nil, verdict.StatusUnknown, []bool{false, false, false}, 0, 0},
		{"all up", three, 2, map[string]target.LastCheck{"us-east-1": up(time.Minute), "eu-west-1": up(0), "ap-southeast-1": up(2 * time.Minute)},
			verdict.StatusUp, []bool{false, false, false}, 0, 3},
		{"one region up, the others unchecked", three, 2, map[string]target.LastCheck{"eu-west-1": up(time.Minute)},
			verdict.StatusUp, []bool{false, false, false}, 0, 1},
		{"one of three down", three, 2, map[string]target.LastCheck{"us-east-1": up(time.Minute), "eu-west-1": down(time.Minute), "ap-southeast-1": up(time.Minute)},
			verdict.StatusDegraded, []bool{false, false, false}, 1, 3},
		{"two of three down reach the quorum", three, 2, map[string]target.LastCheck{"us-east-1": down(time.Minute), "eu-west-1": down(time.Minute), "ap-southeast-1": up(time.Minute)},
			verdict.StatusDown, []bool{false, false, false}, 2, 3},
		{"all down", three, 2, map[string]target.LastCheck{"us-east-1": down(0), "eu-west-1": down(0), "ap-southeast-1": down(0)},
			verdict.StatusDown, []bool{false, false, false}, 3, 3},
		{"quorum 3: two down is degraded", three, 3, map[string]target.LastCheck{"us-east-1": down(0), "eu-west-1": down(0), "ap-southeast-1": up(0)},
			verdict.StatusDegraded, []bool{false, false, false}, 2, 3},
		{"quorum 1: one down is down", three, 1, map[string]target.LastCheck{"us-east-1": up(0), "eu-west-1": down(0), "ap-southeast-1": up(0)},
			verdict.StatusDown, []bool{false, false, false}, 1, 3},
		{"a stale down does not count", three, 2, map[string]target.LastCheck{"us-east-1": down(stale + time.Second), "eu-west-1": down(time.Minute), "ap-southeast-1": up(time.Minute)},
			verdict.StatusDegraded, []bool{true, false, false}, 1, 2},
		{"a check exactly StaleAfter old counts", three, 2, map[string]target.LastCheck{"us-east-1": down(stale), "eu-west-1": down(time.Minute)},
			verdict.StatusDown, []bool{false, false, false}, 2, 2},
		{"every check stale", three, 2, map[string]target.LastCheck{"us-east-1": down(time.Hour), "eu-west-1": up(time.Hour), "ap-southeast-1": down(stale + time.Nanosecond)},
			verdict.StatusUnknown, []bool{true, true, true}, 0, 0},
		{"a check from the future counts", three, 2, map[string]target.LastCheck{"us-east-1": down(-time.Minute), "eu-west-1": down(0)},
			verdict.StatusDown, []bool{false, false, false}, 2, 2},
		{"a region outside REGIONS is ignored", three, 1, map[string]target.LastCheck{"sa-east-1": down(0), "us-east-1": up(0)},
			verdict.StatusUp, []bool{false, false, false}, 0, 1},
		{"quorum not reachable by the counted regions", three, 2, map[string]target.LastCheck{"us-east-1": down(0), "eu-west-1": up(time.Hour)},
			verdict.StatusDegraded, []bool{false, true, false}, 1, 1},
		{"single region down", []string{"eu-west-1"}, 1, map[string]target.LastCheck{"eu-west-1": down(0)},
			verdict.StatusDown, []bool{false}, 1, 1},
		{"single region up", []string{"eu-west-1"}, 1, map[string]target.LastCheck{"eu-west-1": up(0)},
			verdict.StatusUp, []bool{false}, 0, 1},
		{"two regions, majority 2: one down is degraded", []string{"us-east-1", "eu-west-1"}, 2,
			map[string]target.LastCheck{"us-east-1": up(0), "eu-west-1": down(0)}, verdict.StatusDegraded, []bool{false, false}, 1, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rule := verdict.Rule{Regions: tc.regions, Quorum: tc.quorum, StaleAfter: stale}
			got := rule.Judge(tc.checks, now)
			assert.Equal(t, tc.want, got.Status)
			assert.Equal(t, tc.down, got.Down, "regions counted down")
			assert.Equal(t, tc.counted, got.Counted, "regions counted")
			if assert.Len(t, got.Regions, len(tc.regions)) {
				for i, rc := range got.Regions {
					assert.Equal(t, tc.regions[i], rc.Region, "regions in REGIONS order")
					assert.Equal(t, tc.stale[i], rc.Stale, "%s stale", rc.Region)
					c, ok := tc.checks[rc.Region]
					if !ok {
						assert.Nil(t, rc.Check, "%s has no check", rc.Region)
						continue
					}
					if assert.NotNil(t, rc.Check) {
						assert.Equal(t, c, *rc.Check)
					}
				}
			}
		})
	}
}

// The checks given are not changed, and the verdict holds copies.
func TestJudgeCopiesTheChecks(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	checks := map[string]target.LastCheck{"us-east-1": {CheckedAt: now, Available: true}}
	v := verdict.Rule{Regions: []string{"us-east-1"}, Quorum: 1, StaleAfter: time.Minute}.Judge(checks, now)
	v.Regions[0].Check.Available = false
	assert.True(t, checks["us-east-1"].Available)
}

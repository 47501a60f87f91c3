package crawler

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/contract"
	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
	"github.com/webhealth/webhealth/internal/verdict"
)

// fakeChecks is a checks table: the checks put, by region and target; err fails the puts of the ids it names.
type fakeChecks struct {
	mu   sync.Mutex
	puts map[string]map[string]target.LastCheck // region -> target id -> check
	err  map[string]error
}

func (f *fakeChecks) PutCheck(_ context.Context, region, targetID string, lc target.LastCheck) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.err[targetID]; err != nil {
		return err
	}
	if f.puts == nil {
		f.puts = map[string]map[string]target.LastCheck{}
	}
	if f.puts[region] == nil {
		f.puts[region] = map[string]target.LastCheck{}
	}
	f.puts[region][targetID] = lc
	return nil
}

// twoRegions: the test crawler's region (eu-west-1) with us-east-1; home is the home region.
func twoRegions(home string) verdict.Settings {
	regions := []string{home}
	for _, r := range []string{testRegion, "us-east-1"} {
		if r != home {
			regions = append(regions, r)
		}
	}
	return verdict.Settings{Region: testRegion, Home: home, Rule: verdict.Rule{Regions: regions, Quorum: 2, StaleAfter: 3 * time.Minute}}
}

// TestRegionWrites: every region writes its check of each judged target to the checks table when it has
// one; only the home region writes last_check (a crawler elsewhere makes no UpdateItem of the URL table);
// a failed check write is counted in CheckFailures and RunFailures, and the last_check is still written.
func TestRegionWrites(t *testing.T) {
	t.Parallel()
	boom := errors.New("ProvisionedThroughputExceeded")
	tests := []struct {
		name       string
		regions    verdict.Settings
		checks     *fakeChecks
		lastChecks int // targets given a last_check
		puts       int // checks put, all in testRegion
		failures   int
	}{
		{name: "single region without a checks table: last_check only", lastChecks: 3},
		{name: "single region with a checks table: both", checks: &fakeChecks{}, lastChecks: 3, puts: 3},
		{name: "home region: both", regions: twoRegions(testRegion), checks: &fakeChecks{}, lastChecks: 3, puts: 3},
		{name: "another region: its checks only", regions: twoRegions("us-east-1"), checks: &fakeChecks{}, puts: 3},
		{name: "a failed check write is a run failure; last_check still written", regions: twoRegions(testRegion),
			checks: &fakeChecks{err: map[string]error{testID(1): boom}}, lastChecks: 3, puts: 2, failures: 1},
		{name: "a failed check write in another region", regions: twoRegions("us-east-1"),
			checks: &fakeChecks{err: map[string]error{testID(1): boom}}, puts: 2, failures: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := &fakeDB{}
			for i := range 3 {
				db.add(t, targetItem(t, testTarget(i, "http://192.0.2.1/")))
			}
			cfg := testConfig()
			cfg.Regions = tc.regions
			var opts []Option
			if tc.checks != nil {
				opts = append(opts, WithChecks(tc.checks))
			}
			if contract.JudgesVerdict(tc.regions) {
				opts = append(opts, WithVerdict(&fakeRegionChecks{}))
			}
			cw := &fakeCW{}
			c, err := New(cfg, testRegion, store.NewTargets(db, cfg.URLsTable), cw, &upProber{n: -1}, opts...)
			require.NoError(t, err)
			sum, err := c.Run(context.Background())
			require.NoError(t, err)
			assert.Equal(t, 3, sum.Checked)
			assert.Len(t, db.lastChecks(), tc.lastChecks)
			if tc.lastChecks == 0 {
				assert.Empty(t, db.updateIDs, "no write of the URL table outside the home region")
			}
			assert.Equal(t, tc.failures, sum.CheckFailures)
			assert.Zero(t, sum.LastCheckFailures)
			assert.Equal(t, tc.failures, sum.RunFailures)
			assert.Equal(t, float64(tc.failures), runMetric(t, cw.datums(), contract.MetricRunFailures))
			if tc.checks == nil {
				return
			}
			assert.Len(t, tc.checks.puts[testRegion], tc.puts, "checks written as the crawler's own region's")
			assert.Len(t, tc.checks.puts, min(tc.puts, 1))
			for id, lc := range tc.checks.puts[testRegion] {
				assert.True(t, lc.Available, id)
				if tc.lastChecks > 0 {
					lc.CheckedAt = lc.CheckedAt.Truncate(time.Millisecond) // the stored precision of last_check
					assert.Equal(t, db.lastChecks()[id], lc, "the home region's check and last_check are the same result")
				}
			}
		})
	}
}

func TestNewRefusesAnotherRegionWithoutChecks(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Regions = twoRegions("us-east-1")
	_, err := New(cfg, testRegion, store.NewTargets(&fakeDB{}, cfg.URLsTable), &fakeCW{}, &upProber{n: -1})
	require.ErrorContains(t, err, "region eu-west-1 is not the home region us-east-1 and has no checks table")
	_, err = New(cfg, testRegion, store.NewTargets(&fakeDB{}, cfg.URLsTable), &fakeCW{}, &upProber{n: -1}, WithChecks(&fakeChecks{}))
	require.NoError(t, err)
}

//go:build e2e

package test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/retry"
	"github.com/stretchr/testify/require"
)

// TestTargetReplicatesToEveryRegion: the target list is a global table; a target created in the home
// region is read in every other region's API (on the local stack the local runtime replicates the
// table's stream, as AWS does), and its deletion reaches them too.
func TestTargetReplicatesToEveryRegion(t *testing.T) {
	t.Parallel()
	s := testStack(t)
	regions := s.requireRegions(t, 2)
	home := s.regionAPI(t, regions[0])
	created, _ := home.createTarget(t, map[string]any{"url": s.inertURL("replicated"), "name": "e2e replicated", "enabled": false})
	for _, region := range regions[1:] {
		api := s.regionAPI(t, region)
		retry.DoWithRetry(t, "the target is read in "+region, 60, time.Second, func() (string, error) {
			tg, _, err := api.getTargetRawE(context.Background(), created.ID)
			if err != nil {
				return "", err
			}
			if tg.URL != created.URL || tg.Version != created.Version {
				return "", fmt.Errorf("%s has %s version %d, want %s version %d", region, tg.URL, tg.Version, created.URL, created.Version)
			}
			return "", nil
		})
	}
	del := home.do(t, apiRequest{Method: http.MethodDelete, Path: "/urls/" + created.ID})
	require.Equal(t, http.StatusNoContent, del.Status, "DELETE in the home region: %s", del)
	for _, region := range regions[1:] {
		api := s.regionAPI(t, region)
		retry.DoWithRetry(t, "the deletion reaches "+region, 60, time.Second, func() (string, error) {
			resp, err := api.doE(context.Background(), apiRequest{Method: http.MethodGet, Path: "/urls/" + created.ID})
			if err != nil {
				return "", err
			}
			if resp.Status != http.StatusNotFound {
				return "", fmt.Errorf("GET /urls/%s in %s answered %s, want 404", created.ID, region, resp)
			}
			return "", nil
		})
	}
}

package crawler

import (
	"context"
	"errors"
	"log/slog"

	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
)

// Targets is the URL table as the crawler reads and writes it (*store.Targets implements it).
type Targets interface {
	ScanEnabled(ctx context.Context, pageLimit int32, visit func(store.ScanPage) error) error
	WriteLastCheck(ctx context.Context, id string, lc target.LastCheck) error
}

// alarmTarget is what the alarms of a target are made of; nil in the seen map means "an item with
// this id exists but could not be decoded": its alarms are kept as they are.
type alarmTarget struct {
	ID                 string
	URL                string
	Name               string
	LatencyThresholdMS int
	CertExpiryDays     int // the target's cert_expiry_threshold_days; 0: CERT_EXPIRY_DAYS
}

func newAlarmTarget(t *target.Target) *alarmTarget {
	a := &alarmTarget{ID: t.ID, URL: t.URL, Name: t.Name, LatencyThresholdMS: t.LatencyThresholdMS}
	if t.CertExpiryThresholdDays != nil {
		a.CertExpiryDays = *t.CertExpiryThresholdDays
	}
	return a
}

// readTargets reads every enabled target, page by page, into the compact records the plan works on,
// and returns them with the ids seen (for the alarms). The error is set when the scan did not
// finish: then both are incomplete.
func (c *Crawler) readTargets(ctx context.Context, st *runState) ([]planned, map[string]*alarmTarget, error) {
	var targets []planned
	seen := map[string]*alarmTarget{}
	err := c.targets.ScanEnabled(ctx, c.scanPageSize, func(page store.ScanPage) error {
		for _, bad := range page.Invalid {
			if bad.ID != "" {
				seen[bad.ID] = nil
			}
			st.update(func(s *Summary) { s.InvalidItems++ })
			slog.ErrorContext(ctx, "undecodable target item skipped; its alarms are left as they are", "id", bad.ID, "error", bad.Err)
		}
		for i := range page.Targets {
			seen[page.Targets[i].ID] = newAlarmTarget(&page.Targets[i])
			targets = append(targets, newPlanned(page.Targets[i]))
		}
		return nil
	})
	return targets, seen, err
}

// writeLastCheck stores a check result on its target; a target deleted during the run is not an error.
func (c *Crawler) writeLastCheck(ctx context.Context, id string, lc target.LastCheck) error {
	err := c.targets.WriteLastCheck(ctx, id, lc)
	if errors.Is(err, store.ErrNotFound) {
		slog.InfoContext(ctx, "target deleted during the run; last_check not written", "target_id", id)
		return nil
	}
	return err
}

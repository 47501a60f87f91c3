package crawler

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/webhealth/webhealth/internal/contract"
	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
	"github.com/webhealth/webhealth/internal/verdict"
)

// The verdict step of the home region of a multi-region environment (docs/design.md "Multi-region",
// "Alerting follows the verdict"): after a target's check, its verdict from its own fresh result and the
// other regions' latest checks, published as RegionsDown, which the target's verdict and degraded alarms
// read.

// RegionChecks reads the latest checks of targets from regions, by target id (*store.Checks implements it).
type RegionChecks interface {
	BatchChecks(ctx context.Context, targetIDs, regions []string) (map[string]store.RegionChecks, error)
}

// WithVerdict makes the crawler of the home region of a multi-region environment judge every checked
// target's verdict, reading the other regions' checks through r; required there (New refuses the home
// region of several without it), ignored elsewhere.
func WithVerdict(r RegionChecks) Option { return func(c *Crawler) { c.verdicts = r } }

// maxBatchKeys is BatchGetItem's limit of keys per call: a verdict batch holds at most as many
// (target, other region) keys, so each batch is one call.
const maxBatchKeys = 100

// errNoVerdictReader is New's refusal of a home region of several without WithVerdict.
var errNoVerdictReader = errors.New("crawler: the home region of a multi-region environment needs the checks table's reads for the verdict (WithVerdict)")

// verdictStep collects a run's (or a shard's) checked targets and judges them in batches: one
// BatchChecks of the other regions' items per batch of targets, never one per target. A batch is judged
// by the writer that fills it (never by a probe worker), the rest when the writers are done (flush).
type verdictStep struct {
	c       *Crawler
	reader  RegionChecks
	others  []string // the environment's regions but this one, in REGIONS order
	size    int      // targets per batch
	metrics *metricBatcher
	st      *runState

	mu      sync.Mutex
	pending []lastCheckWrite
}

// newVerdictStep is the run's verdict step; nil when this crawler does not judge the verdict (one
// region, or not the home region).
func (c *Crawler) newVerdictStep(metrics *metricBatcher, st *runState) *verdictStep {
	if c.verdicts == nil || !contract.JudgesVerdict(c.cfg.Regions) {
		return nil
	}
	others := slices.DeleteFunc(slices.Clone(c.cfg.Regions.Regions), func(r string) bool { return r == c.region })
	return &verdictStep{c: c, reader: c.verdicts, others: others, size: max(1, maxBatchKeys/max(1, len(others))), metrics: metrics, st: st}
}

// add queues a checked target; the target that fills a batch has the batch judged at once, on the
// caller's goroutine. A nil step does nothing.
func (v *verdictStep) add(ctx context.Context, w lastCheckWrite) {
	if v == nil {
		return
	}
	v.mu.Lock()
	v.pending = append(v.pending, w)
	var full []lastCheckWrite
	if len(v.pending) >= v.size {
		full, v.pending = v.pending, nil
	}
	v.mu.Unlock()
	if full != nil {
		v.judge(ctx, full)
	}
}

// flush judges the targets left; call it once every add has returned. A nil step does nothing.
func (v *verdictStep) flush(ctx context.Context) {
	if v == nil {
		return
	}
	v.mu.Lock()
	batch := v.pending
	v.pending = nil
	v.mu.Unlock()
	if len(batch) > 0 {
		v.judge(ctx, batch)
	}
}

// judge reads the other regions' checks of the batch's targets in one call and publishes each target's
// RegionsDown: the regions whose checks count (verdict.Rule.Judge, at the time of this region's check)
// that see it down, this region's fresh result among them. When the read fails, no target of the batch
// gets a verdict this run (each is a VerdictFailures): a guess from this region alone could tell a
// global outage from a regional one no better than the regional alarm does.
func (v *verdictStep) judge(ctx context.Context, batch []lastCheckWrite) {
	ids := make([]string, len(batch))
	for i, w := range batch {
		ids[i] = w.id
	}
	checks, err := v.reader.BatchChecks(ctx, ids, v.others)
	if err != nil {
		v.st.update(func(s *Summary) { s.VerdictFailures += len(batch) })
		slog.ErrorContext(ctx, "read the other regions' checks failed: no verdict for these targets this run",
			"targets", len(batch), "first", ids[0], "regions", v.others, "error", err)
		return
	}
	datums := make([]types.MetricDatum, 0, len(batch))
	for _, w := range batch {
		vd := v.c.judgeVerdict(w, checks[w.id])
		datums = append(datums, v.c.verdictDatum(w.id, vd, w.lc))
		switch vd.Status {
		case verdict.StatusDown, verdict.StatusDegraded:
			slog.InfoContext(ctx, "verdict", "target_id", w.id, "status", string(vd.Status), "regions_down", vd.Down, "regions_counted", vd.Counted)
		default:
			slog.DebugContext(ctx, "verdict", "target_id", w.id, "status", string(vd.Status), "regions_down", vd.Down, "regions_counted", vd.Counted)
		}
	}
	v.metrics.add(ctx, datums...)
}

// judgeVerdict is a target's verdict from this region's fresh check and the others' latest (theirs
// read, this region's own replaced by the fresh one), judged at the time of the fresh check.
func (c *Crawler) judgeVerdict(w lastCheckWrite, theirs store.RegionChecks) verdict.Verdict {
	all := make(map[string]target.LastCheck, len(theirs)+1)
	for region, lc := range theirs {
		all[region] = lc
	}
	all[c.region] = w.lc
	return c.cfg.Regions.Judge(all, w.lc.CheckedAt)
}

// verdictDatum is a target's RegionsDown: dimension TargetId alone (the environment's, not a region's),
// at the time of this region's check.
func (c *Crawler) verdictDatum(id string, vd verdict.Verdict, lc target.LastCheck) types.MetricDatum {
	datum := datumMaker(lc.CheckedAt, types.Dimension{Name: aws.String(contract.DimensionTargetID), Value: aws.String(id)})
	return datum(contract.MetricRegionsDown, float64(vd.Down), types.StandardUnitCount)
}

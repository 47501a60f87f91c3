// Package contract holds the names webhealth's parts agree on outside Go (docs/design.md, "Metrics and
// alarms"): the CloudWatch metrics and dimensions the crawler publishes and the dashboard and alarms
// read, and the names, kinds and tags of the per-target alarms the crawler keeps and the alarm logger
// and the notifier read back.
package contract

import (
	"slices"
	"strings"

	"github.com/webhealth/webhealth/internal/target"
	"github.com/webhealth/webhealth/internal/verdict"
)

// Metric names.
const (
	// Per target (dimensions TargetId, Region).
	MetricAvailability      = "Availability"
	MetricLatency           = "Latency"
	MetricDNSLatency        = "DNSLatency"
	MetricConnectLatency    = "ConnectLatency"
	MetricTLSLatency        = "TLSLatency"
	MetricTTFB              = "TTFB"
	MetricCertDaysRemaining = "CertDaysRemaining"

	// MetricRegionsDown is the environment's verdict on a target (docs/design.md "Multi-region"): how
	// many of its regions whose latest checks count see it down. Only the home region's crawler of a
	// multi-region environment publishes it, at each check of the target, with the dimension TargetId
	// alone: it is the environment's, not a region's.
	MetricRegionsDown = "RegionsDown"

	// Per run (dimension Region).
	MetricTargetsChecked = "TargetsChecked"
	MetricTargetsDown    = "TargetsDown"
	MetricTargetsSkipped = "TargetsSkipped"
	MetricRunDuration    = "RunDuration"
	// MetricRunFailures counts a run's partial failures: failed last_check writes, failed alarm calls,
	// undecodable target items and failed metric batches (a run reports them here, not as an error).
	MetricRunFailures = "RunFailures"
	// MetricAlarmsPending counts the alarm creations, updates and deletions a run knew of but left for
	// the next run (reconciliation has a bounded share of each run).
	MetricAlarmsPending = "AlarmsPending"
	// MetricRunsOverlapped is 1 from a run that found another run holding the run lease (and did not
	// crawl), 0 from a run that crawled.
	MetricRunsOverlapped = "RunsOverlapped"
	// MetricShards is the number of shards a run was split into (docs/design.md, "Fan-out"): 1 from a
	// run that judged every target itself; from a coordinator, the shards it handed to workers.
	MetricShards = "Shards"
)

// Dimension names.
const (
	DimensionTargetID = "TargetId"
	DimensionRegion   = "Region"
)

// Metric is a metric the crawler publishes and the dimensions every datum of it carries (a query
// naming other dimensions finds nothing).
type Metric struct {
	Name       string
	Dimensions []string
}

// Metrics lists every metric the crawler publishes.
func Metrics() []Metric {
	perTarget := []string{DimensionTargetID, DimensionRegion}
	perRun := []string{DimensionRegion}
	perEnvironment := []string{DimensionTargetID}
	return []Metric{
		{MetricAvailability, perTarget},
		{MetricLatency, perTarget},
		{MetricDNSLatency, perTarget},
		{MetricConnectLatency, perTarget},
		{MetricTLSLatency, perTarget},
		{MetricTTFB, perTarget},
		{MetricCertDaysRemaining, perTarget},
		{MetricRegionsDown, perEnvironment},
		{MetricTargetsChecked, perRun},
		{MetricTargetsDown, perRun},
		{MetricTargetsSkipped, perRun},
		{MetricRunDuration, perRun},
		{MetricRunFailures, perRun},
		{MetricAlarmsPending, perRun},
		{MetricRunsOverlapped, perRun},
		{MetricShards, perRun},
	}
}

// LookupMetric returns the metric named name.
func LookupMetric(name string) (Metric, bool) {
	ms := Metrics()
	i := slices.IndexFunc(ms, func(m Metric) bool { return m.Name == name })
	if i < 0 {
		return Metric{}, false
	}
	return ms[i], true
}

// Alarm kinds: the last part of a per-target alarm's name and its alarm_kind in the alarm history.
const (
	AlarmKindAvailability = "availability"
	AlarmKindLatency      = "latency"
	// AlarmKindCertificate alarms on CertDaysRemaining; only https targets have one.
	AlarmKindCertificate = "certificate"
	// AlarmKindVerdict alarms on RegionsDown >= the quorum: the environment's verdict is down. Only the
	// home region of a multi-region environment has one per target.
	AlarmKindVerdict = "verdict"
	// AlarmKindDegraded is a metric math alarm on RegionsDown: at least one region but fewer than the
	// quorum see the target down, so it never holds at once with the verdict alarm. Only the home region of
	// a multi-region environment whose quorum is above 1 has one per target (with a quorum of 1 one
	// region down is down).
	AlarmKindDegraded = "degraded"
)

// AlarmKinds lists every kind of per-target alarm (what a name may end with).
func AlarmKinds() []string {
	return []string{AlarmKindAvailability, AlarmKindLatency, AlarmKindCertificate, AlarmKindVerdict, AlarmKindDegraded}
}

// RegionalAlarmKinds are the kinds every region keeps per target, on its own checks (the metrics with a
// Region dimension).
func RegionalAlarmKinds() []string {
	return []string{AlarmKindAvailability, AlarmKindLatency, AlarmKindCertificate}
}

// MultiRegion reports whether an environment has more than one region: then alerting follows the
// verdict (docs/design.md "Multi-region"), and a region's availability alarm is recorded, not told.
func MultiRegion(env verdict.Settings) bool { return len(env.Regions) > 1 }

// JudgesVerdict reports whether a crawler with these settings publishes RegionsDown and keeps the verdict
// alarms: the home region's of a multi-region environment.
func JudgesVerdict(env verdict.Settings) bool { return MultiRegion(env) && env.IsHome() }

// AlarmKindsOf lists the kinds of alarm an enabled target with this (normalized) URL has in a region
// whose settings are env: availability and latency always, certificate only for https, the one scheme
// with a certificate to expire; and in the home region of a multi-region environment (JudgesVerdict) also
// verdict, and degraded when the quorum is above 1. The zero env is a single region's.
func AlarmKindsOf(url string, env verdict.Settings) []string {
	kinds := []string{AlarmKindAvailability, AlarmKindLatency}
	if strings.HasPrefix(url, "https://") {
		kinds = append(kinds, AlarmKindCertificate)
	}
	if JudgesVerdict(env) {
		kinds = append(kinds, AlarmKindVerdict)
		if env.Quorum > 1 {
			kinds = append(kinds, AlarmKindDegraded)
		}
	}
	return kinds
}

// Tags the crawler sets on the alarms it creates.
const (
	TagTargetID  = "webhealth:target-id"
	TagAlarmKind = "webhealth:alarm-kind"
)

// AlarmName is the name of a target's alarm of the given kind: "<prefix>-<target id>-<kind>".
func AlarmName(prefix, targetID, kind string) string {
	return prefix + "-" + targetID + "-" + kind
}

// ParseAlarmName is AlarmName's inverse: ok only for "<prefix>-<32 lowercase hex>-<kind>" with a
// known kind, so an alarm of another owner (another prefix, a hand-made name) is never taken for ours.
func ParseAlarmName(prefix, name string) (targetID, kind string, ok bool) {
	rest, ok := strings.CutPrefix(name, prefix+"-")
	if !ok {
		return "", "", false
	}
	targetID, kind, ok = strings.Cut(rest, "-")
	if !ok || !target.ValidID(targetID) || !slices.Contains(AlarmKinds(), kind) {
		return "", "", false
	}
	return targetID, kind, true
}

// Package contract holds the names webhealth's parts agree on outside Go (docs/design.md, "Metrics and
// alarms"): the CloudWatch metrics and dimensions the crawler publishes and the dashboard and alarms
// read, and the names, kinds and tags of the per-target alarms the crawler keeps and the alarm logger
// and the notifier read back.
package contract

import (
	"slices"
	"strings"

	"github.com/webhealth/webhealth/internal/target"
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
	return []Metric{
		{MetricAvailability, perTarget},
		{MetricLatency, perTarget},
		{MetricDNSLatency, perTarget},
		{MetricConnectLatency, perTarget},
		{MetricTLSLatency, perTarget},
		{MetricTTFB, perTarget},
		{MetricCertDaysRemaining, perTarget},
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
)

// AlarmKinds lists every kind of per-target alarm.
func AlarmKinds() []string {
	return []string{AlarmKindAvailability, AlarmKindLatency, AlarmKindCertificate}
}

// AlarmKindsOf lists the kinds of alarm an enabled target with this (normalized) URL has: availability
// and latency always, certificate only for https, the one scheme with a certificate to expire.
func AlarmKindsOf(url string) []string {
	if strings.HasPrefix(url, "https://") {
		return AlarmKinds()
	}
	return []string{AlarmKindAvailability, AlarmKindLatency}
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

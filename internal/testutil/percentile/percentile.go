// Package percentile gives the benchmarks one definition of the percentiles they report.
package percentile

import (
	"cmp"
	"math"
	"slices"
	"testing"
	"time"
)

// Of is the nearest-rank p-th percentile (0 < p <= 100) of v, in any order: the smallest value with
// at least p% of v at or below it. v is not modified; it must not be empty.
func Of[T cmp.Ordered](v []T, p float64) T {
	s := slices.Sorted(slices.Values(v))
	rank := int(math.Ceil(p * float64(len(s)) / 100)) // 1-based
	return s[max(rank, 1)-1]
}

// Report reports the p50 and p99 of d as the metrics p50-<suffix> and p99-<suffix>, in units of
// unit (e.g. time.Microsecond, "us"); nothing when d is empty.
func Report(b *testing.B, d []time.Duration, unit time.Duration, suffix string) {
	b.Helper()
	if len(d) == 0 {
		return
	}
	b.ReportMetric(float64(Of(d, 50))/float64(unit), "p50-"+suffix)
	b.ReportMetric(float64(Of(d, 99))/float64(unit), "p99-"+suffix)
}

package cost

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testInputs are round measured inputs over the deployment facts.
func testInputs() Inputs {
	in := Facts
	in.RunDatums, in.DatumsPerCall, in.WritesPerTarget, in.PagesPerAlarm = 4, 1000, 1, 0.01
	in.RunSecondsPerCheck, in.RunFixedSeconds, in.ChecksPerInvoke, in.Slots = 0.0028, 0.1, 17000, 256
	return in
}

func TestMetricTiers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n    int
		want float64
	}{
		{0, 0}, {1, 0.30}, {10_000, 3000}, {10_001, 3000.10},
		{300_000, 3000 + 240_000*0.10 + 50_000*0.05},
		{2_000_000, 3000 + 24_000 + 750_000*0.05 + 1_000_000*0.02},
	} {
		assert.InDelta(t, tc.want, USEast1.metricMonths(float64(tc.n)), 1e-6, "%d metrics", tc.n)
	}
}

// TestOneRowByHand: 1,000 https targets every minute with PHASE_METRICS=false, recomputed by hand.
func TestOneRowByHand(t *testing.T) {
	t.Parallel()
	const runs = 730 * 60.0
	want := Breakdown{
		Metrics:        (1000*2 + 1000.0/24 + 4) * 0.30,                        // first tier; CertDaysRemaining one hour a day
		Alarms:         (1000*3 + 24) * 0.10,                                   // target alarms and ops alarms
		PutMetricData:  runs * 3 / 1000 * 0.01,                                 // 2,046 datums: 3 calls a run
		DescribeAlarms: runs * 30 / 1000 * 0.01,                                // 3,000 alarms, 100 a page
		DynamoDB:       runs * ((1000+2)*0.625 + 0.5*109*0.125) / 1e6,          // 444 kB scanned: 109 pages of 4 KB
		Lambda:         runs * (0.25*(0.1+1000*0.0028)*0.0000133334 + 0.2/1e6), // one invocation of 2.9 s at 256 MB
		SQS:            5 * 3 * 60 * 730 * 0.40 / 1e6,                          // the mapping's pollers on the idle shard queue
		Shards:         1,
	}
	got := Monthly(USEast1, testInputs(), Scenario{N: 1000, Interval: time.Minute, Kind: Kind{HTTPS: true}})
	assert.InDelta(t, want.Metrics, got.Metrics, 1e-9)
	assert.InDelta(t, want.Alarms, got.Alarms, 1e-9)
	assert.InDelta(t, want.PutMetricData, got.PutMetricData, 1e-9)
	assert.InDelta(t, want.DescribeAlarms, got.DescribeAlarms, 1e-9)
	assert.InDelta(t, want.DynamoDB, got.DynamoDB, 1e-9)
	assert.InDelta(t, want.Lambda, got.Lambda, 1e-9)
	assert.InDelta(t, want.SQS, got.SQS, 1e-9, "one invocation: only the idle polling")
	assert.Equal(t, 1, got.Shards)
	assert.InDelta(t, 958.98, got.Total(), 0.01)
}

func TestFanOutAndInterval(t *testing.T) {
	t.Parallel()
	in := testInputs()
	big := Monthly(USEast1, in, Scenario{N: 100_000, Interval: time.Minute, Kind: Kind{}})
	assert.Equal(t, 6, big.Shards, "100,000 targets at 17,000 an invocation")
	assert.Positive(t, big.SQS)
	slow := Monthly(USEast1, in, Scenario{N: 100_000, Interval: 15 * time.Minute, Kind: Kind{}})
	assert.Equal(t, 1, slow.Shards, "a 15-minute invocation judges 15 minutes' worth")
	assert.Equal(t, big.Metrics, slow.Metrics, "a metric with a datum every hour is a full metric-month")
	assert.InDelta(t, big.DynamoDB/15, slow.DynamoDB, 1e-9)
	assert.InDelta(t, 52.56, Synthetics(USEast1, time.Minute), 1e-9)
	assert.InDelta(t, 3.504, Synthetics(USEast1, 15*time.Minute), 1e-9)
}

const sampleDoc = "# Benchmarks\n\n## All results\n\nEvery benchmark line.\n\n| Package | Benchmark | Iterations | Metrics |\n|---|---|---|---|\n" +
	"| internal/crawler | BenchmarkCrawlAWSCalls/N=10000 | 1 | 1 ns/op, 10000 DynamoDB-write-calls, 10000 DynamoDB-write-floor, 51.00 PutMetricData-calls, 51.00 PutMetricData-floor, 200.0 alarm-API-calls, 50004 datums |\n" +
	"| internal/crawler | BenchmarkScheduleAWSLatency/N=1000/C=50 | 1 | 1 ns/op, 2000 ideal-ms, 6.056 over-ideal-%, 2121 wall-ms |\n" +
	"| internal/crawler | BenchmarkCrawlInterval/N=20000/run=one-invocation | 1 | 1 ns/op, 17459 judged, 256.0 slots, 49.32 wall-s |\n"

func TestMeasured(t *testing.T) {
	t.Parallel()
	in, err := Measured([]byte(sampleDoc), "github.com/webhealth/webhealth/", Facts)
	require.NoError(t, err)
	assert.InDelta(t, 4, in.RunDatums, 1e-9, "50,004 datums of 10,000 http targets with 5 each")
	assert.InDelta(t, 50004.0/51, in.DatumsPerCall, 1e-9)
	assert.InDelta(t, 1, in.WritesPerTarget, 1e-9)
	assert.InDelta(t, 0.01, in.PagesPerAlarm, 1e-9)
	assert.InDelta(t, 49.32/17459, in.RunSecondsPerCheck, 1e-12)
	assert.InDelta(t, 0.121, in.RunFixedSeconds, 1e-9)
	assert.InDelta(t, 17459, in.ChecksPerInvoke, 1e-9)

	_, err = Measured([]byte("# Benchmarks\n"), "", Facts)
	assert.ErrorContains(t, err, "BenchmarkCrawlAWSCalls")
}

func TestRender(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	require.NoError(t, Render(&b, USEast1, testInputs(), "docs/benchmarks.md"))
	doc := b.String()
	for _, want := range []string{
		"## Every minute\n", "## Every 5 minutes\n", "## Every 15 minutes\n",
		"| 1000 | $2.16 | $0.96 | $0.84 | $52.56 |\n", // https off is the hand-computed row: $0.958
		"- http targets: met at 100 (", "us-east-1 list prices as taken for this document on 2026-12-02", "| Lambda arm64 | $0.0000133334 per GB-second, $0.2 per million requests |",
	} {
		assert.Contains(t, doc, want)
	}
}

// Package cost computes the monthly AWS cost of a webhealth environment per target (docs/cost.md) from
// the AWS calls per crawl measured in docs/benchmarks.md and dated public prices, beside CloudWatch
// Synthetics (a canary per target) at the same interval.
package cost

import (
	"math"
	"time"
)

// HoursPerMonth is the month AWS prices by.
const HoursPerMonth = 730

// A Scenario is one environment: N targets of one kind crawled every Interval.
type Scenario struct {
	N        int
	Interval time.Duration
	Kind     Kind
}

// Runs is the crawls per month.
func (s Scenario) Runs() float64 { return HoursPerMonth * float64(time.Hour) / float64(s.Interval) }

// A Breakdown is the monthly cost of a scenario by service, in USD.
type Breakdown struct {
	Metrics, Alarms, PutMetricData, DescribeAlarms, GetMetricData, DynamoDB, Lambda, SQS float64
	// Shards is the invocations per run (the fan-out), from the measured targets an invocation judges.
	Shards int
}

// Total is the monthly cost.
func (b Breakdown) Total() float64 {
	return b.Metrics + b.Alarms + b.PutMetricData + b.DescribeAlarms + b.GetMetricData + b.DynamoDB + b.Lambda + b.SQS
}

// Monthly is the cost of s. A metric with a datum every run is billed every hour at intervals up to an
// hour: a full metric-month whatever the interval; a daily one (CertDaysRemaining) one hour in 24.
func Monthly(p Prices, in Inputs, s Scenario) Breakdown {
	n := float64(s.N)
	runs := s.Runs()
	metrics, alarms := float64(in.PerTargetMetric[s.Kind])+float64(in.PerTargetDailyMetric[s.Kind])/24, in.PerTargetAlarms[s.Kind]
	// An invocation has at most Lambda's 15 minutes; it judges ChecksPerInvoke targets a minute.
	minutes := min(s.Interval, 15*time.Minute).Minutes()
	shards := max(int(math.Ceil(n/(in.ChecksPerInvoke*minutes))), 1)
	datumsPerShard := (n*metrics)/float64(shards) + in.RunDatums
	putCalls := float64(shards) * math.Ceil(datumsPerShard/in.DatumsPerCall)
	pages := math.Ceil(n * float64(alarms) * in.PagesPerAlarm)
	wru := n*in.WritesPerTarget + in.LeaseWrites
	rru := 0.5 * math.Ceil(n*in.ItemBytes/4096) // eventually consistent scan: half a unit per 4 KB
	gbSeconds := in.LambdaMemoryMB / 1024 * (float64(shards)*in.RunFixedSeconds + n*in.RunSecondsPerCheck)
	b := Breakdown{
		Metrics:        p.metricMonths(n*metrics + in.RunDatums),
		Alarms:         float64(s.N*alarms+in.OpsAlarms) * p.AlarmMonth,
		PutMetricData:  runs * putCalls / 1000 * p.APIRequestsPer1000,
		DescribeAlarms: runs * pages / 1000 * p.APIRequestsPer1000,
		GetMetricData:  runs * in.GetMetricData / 1000 * p.GetMetricDataPer1000,
		DynamoDB:       runs * (wru*p.DynamoWRUPerMillion + rru*p.DynamoRRUPerMillion) / 1e6,
		Lambda:         runs * (gbSeconds*p.LambdaGBSecond + float64(shards)*p.LambdaRequestsPerMillion/1e6),
		Shards:         shards,
	}
	// The event source mapping polls the shard queue whether or not a run fans out.
	b.SQS = in.SQSIdlePolls * p.SQSRequestsPerMillion / 1e6
	if shards > 1 {
		b.SQS += runs * float64(shards) * in.SQSPerShard * p.SQSRequestsPerMillion / 1e6
	}
	return b
}

// Synthetics is the monthly cost of one canary run every interval (the canary runs only; its own
// Lambda, S3 and CloudWatch charges come on top).
func Synthetics(p Prices, interval time.Duration) float64 {
	return HoursPerMonth * float64(time.Hour) / float64(interval) * p.CanaryRun
}

package cost

// Prices are public AWS prices of one region on one date, in USD. Free tiers are ignored.
type Prices struct {
	Region, Date, Source string

	// CloudWatch custom metrics, per metric-month, by tier (From is the first metric of the tier).
	MetricTiers []Tier
	// A standard-resolution metric alarm, per alarm-month.
	AlarmMonth float64
	// PutMetricData and the other API requests (DescribeAlarms), per 1,000 requests.
	APIRequestsPer1000 float64
	// GetMetricData, per 1,000 metrics requested.
	GetMetricDataPer1000 float64
	// DynamoDB on-demand, per million write and read request units.
	DynamoWRUPerMillion, DynamoRRUPerMillion float64
	// Lambda arm64, per GB-second and per million requests.
	LambdaGBSecond, LambdaRequestsPerMillion float64
	// SQS standard queue requests, per million.
	SQSRequestsPerMillion float64
	// CloudWatch Synthetics, per canary run.
	CanaryRun float64
}

// A Tier is the price of a metric-month from the From-th metric on.
type Tier struct {
	From  int
	Price float64
}

// USEast1 are the us-east-1 list prices docs/cost.md uses, taken on Date from the pages of Source
// (DynamoDB on-demand at its November 2024 prices); a price change is a change of these lines.
var USEast1 = Prices{
	Region: "us-east-1",
	Date:   "2026-12-02",
	Source: "aws.amazon.com/cloudwatch/pricing, /dynamodb/pricing/on-demand, /lambda/pricing, /sqs/pricing",
	MetricTiers: []Tier{
		{From: 0, Price: 0.30},
		{From: 10_000, Price: 0.10},
		{From: 250_000, Price: 0.05},
		{From: 1_000_000, Price: 0.02},
	},
	AlarmMonth:               0.10,
	APIRequestsPer1000:       0.01,
	GetMetricDataPer1000:     0.01,
	DynamoWRUPerMillion:      0.625,
	DynamoRRUPerMillion:      0.125,
	LambdaGBSecond:           0.0000133334,
	LambdaRequestsPerMillion: 0.20,
	SQSRequestsPerMillion:    0.40,
	CanaryRun:                0.0012,
}

// metricMonths is the monthly price of n custom metric-months through the tiers (a metric published
// one hour in 24 is 1/24 of one).
func (p Prices) metricMonths(n float64) float64 {
	total := 0.0
	for i, t := range p.MetricTiers {
		if n <= float64(t.From) {
			break
		}
		upTo := n
		if i+1 < len(p.MetricTiers) {
			upTo = min(n, float64(p.MetricTiers[i+1].From))
		}
		total += (upTo - float64(t.From)) * t.Price
	}
	return total
}

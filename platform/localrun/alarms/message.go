package alarms

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// regionNames are the names CloudWatch alarm notifications use for the Region field and the
// SNS subject.
var regionNames = map[string]string{
	"us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)",
	"us-west-1": "US West (N. California)", "us-west-2": "US West (Oregon)",
	"af-south-1": "Africa (Cape Town)", "ap-east-1": "Asia Pacific (Hong Kong)",
	"ap-south-1": "Asia Pacific (Mumbai)", "ap-south-2": "Asia Pacific (Hyderabad)",
	"ap-northeast-1": "Asia Pacific (Tokyo)", "ap-northeast-2": "Asia Pacific (Seoul)",
	"ap-northeast-3": "Asia Pacific (Osaka)", "ap-southeast-1": "Asia Pacific (Singapore)",
	"ap-southeast-2": "Asia Pacific (Sydney)", "ap-southeast-3": "Asia Pacific (Jakarta)",
	"ap-southeast-4": "Asia Pacific (Melbourne)", "ca-central-1": "Canada (Central)",
	"ca-west-1": "Canada West (Calgary)", "eu-central-1": "EU (Frankfurt)", "eu-central-2": "EU (Zurich)",
	"eu-west-1": "EU (Ireland)", "eu-west-2": "EU (London)", "eu-west-3": "EU (Paris)",
	"eu-north-1": "EU (Stockholm)", "eu-south-1": "EU (Milan)", "eu-south-2": "EU (Spain)",
	"il-central-1": "Israel (Tel Aviv)", "me-south-1": "Middle East (Bahrain)",
	"me-central-1": "Middle East (UAE)", "sa-east-1": "South America (Sao Paulo)",
	"us-gov-east-1": "AWS GovCloud (US-East)", "us-gov-west-1": "AWS GovCloud (US-West)",
}

// RegionName is the long region name of a region code (the code itself when unknown).
func RegionName(region string) string {
	if n, ok := regionNames[region]; ok {
		return n
	}
	return region
}

// javaDouble marshals like CloudWatch's JSON (Java doubles): 1.0, 0.5, 1.0E7.
type javaDouble float64

func (d javaDouble) MarshalJSON() ([]byte, error) { return []byte(formatDouble(float64(d))), nil }

func formatDouble(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "null"
	case v == math.Trunc(v) && math.Abs(v) < 1e7:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case math.Abs(v) >= 1e7:
		s := strings.ToUpper(strconv.FormatFloat(v, 'e', -1, 64))
		s = strings.Replace(s, "E+", "E", 1)
		mant, exp, _ := strings.Cut(s, "E")
		if !strings.Contains(mant, ".") {
			mant += ".0"
		}
		return mant + "E" + strings.TrimLeft(exp, "0")
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// cwTime is CloudWatch's timestamp format in notifications and reason data.
func cwTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

// Notification is the JSON message CloudWatch publishes to an alarm's SNS actions.
type Notification struct {
	AlarmName                          string   `json:"AlarmName"`
	AlarmDescription                   *string  `json:"AlarmDescription"`
	AWSAccountID                       string   `json:"AWSAccountId"`
	AlarmConfigurationUpdatedTimestamp string   `json:"AlarmConfigurationUpdatedTimestamp"`
	NewStateValue                      string   `json:"NewStateValue"`
	NewStateReason                     string   `json:"NewStateReason"`
	StateChangeTime                    string   `json:"StateChangeTime"`
	Region                             string   `json:"Region"`
	AlarmArn                           string   `json:"AlarmArn"`
	OldStateValue                      string   `json:"OldStateValue"`
	OKActions                          []string `json:"OKActions"`
	AlarmActions                       []string `json:"AlarmActions"`
	InsufficientDataActions            []string `json:"InsufficientDataActions"`
	Trigger                            Trigger  `json:"Trigger"`
}

// Trigger describes the alarm's metric and condition in a notification.
type Trigger struct {
	MetricName                       string       `json:"MetricName"`
	Namespace                        string       `json:"Namespace"`
	StatisticType                    string       `json:"StatisticType"`
	Statistic                        string       `json:"Statistic,omitempty"`
	ExtendedStatistic                string       `json:"ExtendedStatistic,omitempty"`
	Unit                             *string      `json:"Unit"`
	Dimensions                       []Dimension  `json:"Dimensions"`
	Period                           int32        `json:"Period"`
	EvaluationPeriods                int32        `json:"EvaluationPeriods"`
	DatapointsToAlarm                *int32       `json:"DatapointsToAlarm,omitempty"`
	ComparisonOperator               string       `json:"ComparisonOperator"`
	Threshold                        javaDouble   `json:"Threshold"`
	TreatMissingData                 string       `json:"TreatMissingData"`
	EvaluateLowSampleCountPercentile string       `json:"EvaluateLowSampleCountPercentile"`
	Metrics                          []mathMetric `json:"Metrics,omitempty"`
}

// Dimension is written value first, as CloudWatch does.
type Dimension struct {
	Value string `json:"value"`
	Name  string `json:"name"`
}

type mathMetric struct {
	ID         string `json:"Id"`
	Expression string `json:"Expression,omitempty"`
	Label      string `json:"Label,omitempty"`
	ReturnData bool   `json:"ReturnData"`
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// buildNotification assembles the message for a transition of alarm a.
func buildNotification(a types.MetricAlarm, region, account, oldState, newState, reason string, at time.Time) Notification {
	n := Notification{
		AlarmName:               aws.ToString(a.AlarmName),
		AlarmDescription:        a.AlarmDescription,
		AWSAccountID:            account,
		NewStateValue:           newState,
		NewStateReason:          reason,
		StateChangeTime:         cwTime(at),
		Region:                  RegionName(region),
		AlarmArn:                aws.ToString(a.AlarmArn),
		OldStateValue:           oldState,
		OKActions:               nonNil(a.OKActions),
		AlarmActions:            nonNil(a.AlarmActions),
		InsufficientDataActions: nonNil(a.InsufficientDataActions),
	}
	if a.AlarmConfigurationUpdatedTimestamp != nil {
		n.AlarmConfigurationUpdatedTimestamp = cwTime(*a.AlarmConfigurationUpdatedTimestamp)
	}
	tr := Trigger{
		MetricName:                       aws.ToString(a.MetricName),
		Namespace:                        aws.ToString(a.Namespace),
		Dimensions:                       []Dimension{},
		Period:                           aws.ToInt32(a.Period),
		EvaluationPeriods:                aws.ToInt32(a.EvaluationPeriods),
		DatapointsToAlarm:                a.DatapointsToAlarm,
		ComparisonOperator:               string(a.ComparisonOperator),
		Threshold:                        javaDouble(aws.ToFloat64(a.Threshold)),
		TreatMissingData:                 aws.ToString(a.TreatMissingData),
		EvaluateLowSampleCountPercentile: aws.ToString(a.EvaluateLowSampleCountPercentile),
	}
	if tr.TreatMissingData == "" {
		tr.TreatMissingData = Missing
	}
	switch {
	case a.ExtendedStatistic != nil:
		tr.StatisticType, tr.ExtendedStatistic = "ExtendedStatistic", aws.ToString(a.ExtendedStatistic)
	case a.Statistic != "":
		tr.StatisticType, tr.Statistic = "Statistic", statisticName(a.Statistic)
	}
	if a.Unit != "" {
		u := string(a.Unit)
		tr.Unit = &u
	}
	for _, d := range a.Dimensions {
		tr.Dimensions = append(tr.Dimensions, Dimension{Value: aws.ToString(d.Value), Name: aws.ToString(d.Name)})
	}
	for _, m := range a.Metrics {
		tr.Metrics = append(tr.Metrics, mathMetric{ID: aws.ToString(m.Id), Expression: aws.ToString(m.Expression),
			Label: aws.ToString(m.Label), ReturnData: m.ReturnData == nil || *m.ReturnData})
	}
	n.Trigger = tr
	return n
}

// statisticName is a statistic as CloudWatch's notifications spell it: its Java enum name (AVERAGE, SUM,
// MINIMUM, MAXIMUM, SAMPLE_COUNT).
func statisticName(s types.Statistic) string {
	if s == types.StatisticSampleCount {
		return "SAMPLE_COUNT"
	}
	return strings.ToUpper(string(s))
}

// Subject is the SNS subject CloudWatch uses (at most 100 characters, as SNS allows).
func Subject(state, alarmName, region string) string {
	s := fmt.Sprintf("%s: %q in %s", state, alarmName, RegionName(region))
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}

var opText = map[string]string{
	"GreaterThanOrEqualToThreshold": "greater than or equal to",
	"GreaterThanThreshold":          "greater than",
	"LessThanThreshold":             "less than",
	"LessThanOrEqualToThreshold":    "less than or equal to",
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// datapoint is one period's value with its start time and sample count.
type datapoint struct {
	at      time.Time
	value   float64
	samples float64
}

// reasonText writes CloudWatch's NewStateReason for an outcome.
func reasonText(o Outcome, op string, threshold float64, n, m int, treat, oldState string, points []datapoint) string {
	if o.AllMissing {
		switch o.State {
		case InsufficientData:
			return fmt.Sprintf("Insufficient Data: %d %s %s unknown.", n, plural(n, "datapoint", "datapoints"), plural(n, "was", "were"))
		case Alarm:
			return fmt.Sprintf("Threshold Crossed: no datapoints were received for %d %s and %d missing %s %s treated as [Breaching].",
				n, plural(n, "period", "periods"), n, plural(n, "datapoint", "datapoints"), plural(n, "was", "were"))
		default:
			return fmt.Sprintf("Threshold Crossed: no datapoints were received for %d %s and %d missing %s %s treated as [NonBreaching].",
				n, plural(n, "period", "periods"), n, plural(n, "datapoint", "datapoints"), plural(n, "was", "were"))
		}
	}
	list := make([]string, 0, len(points))
	for i := len(points) - 1; i >= 0; i-- { // newest first
		list = append(list, fmt.Sprintf("%s (%s)", formatDouble(points[i].value), points[i].at.UTC().Format("02/01/06 15:04:05")))
	}
	filled := ""
	if o.Filled > 0 {
		kind := "NonBreaching"
		if treat == Breaching {
			kind = "Breaching"
		}
		filled = fmt.Sprintf(" and %d missing %s %s treated as [%s]", o.Filled, plural(o.Filled, "datapoint", "datapoints"), plural(o.Filled, "was", "were"), kind)
	}
	realBreaching := o.Breaching
	if treat == Breaching {
		realBreaching -= o.Filled
	}
	if o.State == Alarm {
		from := oldState
		if from == "" {
			from = InsufficientData
		}
		return fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints [%s] %s %s the threshold (%s)%s (minimum %d %s for %s -> ALARM transition).",
			realBreaching, len(points),
			strings.Join(list, ", "), plural(realBreaching, "was", "were"), opText[op], formatDouble(threshold), filled,
			m, plural(m, "datapoint", "datapoints"), from)
	}
	good := len(points) - realBreaching
	return fmt.Sprintf("Threshold Crossed: %d %s [%s] %s not %s the threshold (%s)%s.",
		good, plural(good, "datapoint", "datapoints"), strings.Join(list, ", "), plural(good, "was", "were"),
		opText[op], formatDouble(threshold), filled)
}

// reasonData is CloudWatch's StateReasonData JSON.
func reasonData(a types.MetricAlarm, query, start time.Time, points []datapoint) string {
	recent := make([]javaDouble, 0, len(points))
	evaluated := make([]map[string]any, 0, len(points))
	for i := len(points) - 1; i >= 0; i-- {
		recent = append(recent, javaDouble(points[i].value))
		evaluated = append(evaluated, map[string]any{"timestamp": cwTime(points[i].at), "sampleCount": javaDouble(points[i].samples), "value": javaDouble(points[i].value)})
	}
	d := map[string]any{
		"version":             "1.0",
		"queryDate":           cwTime(query),
		"startDate":           cwTime(start),
		"period":              aws.ToInt32(a.Period),
		"recentDatapoints":    recent,
		"threshold":           javaDouble(aws.ToFloat64(a.Threshold)),
		"evaluatedDatapoints": evaluated,
	}
	if a.Statistic != "" {
		d["statistic"] = string(a.Statistic)
	}
	if a.Unit != "" {
		d["unit"] = string(a.Unit)
	}
	b, _ := json.Marshal(d)
	return string(b)
}

// Package alarmevent reads the CloudWatch alarm notifications SNS delivers: which target and kind an
// alarm is about, the state it changed from and to, when and why. The alarm logger records them and the
// notifier tells people.
package alarmevent

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/webhealth/webhealth/internal/contract"
	"github.com/webhealth/webhealth/internal/target"
)

// CloudWatch alarm states.
const (
	StateOK               = "OK"
	StateAlarm            = "ALARM"
	StateInsufficientData = "INSUFFICIENT_DATA"
)

// Reasons a message cannot be recorded under a target; the message is then stored raw.
var (
	// ErrNotAlarm: the message is not a CloudWatch alarm state-change notification.
	ErrNotAlarm = errors.New("not a CloudWatch alarm notification")
	// ErrNoTarget: the alarm names no target (no TargetId dimension, name not <prefix>-<id>-<kind>).
	ErrNoTarget = errors.New("alarm does not name a target")
	// ErrUnknownKind: the alarm belongs to a target but is not one of contract.AlarmKinds.
	ErrUnknownKind = errors.New("alarm kind is not availability, latency, certificate, verdict or degraded")
)

// StateChange is one alarm state change of a target, parsed from a CloudWatch alarm notification.
type StateChange struct {
	TargetID        string
	Kind            string // one of contract.AlarmKinds
	AlarmName       string
	NewState        string
	OldState        string
	Reason          string
	StateChangeTime time.Time // UTC
	MetricName      string
}

// Parser parses CloudWatch alarm notifications of the alarms named "<prefix>-<target id>-<kind>".
type Parser struct {
	prefix string
}

// NewParser returns a parser for the alarms owned under prefix (ALARM_PREFIX).
func NewParser(prefix string) *Parser { return &Parser{prefix: prefix} }

// Parse decodes the Message of an SNS record sent by a CloudWatch alarm, in either form CloudWatch
// uses: a single metric (Trigger.MetricName/Dimensions) or metric queries (Trigger.Metrics, for
// metric math and multi-metric alarms). The target comes from the TargetId dimension, else from the
// alarm name; the kind from the name suffix, else from the metric name. Errors wrap ErrNotAlarm,
// ErrNoTarget or ErrUnknownKind.
func (p *Parser) Parse(message string) (StateChange, error) {
	var n notification
	if err := json.Unmarshal([]byte(message), &n); err != nil {
		return StateChange{}, fmt.Errorf("%w: %v", ErrNotAlarm, err)
	}
	var missing []string
	for _, f := range []struct{ name, value string }{
		{"AlarmName", n.AlarmName}, {"NewStateValue", n.NewStateValue}, {"StateChangeTime", n.StateChangeTime},
	} {
		if f.value == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return StateChange{}, fmt.Errorf("%w: missing %s", ErrNotAlarm, strings.Join(missing, ", "))
	}
	if !validState(n.NewStateValue) {
		return StateChange{}, fmt.Errorf("%w: NewStateValue %q is not OK, ALARM or INSUFFICIENT_DATA", ErrNotAlarm, n.NewStateValue)
	}
	if n.OldStateValue != "" && !validState(n.OldStateValue) {
		return StateChange{}, fmt.Errorf("%w: OldStateValue %q is not OK, ALARM or INSUFFICIENT_DATA", ErrNotAlarm, n.OldStateValue)
	}
	at, err := parseStateChangeTime(n.StateChangeTime)
	if err != nil {
		return StateChange{}, fmt.Errorf("%w: %v", ErrNotAlarm, err)
	}

	metric, dimID := triggerMetric(n.Trigger)
	nameID, nameKind, _ := contract.ParseAlarmName(p.prefix, n.AlarmName)
	id := dimID
	if !target.ValidID(id) {
		id = nameID
	}
	if id == "" {
		return StateChange{}, fmt.Errorf("%w: alarm %q has no valid %s dimension and its name is not %s",
			ErrNoTarget, n.AlarmName, contract.DimensionTargetID, contract.AlarmName(p.prefix, "<target id>", "("+strings.Join(contract.AlarmKinds(), "|")+")"))
	}
	kind := nameKind
	if kind == "" {
		kind = kindOf(n.AlarmName, metric)
	}
	if kind == "" {
		return StateChange{}, fmt.Errorf("%w: alarm %q of target %s on metric %q", ErrUnknownKind, n.AlarmName, id, metric)
	}
	return StateChange{
		TargetID:        id,
		Kind:            kind,
		AlarmName:       n.AlarmName,
		NewState:        n.NewStateValue,
		OldState:        n.OldStateValue,
		Reason:          n.NewStateReason,
		StateChangeTime: at,
		MetricName:      metric,
	}, nil
}

func validState(s string) bool {
	return s == StateOK || s == StateAlarm || s == StateInsufficientData
}

// parseStateChangeTime accepts CloudWatch's "2026-11-21T10:03:12.345+0000" and RFC 3339.
// Go accepts a fractional second after the seconds field even when the layout has none.
func parseStateChangeTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04:05Z0700", time.RFC3339} {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		if t = t.UTC(); t.Year() < 1970 {
			return time.Time{}, fmt.Errorf("StateChangeTime %q is before 1970", s)
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("StateChangeTime %q is not a timestamp like 2026-11-21T10:03:12.345+0000", s)
}

// notification holds the fields of a CloudWatch alarm notification (events.CloudWatchAlarmSNSPayload)
// that Parse reads: the rest is not decoded, so it costs nothing and a field of an unexpected type
// that Parse does not read cannot fail the message.
type notification struct {
	AlarmName       string  `json:"AlarmName"`
	NewStateValue   string  `json:"NewStateValue"`
	NewStateReason  string  `json:"NewStateReason"`
	StateChangeTime string  `json:"StateChangeTime"`
	OldStateValue   string  `json:"OldStateValue"`
	Trigger         trigger `json:"Trigger"`
}

// trigger is the part of events.CloudWatchAlarmTrigger naming the metric: MetricName and Dimensions in
// the single-metric form, Metrics in the metric-query form.
type trigger struct {
	MetricName string                       `json:"MetricName"`
	Dimensions []events.CloudWatchDimension `json:"Dimensions"`
	Metrics    []struct {
		MetricStat struct {
			Metric struct {
				MetricName string                       `json:"MetricName"`
				Dimensions []events.CloudWatchDimension `json:"Dimensions"`
			} `json:"Metric"`
		} `json:"MetricStat"`
	} `json:"Metrics"`
}

// triggerMetric returns the alarm's metric name and its TargetId dimension value ("" when absent).
// In the metric-query form it prefers the metric that carries a TargetId dimension.
func triggerMetric(tr trigger) (metric, targetID string) {
	if tr.MetricName != "" || len(tr.Dimensions) > 0 {
		return tr.MetricName, dimension(tr.Dimensions, contract.DimensionTargetID)
	}
	for _, q := range tr.Metrics {
		m := q.MetricStat.Metric
		if m.MetricName == "" {
			continue
		}
		if id := dimension(m.Dimensions, contract.DimensionTargetID); id != "" {
			return m.MetricName, id
		}
		if metric == "" {
			metric = m.MetricName
		}
	}
	return metric, ""
}

func dimension(dims []events.CloudWatchDimension, name string) string {
	for _, d := range dims {
		if d.Name == name {
			return d.Value
		}
	}
	return ""
}

// kindOf infers the kind of an alarm whose name does not follow the pattern.
func kindOf(alarmName, metric string) string {
	switch {
	case strings.HasSuffix(alarmName, "-"+contract.AlarmKindAvailability), metric == contract.MetricAvailability:
		return contract.AlarmKindAvailability
	case strings.HasSuffix(alarmName, "-"+contract.AlarmKindLatency), metric == contract.MetricLatency:
		return contract.AlarmKindLatency
	case strings.HasSuffix(alarmName, "-"+contract.AlarmKindCertificate), metric == contract.MetricCertDaysRemaining:
		return contract.AlarmKindCertificate
	// RegionsDown is read by both verdict kinds: only the name tells them apart.
	case strings.HasSuffix(alarmName, "-"+contract.AlarmKindVerdict):
		return contract.AlarmKindVerdict
	case strings.HasSuffix(alarmName, "-"+contract.AlarmKindDegraded):
		return contract.AlarmKindDegraded
	}
	return ""
}

// reasonDatapoint is the first datapoint of a threshold alarm's NewStateReason, CloudWatch's
// "Threshold Crossed: 2 out of the last 2 datapoints [3.0 (21/11/26 10:02:00), 2.0 (21/11/26 10:01:00)]
// was ...": the newest value the alarm judged.
var reasonDatapoint = regexp.MustCompile(`datapoints? \[(-?[0-9]+(?:\.[0-9]+)?(?:E-?[0-9]+)?) \(`)

// NewestDatapoint is the newest datapoint value CloudWatch names in the change's reason; ok is false when
// the reason names none (a hand-made or an INSUFFICIENT_DATA reason).
func (c StateChange) NewestDatapoint() (v float64, ok bool) {
	m := reasonDatapoint.FindStringSubmatch(c.Reason)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	return v, err == nil
}

package alarmevent

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Alarm is any CloudWatch alarm's state change notification: the stack's operational alarms (crawler
// heartbeat, function errors, queue messages, API 5xx) as well as the targets' alarms.
type Alarm struct {
	Name            string
	Description     string // "" when the alarm has none (CloudWatch sends null)
	ARN             string
	Region          string // the region code from the ARN ("" without one)
	NewState        string
	OldState        string
	Reason          string
	StateChangeTime time.Time // UTC
}

// ParseAlarm decodes the Message of an SNS record sent by any CloudWatch alarm, with Parse's rules for
// the name, the states and the time. Errors wrap ErrNotAlarm.
func ParseAlarm(message string) (Alarm, error) {
	var n struct {
		notification
		AlarmDescription *string `json:"AlarmDescription"`
		AlarmArn         string  `json:"AlarmArn"`
	}
	if err := json.Unmarshal([]byte(message), &n); err != nil {
		return Alarm{}, fmt.Errorf("%w: %v", ErrNotAlarm, err)
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
		return Alarm{}, fmt.Errorf("%w: missing %s", ErrNotAlarm, strings.Join(missing, ", "))
	}
	for _, s := range []struct{ name, value string }{{"NewStateValue", n.NewStateValue}, {"OldStateValue", n.OldStateValue}} {
		if s.value != "" && !validState(s.value) {
			return Alarm{}, fmt.Errorf("%w: %s %q is not OK, ALARM or INSUFFICIENT_DATA", ErrNotAlarm, s.name, s.value)
		}
	}
	at, err := parseStateChangeTime(n.StateChangeTime)
	if err != nil {
		return Alarm{}, fmt.Errorf("%w: %v", ErrNotAlarm, err)
	}
	a := Alarm{
		Name: n.AlarmName, ARN: n.AlarmArn, Region: arnRegion(n.AlarmArn),
		NewState: n.NewStateValue, OldState: n.OldStateValue, Reason: n.NewStateReason, StateChangeTime: at,
	}
	if n.AlarmDescription != nil {
		a.Description = *n.AlarmDescription
	}
	return a, nil
}

// arnRegion is the region field of an ARN ("arn:aws:cloudwatch:eu-west-1:123456789012:alarm:x").
func arnRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 || parts[0] != "arn" {
		return ""
	}
	return parts[3]
}

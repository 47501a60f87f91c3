// Package snsevents holds the SNS event fixtures of the tests that read alarm notifications: three of
// aws-lambda-go's events/testdata and our own alarms (target, verdict and ops) in the exact format CloudWatch sends.
package snsevents

import (
	"embed"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// Fixture names.
const (
	AWSSNSEvent       = "sns-event.json"
	AWSSingleMetric   = "cloudwatch-alarm-sns-payload-single-metric.json"
	AWSMultipleMetric = "cloudwatch-alarm-sns-payload-multiple-metrics.json"
	OurAlarm          = "webhealth-availability-alarm.json"
	OurOK             = "webhealth-availability-ok.json"
	// OurCertificate is a certificate ALARM of the same target (CertDaysRemaining below 14).
	OurCertificate = "webhealth-certificate-alarm.json"
	// OurHeartbeat is an ops alarm on the ops topic: the crawler heartbeat (RunDuration SampleCount,
	// missing data treated as breaching) in ALARM.
	OurHeartbeat = "webhealth-heartbeat-alarm.json"
	// OurVerdict is the same target's verdict ALARM in the home region of three (RegionsDown Maximum >= the
	// quorum 2, dimension TargetId alone; the newest datapoint 3.0); OurVerdictOK its return to OK.
	OurVerdict   = "webhealth-verdict-alarm.json"
	OurVerdictOK = "webhealth-verdict-ok.json"
	// OurDegraded is the same target's degraded ALARM: a metric math alarm (Trigger.Metrics, the expression
	// IF(m >= 1 AND m < 2, 1, 0) over RegionsDown), as CloudWatch sends one.
	OurDegraded = "webhealth-degraded-alarm.json"
)

// OurAlarmReason is the NewStateReason of OurAlarm.
const OurAlarmReason = "Threshold Crossed: 2 out of the last 2 datapoints [0.0 (21/11/26 10:02:00), 0.0 (21/11/26 10:01:00)] was less than the threshold (1.0) (minimum 2 datapoints for OK -> ALARM transition)."

//go:embed testdata/*.json
var files embed.FS

// Load decodes an SNS event fixture the way the Lambda runtime does.
func Load(t testing.TB, name string) events.SNSEvent {
	t.Helper()
	b, err := files.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	var ev events.SNSEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	if len(ev.Records) == 0 {
		t.Fatalf("fixture %s has no records", name)
	}
	return ev
}

// Message is the Message of a fixture's first record.
func Message(t testing.TB, name string) string {
	t.Helper()
	return Load(t, name).Records[0].SNS.Message
}

// Edited is the Message of a fixture's first record with edit applied to its decoded JSON, so every
// variant keeps the rest of CloudWatch's format.
func Edited(t testing.TB, name string, edit func(m map[string]any)) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(Message(t, name)), &m); err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	edit(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return string(b)
}

// Trigger is the Trigger object of a decoded notification.
func Trigger(m map[string]any) map[string]any { return m["Trigger"].(map[string]any) }

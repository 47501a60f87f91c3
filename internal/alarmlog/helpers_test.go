package alarmlog_test

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/webhealth/webhealth/internal/testutil/snsevents"
)

const (
	prefix   = "webhealth-prod"
	targetID = "0f8fad5bd9cb469fa16570867728950e"

	awsSNSEvent       = snsevents.AWSSNSEvent
	awsSingleMetric   = snsevents.AWSSingleMetric
	awsMultipleMetric = snsevents.AWSMultipleMetric
	ourAlarm          = snsevents.OurAlarm
	ourOK             = snsevents.OurOK

	alarmReason = snsevents.OurAlarmReason
)

func loadEvent(t testing.TB, name string) events.SNSEvent { t.Helper(); return snsevents.Load(t, name) }

func message(t testing.TB, name string) string { t.Helper(); return snsevents.Message(t, name) }

func variant(t testing.TB, edit func(m map[string]any)) string {
	t.Helper()
	return snsevents.Edited(t, ourAlarm, edit)
}

func trigger(m map[string]any) map[string]any { return snsevents.Trigger(m) }

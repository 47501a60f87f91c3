package alarmevent_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/alarmevent"
	"github.com/webhealth/webhealth/internal/testutil/snsevents"
)

func TestParseAlarm(t *testing.T) {
	t.Parallel()
	heartbeat := alarmevent.Alarm{
		Name:        "webhealth-prod-crawler-heartbeat",
		Description: "webhealth-prod: the crawler has not completed a run for two crawl intervals (docs/runbook.md#crawler-heartbeat)",
		ARN:         "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:webhealth-prod-crawler-heartbeat",
		Region:      "eu-west-1", NewState: "ALARM", OldState: "OK",
		Reason:          "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as [Breaching].",
		StateChangeTime: ms("2026-11-21T10:10:31.802Z"),
	}
	edited := func(edit func(m map[string]any)) string { return snsevents.Edited(t, snsevents.OurHeartbeat, edit) }
	tests := []struct {
		name    string
		message string
		want    alarmevent.Alarm
		wantErr string
	}{
		{name: "ops alarm", message: snsevents.Message(t, snsevents.OurHeartbeat), want: heartbeat},
		{name: "target alarm", message: message(t, ourAlarm), want: alarmevent.Alarm{
			Name: prefix + "-" + targetID + "-availability", Description: "https://example.com/health is unavailable (managed by webhealth crawler)",
			ARN:    "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:" + prefix + "-" + targetID + "-availability",
			Region: "eu-west-1", NewState: "ALARM", OldState: "OK", Reason: alarmReason, StateChangeTime: ms("2026-11-21T10:03:12.345Z"),
		}},
		{name: "AWS example", message: message(t, awsSingleMetric), want: alarmevent.Alarm{
			Name: "EXAMPLE", Description: "EXAMPLE", ARN: "arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:EXAMPLE", Region: "REGION",
			NewState: "ALARM", OldState: "INSUFFICIENT_DATA", Reason: "Threshold Crossed: 1 out of the last 1 datapoints [1234.0 (06/03/15 17:43:27)] was greater than the threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition).",
			StateChangeTime: ms("2015-06-03T17:43:27.123Z"),
		}},
		{name: "null description, no ARN", message: edited(func(m map[string]any) { m["AlarmDescription"] = nil; delete(m, "AlarmArn") }),
			want: func() alarmevent.Alarm { a := heartbeat; a.Description, a.ARN, a.Region = "", "", ""; return a }()},
		{name: "not JSON", message: "hello", wantErr: "not a CloudWatch alarm notification"},
		{name: "no name", message: edited(func(m map[string]any) { delete(m, "AlarmName") }), wantErr: "missing AlarmName"},
		{name: "bad old state", message: edited(func(m map[string]any) { m["OldStateValue"] = "PANIC" }), wantErr: `OldStateValue "PANIC"`},
		{name: "bad time", message: edited(func(m map[string]any) { m["StateChangeTime"] = "yesterday" }), wantErr: `StateChangeTime "yesterday"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := alarmevent.ParseAlarm(tc.message)
			if tc.wantErr != "" {
				require.ErrorIs(t, err, alarmevent.ErrNotAlarm)
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// The heartbeat fixture names no target: Parse says so, and the notifier reads it with ParseAlarm.
func TestHeartbeatIsNotATargetAlarm(t *testing.T) {
	t.Parallel()
	_, err := alarmevent.NewParser(prefix).Parse(snsevents.Message(t, snsevents.OurHeartbeat))
	assert.ErrorIs(t, err, alarmevent.ErrNoTarget)
}

func TestParseCertificateFixture(t *testing.T) {
	t.Parallel()
	c, err := alarmevent.NewParser(prefix).Parse(snsevents.Message(t, snsevents.OurCertificate))
	require.NoError(t, err)
	assert.Equal(t, "certificate", c.Kind)
	assert.Equal(t, targetID, c.TargetID)
	assert.Equal(t, "CertDaysRemaining", c.MetricName)
}

func FuzzParseAlarm(f *testing.F) {
	f.Add(snsevents.Message(f, snsevents.OurHeartbeat))
	f.Add(snsevents.Message(f, ourAlarm))
	f.Add(`{"AlarmName":"x","NewStateValue":"OK","StateChangeTime":"2026-11-21T10:00:00Z","AlarmArn":"arn:"}`)
	f.Fuzz(func(t *testing.T, msg string) {
		a, err := alarmevent.ParseAlarm(msg)
		if err != nil {
			assert.ErrorIs(t, err, alarmevent.ErrNotAlarm)
			return
		}
		assert.NotEmpty(t, a.Name)
		assert.Contains(t, []string{"OK", "ALARM", "INSUFFICIENT_DATA"}, a.NewState)
		assert.False(t, a.StateChangeTime.IsZero())
	})
}

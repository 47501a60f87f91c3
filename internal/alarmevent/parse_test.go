package alarmevent_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/alarmevent"
	"github.com/webhealth/webhealth/internal/contract"
	"github.com/webhealth/webhealth/internal/target"
	"github.com/webhealth/webhealth/internal/testutil/snsevents"
)

const (
	prefix   = "webhealth-prod"
	targetID = "0f8fad5bd9cb469fa16570867728950e"
	otherID  = "9a1b2c3d4e5f60718293a4b5c6d7e8f9"

	awsSNSEvent       = snsevents.AWSSNSEvent
	awsSingleMetric   = snsevents.AWSSingleMetric
	awsMultipleMetric = snsevents.AWSMultipleMetric
	ourAlarm          = snsevents.OurAlarm
	ourOK             = snsevents.OurOK
)

func message(t testing.TB, name string) string { t.Helper(); return snsevents.Message(t, name) }

func variant(t testing.TB, edit func(m map[string]any)) string {
	t.Helper()
	return snsevents.Edited(t, ourAlarm, edit)
}

func trigger(m map[string]any) map[string]any { return snsevents.Trigger(m) }

func dims(pairs ...string) []any {
	var out []any
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, map[string]any{"name": pairs[i], "value": pairs[i+1]})
	}
	return out
}

func ms(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

const alarmReason = snsevents.OurAlarmReason

func TestParse(t *testing.T) {
	t.Parallel()
	ourName := prefix + "-" + targetID + "-availability"
	alarm := alarmevent.StateChange{
		TargetID: targetID, Kind: contract.AlarmKindAvailability, AlarmName: ourName,
		NewState: "ALARM", OldState: "OK", Reason: alarmReason,
		StateChangeTime: ms("2026-11-21T10:03:12.345Z"), MetricName: "Availability",
	}
	with := func(edit func(c *alarmevent.StateChange)) alarmevent.StateChange {
		c := alarm
		edit(&c)
		return c
	}

	tests := []struct {
		name    string
		message string
		want    alarmevent.StateChange
		wantErr error
	}{
		{name: "our availability ALARM", message: message(t, ourAlarm), want: alarm},
		{
			name: "our availability OK", message: message(t, ourOK),
			want: with(func(c *alarmevent.StateChange) {
				c.NewState, c.OldState = "OK", "ALARM"
				c.Reason = "Threshold Crossed: 2 out of the last 2 datapoints [1.0 (21/11/26 10:08:00), 1.0 (21/11/26 10:07:00)] was not less than the threshold (1.0) (minimum 1 datapoint for ALARM -> OK transition)."
				c.StateChangeTime = ms("2026-11-21T10:09:12.601Z")
			}),
		},
		{
			name: "latency alarm without dimensions: target and kind from the name",
			message: variant(t, func(m map[string]any) {
				m["AlarmName"] = prefix + "-" + targetID + "-latency"
				m["NewStateValue"], m["OldStateValue"] = "INSUFFICIENT_DATA", "ALARM"
				trigger(m)["MetricName"] = "Latency"
				delete(trigger(m), "Dimensions")
			}),
			want: with(func(c *alarmevent.StateChange) {
				c.AlarmName, c.Kind, c.MetricName = prefix+"-"+targetID+"-latency", contract.AlarmKindLatency, "Latency"
				c.NewState, c.OldState = "INSUFFICIENT_DATA", "ALARM"
			}),
		},
		{
			name: "TargetId dimension wins over the name",
			message: variant(t, func(m map[string]any) {
				m["AlarmName"] = "hand-made alarm"
				trigger(m)["Dimensions"] = dims("Region", "eu-west-1", "TargetId", otherID)
			}),
			want: with(func(c *alarmevent.StateChange) { c.TargetID, c.AlarmName = otherID, "hand-made alarm" }),
		},
		{
			name: "fields Parse does not read may have any type",
			message: variant(t, func(m map[string]any) {
				m["AlarmActions"], m["Region"], m["AWSAccountId"] = "one", 1, []any{}
				trigger(m)["Threshold"], trigger(m)["Period"] = "high", "1m"
			}),
			want: alarm,
		},
		{
			name: "invalid TargetId dimension falls back to the name",
			message: variant(t, func(m map[string]any) {
				trigger(m)["Dimensions"] = dims("TargetId", "NOT-AN-ID")
			}),
			want: alarm,
		},
		{
			name: "metric math alarm (Metrics form) with the target on a metric stat",
			message: variant(t, func(m map[string]any) {
				m["AlarmName"] = "ops-p99-math"
				tr := trigger(m)
				for _, k := range []string{"MetricName", "Namespace", "StatisticType", "Statistic", "Unit", "Dimensions"} {
					delete(tr, k)
				}
				tr["Metrics"] = []any{
					map[string]any{"Expression": "m1*1", "Id": "e1", "Label": "Expression1", "ReturnData": true},
					map[string]any{"Id": "m1", "ReturnData": false, "MetricStat": map[string]any{
						"Metric": map[string]any{"MetricName": "Latency", "Namespace": "WebHealth/webhealth-prod",
							"Dimensions": dims("TargetId", targetID, "Region", "eu-west-1")},
						"Period": 60, "Stat": "p99",
					}},
				}
			}),
			want: with(func(c *alarmevent.StateChange) {
				c.AlarmName, c.Kind, c.MetricName = "ops-p99-math", contract.AlarmKindLatency, "Latency"
			}),
		},
		{
			name: "RFC 3339 StateChangeTime with an offset",
			message: variant(t, func(m map[string]any) {
				m["StateChangeTime"] = "2026-11-21T11:03:12.345+01:00"
			}),
			want: alarm,
		},
		{name: "aws example single metric: not a target's alarm", message: message(t, awsSingleMetric), wantErr: alarmevent.ErrNoTarget},
		{name: "aws example multiple metrics: not a target's alarm", message: message(t, awsMultipleMetric), wantErr: alarmevent.ErrNoTarget},
		{name: "aws example SNS text message", message: message(t, awsSNSEvent), wantErr: alarmevent.ErrNotAlarm},
		{
			name: "another prefix's alarm",
			message: variant(t, func(m map[string]any) {
				m["AlarmName"] = "webhealth-dev-" + targetID + "-availability"
				delete(trigger(m), "Dimensions")
			}),
			wantErr: alarmevent.ErrNoTarget,
		},
		{
			name: "upper-case id in the name",
			message: variant(t, func(m map[string]any) {
				m["AlarmName"] = prefix + "-0F8FAD5BD9CB469FA16570867728950E-availability"
				delete(trigger(m), "Dimensions")
			}),
			wantErr: alarmevent.ErrNoTarget,
		},
		{
			name: "certificate alarm",
			message: variant(t, func(m map[string]any) {
				m["AlarmName"] = prefix + "-" + targetID + "-certificate"
				trigger(m)["MetricName"] = "CertDaysRemaining"
			}),
			want: with(func(c *alarmevent.StateChange) {
				c.AlarmName, c.Kind, c.MetricName = prefix+"-"+targetID+"-certificate", contract.AlarmKindCertificate, "CertDaysRemaining"
			}),
		},
		{
			name: "certificate alarm by another name: kind from the metric",
			message: variant(t, func(m map[string]any) {
				m["AlarmName"] = "hand-made cert alarm"
				trigger(m)["MetricName"] = "CertDaysRemaining"
			}),
			want: with(func(c *alarmevent.StateChange) {
				c.AlarmName, c.Kind, c.MetricName = "hand-made cert alarm", contract.AlarmKindCertificate, "CertDaysRemaining"
			}),
		},
		{
			name: "target alarm of another kind",
			message: variant(t, func(m map[string]any) {
				m["AlarmName"] = prefix + "-" + targetID + "-errors"
				trigger(m)["MetricName"] = "Errors"
			}),
			wantErr: alarmevent.ErrUnknownKind,
		},
		{name: "unknown new state", message: variant(t, func(m map[string]any) { m["NewStateValue"] = "PANIC" }), wantErr: alarmevent.ErrNotAlarm},
		{name: "unknown old state", message: variant(t, func(m map[string]any) { m["OldStateValue"] = "maybe" }), wantErr: alarmevent.ErrNotAlarm},
		{name: "bad StateChangeTime", message: variant(t, func(m map[string]any) { m["StateChangeTime"] = "yesterday" }), wantErr: alarmevent.ErrNotAlarm},
		{name: "missing AlarmName", message: variant(t, func(m map[string]any) { delete(m, "AlarmName") }), wantErr: alarmevent.ErrNotAlarm},
		{name: "wrong type", message: variant(t, func(m map[string]any) { m["NewStateValue"] = 1 }), wantErr: alarmevent.ErrNotAlarm},
		{name: "empty message", message: "", wantErr: alarmevent.ErrNotAlarm},
		{name: "JSON null", message: "null", wantErr: alarmevent.ErrNotAlarm},
		{name: "JSON array", message: `[{"AlarmName":"x"}]`, wantErr: alarmevent.ErrNotAlarm},
		{name: "truncated JSON", message: message(t, ourAlarm)[:200], wantErr: alarmevent.ErrNotAlarm},
	}
	p := alarmevent.NewParser(prefix)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := p.Parse(tc.message)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				for _, other := range []error{alarmevent.ErrNotAlarm, alarmevent.ErrNoTarget, alarmevent.ErrUnknownKind} {
					if other != tc.wantErr {
						assert.NotErrorIs(t, err, other)
					}
				}
				assert.Equal(t, alarmevent.StateChange{}, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseErrorSaysWhy(t *testing.T) {
	t.Parallel()
	p := alarmevent.NewParser(prefix)
	_, err := p.Parse(message(t, awsSingleMetric))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `alarm "EXAMPLE" has no valid TargetId dimension`)
	assert.Contains(t, err.Error(), prefix+"-<target id>-(availability|latency|certificate|verdict|degraded)")

	_, err = p.Parse(variant(t, func(m map[string]any) { delete(m, "AlarmName"); delete(m, "StateChangeTime") }))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing AlarmName, StateChangeTime")
}

// FuzzParse: the parser never panics, and every message either yields a change of a real target
// with a known kind, state and time, or an error of one of the three kinds (which the handler turns
// into a raw record; FuzzHandle checks that side).
func FuzzParse(f *testing.F) {
	for _, name := range []string{awsSNSEvent, awsSingleMetric, awsMultipleMetric, ourAlarm, ourOK} {
		f.Add(message(f, name))
	}
	f.Add(`{"AlarmName":"webhealth-prod-0f8fad5bd9cb469fa16570867728950e-latency","NewStateValue":"OK","StateChangeTime":"2026-01-01T00:00:00Z"}`)
	f.Add(`{"AlarmName":"x","NewStateValue":"OK","StateChangeTime":"2026-01-01T00:00:00Z","Trigger":{"Metrics":[{"Id":"m1","MetricStat":{"Metric":{"MetricName":"Latency","Dimensions":[{"name":"TargetId","value":"0f8fad5bd9cb469fa16570867728950e"}]}}}]}}`)
	p := alarmevent.NewParser(prefix)
	f.Fuzz(func(t *testing.T, msg string) {
		c, err := p.Parse(msg)
		if err != nil {
			assert.True(t, errorsIsAny(err, alarmevent.ErrNotAlarm, alarmevent.ErrNoTarget, alarmevent.ErrUnknownKind), "unclassified error %v", err)
			assert.Equal(t, alarmevent.StateChange{}, c)
			return
		}
		assert.True(t, target.ValidID(c.TargetID), "target id %q", c.TargetID)
		assert.Contains(t, contract.AlarmKinds(), c.Kind)
		assert.Contains(t, []string{"OK", "ALARM", "INSUFFICIENT_DATA"}, c.NewState)
		assert.NotEmpty(t, c.AlarmName)
		assert.False(t, c.StateChangeTime.IsZero())
		assert.Equal(t, time.UTC, c.StateChangeTime.Location())
	})
}

func BenchmarkParse(b *testing.B) {
	p := alarmevent.NewParser(prefix)
	msg := message(b, ourAlarm)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Parse(msg); err != nil {
			b.Fatal(err)
		}
	}
}

func errorsIsAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

// TestParseVerdictAlarms: the home region's verdict alarm (one metric, RegionsDown by TargetId alone) and
// its degraded alarm (metric math: the target from the query that carries TargetId, the kind from the
// name) are changes of their target, as CloudWatch sends them.
func TestParseVerdictAlarms(t *testing.T) {
	t.Parallel()
	p := alarmevent.NewParser(prefix)
	tests := []struct {
		name, message string
		want          alarmevent.StateChange
		newest        float64
		hasNewest     bool
	}{
		{name: "verdict ALARM", message: message(t, snsevents.OurVerdict), newest: 3, hasNewest: true, want: alarmevent.StateChange{
			TargetID: targetID, Kind: contract.AlarmKindVerdict, AlarmName: prefix + "-" + targetID + "-verdict",
			NewState: "ALARM", OldState: "OK", StateChangeTime: ms("2026-11-21T10:03:12.345Z"), MetricName: contract.MetricRegionsDown,
			Reason: "Threshold Crossed: 2 out of the last 2 datapoints [3.0 (21/11/26 10:02:00), 2.0 (21/11/26 10:01:00)] was greater than or equal to the threshold (2.0) (minimum 2 datapoints for OK -> ALARM transition).",
		}},
		{name: "verdict OK", message: message(t, snsevents.OurVerdictOK), newest: 0, hasNewest: true, want: alarmevent.StateChange{
			TargetID: targetID, Kind: contract.AlarmKindVerdict, AlarmName: prefix + "-" + targetID + "-verdict",
			NewState: "OK", OldState: "ALARM", StateChangeTime: ms("2026-11-21T10:09:12.601Z"), MetricName: contract.MetricRegionsDown,
			Reason: "Threshold Crossed: 2 out of the last 2 datapoints [0.0 (21/11/26 10:08:00), 0.0 (21/11/26 10:07:00)] was not greater than or equal to the threshold (2.0) (minimum 2 datapoints for ALARM -> OK transition).",
		}},
		{name: "degraded ALARM (metric math)", message: message(t, snsevents.OurDegraded), newest: 1, hasNewest: true, want: alarmevent.StateChange{
			TargetID: targetID, Kind: contract.AlarmKindDegraded, AlarmName: prefix + "-" + targetID + "-degraded",
			NewState: "ALARM", OldState: "OK", StateChangeTime: ms("2026-11-21T10:03:12.345Z"), MetricName: contract.MetricRegionsDown,
			Reason: "Threshold Crossed: 2 out of the last 2 datapoints [1.0 (21/11/26 10:02:00), 1.0 (21/11/26 10:01:00)] was greater than or equal to the threshold (1.0) (minimum 2 datapoints for OK -> ALARM transition).",
		}},
		{name: "degraded named by hand: the kind from the suffix", message: snsevents.Edited(t, snsevents.OurDegraded, func(m map[string]any) {
			m["AlarmName"] = "my-degraded"
			m["NewStateReason"] = "set by hand"
		}), want: alarmevent.StateChange{
			TargetID: targetID, Kind: contract.AlarmKindDegraded, AlarmName: "my-degraded", Reason: "set by hand",
			NewState: "ALARM", OldState: "OK", StateChangeTime: ms("2026-11-21T10:03:12.345Z"), MetricName: contract.MetricRegionsDown,
		}},
		{name: "verdict named by hand", message: snsevents.Edited(t, snsevents.OurVerdict, func(m map[string]any) { m["AlarmName"] = "x-verdict" }),
			newest: 3, hasNewest: true, want: alarmevent.StateChange{
				TargetID: targetID, Kind: contract.AlarmKindVerdict, AlarmName: "x-verdict",
				NewState: "ALARM", OldState: "OK", StateChangeTime: ms("2026-11-21T10:03:12.345Z"), MetricName: contract.MetricRegionsDown,
				Reason: "Threshold Crossed: 2 out of the last 2 datapoints [3.0 (21/11/26 10:02:00), 2.0 (21/11/26 10:01:00)] was greater than or equal to the threshold (2.0) (minimum 2 datapoints for OK -> ALARM transition).",
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := p.Parse(tc.message)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			v, ok := got.NewestDatapoint()
			assert.Equal(t, tc.hasNewest, ok)
			assert.Equal(t, tc.newest, v)
		})
	}
	_, err := p.Parse(snsevents.Edited(t, snsevents.OurVerdict, func(m map[string]any) {
		m["AlarmName"] = "x-regionsdown"
	}))
	require.ErrorIs(t, err, alarmevent.ErrUnknownKind, "RegionsDown alone does not say verdict or degraded")
}

func TestNewestDatapoint(t *testing.T) {
	t.Parallel()
	for reason, want := range map[string]float64{
		"Threshold Crossed: 1 datapoint [2.0 (02/12/26 08:00:00)] was greater than or equal to the threshold (2.0).":             2,
		"Threshold Crossed: 2 out of the last 3 datapoints [12.5 (21/11/26 10:02:00), 1.0 (21/11/26 10:01:00)] was greater than": 12.5,
		"Threshold Crossed: 1 out of the last 1 datapoints [1.0E-4 (21/11/26 10:02:00)] was greater than":                        0.0001,
		alarmReason: 0,
	} {
		c := alarmevent.StateChange{Reason: reason}
		got, ok := c.NewestDatapoint()
		assert.True(t, ok, reason)
		assert.Equal(t, want, got, reason)
	}
	for _, reason := range []string{"", "Unchecked: Initial alarm creation", "Insufficient Data: 2 datapoints were unknown.", "datapoints [abc (x)]"} {
		_, ok := alarmevent.StateChange{Reason: reason}.NewestDatapoint()
		assert.False(t, ok, reason)
	}
}

package notify

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/webhealth/webhealth/internal/target"
)

func TestTargetEvent(t *testing.T) {
	t.Parallel()
	single := Routing{}
	multi := Routing{MultiRegion: true, Home: true}
	multiDegraded := Routing{MultiRegion: true, Home: true, NotifyDegraded: true}
	other := Routing{MultiRegion: true}
	tests := []struct {
		route          Routing
		kind, old, new string
		want           string
		maybe          bool
	}{
		// One region: the regional alarms tell.
		{single, "availability", "OK", "ALARM", EventDown, false},
		{single, "availability", "INSUFFICIENT_DATA", "ALARM", EventDown, false},
		{single, "availability", "", "ALARM", EventDown, false},
		{single, "latency", "OK", "ALARM", EventSlow, false},
		{single, "certificate", "OK", "ALARM", EventCertificate, false},
		{single, "availability", "ALARM", "OK", EventRecovered, false},
		{single, "certificate", "ALARM", "OK", EventRecovered, false},
		{single, "availability", "INSUFFICIENT_DATA", "OK", "", true},
		{single, "availability", "ALARM", "ALARM", "", false},
		{single, "availability", "OK", "INSUFFICIENT_DATA", "", false},
		{single, "availability", "ALARM", "INSUFFICIENT_DATA", "", false},
		{single, "availability", "OK", "OK", "", false},
		{single, "errors", "OK", "ALARM", "", false},
		// Several regions: the verdict tells DOWN, a region's availability alarm nobody.
		{multi, "verdict", "OK", "ALARM", EventDown, false},
		{multi, "verdict", "INSUFFICIENT_DATA", "ALARM", EventDown, false},
		{multi, "verdict", "ALARM", "OK", EventRecovered, false},
		{multi, "verdict", "INSUFFICIENT_DATA", "OK", "", true},
		{multi, "verdict", "OK", "INSUFFICIENT_DATA", "", false},
		{multi, "availability", "OK", "ALARM", "", false},
		{multi, "availability", "ALARM", "OK", "", false},
		{multi, "availability", "INSUFFICIENT_DATA", "OK", "", false},
		{multi, "latency", "OK", "ALARM", EventSlow, false},
		{multi, "certificate", "OK", "ALARM", EventCertificate, false},
		{multi, "latency", "ALARM", "OK", EventRecovered, false},
		// degraded: only when configured.
		{multi, "degraded", "OK", "ALARM", "", false},
		{multi, "degraded", "ALARM", "OK", "", false},
		{multi, "degraded", "INSUFFICIENT_DATA", "OK", "", false},
		{multiDegraded, "degraded", "OK", "ALARM", EventDegraded, false},
		{multiDegraded, "degraded", "ALARM", "OK", EventRecovered, false},
		{multiDegraded, "degraded", "INSUFFICIENT_DATA", "OK", "", true},
		{multiDegraded, "degraded", "ALARM", "INSUFFICIENT_DATA", "", false},
		{multiDegraded, "availability", "OK", "ALARM", "", false},
		{multiDegraded, "verdict", "OK", "ALARM", EventDown, false},
		// Another region of several: its latency alone is told; its certificate is the home region's to tell.
		{other, "latency", "OK", "ALARM", EventSlow, false},
		{other, "latency", "ALARM", "OK", EventRecovered, false},
		{other, "certificate", "OK", "ALARM", "", false},
		{other, "certificate", "ALARM", "OK", "", false},
		{other, "availability", "OK", "ALARM", "", false},
		{single, "certificate", "ALARM", "OK", EventRecovered, false},
	}
	for _, tc := range tests {
		name := fmt.Sprintf("multi %t home %t degraded %t %s %s to %s", tc.route.MultiRegion, tc.route.Home, tc.route.NotifyDegraded, tc.kind, tc.old, tc.new)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, maybe := tc.route.TargetEvent(tc.kind, tc.old, tc.new)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.maybe, maybe)
			silenced := tc.route.Silenced(tc.kind) != ""
			if silenced {
				assert.Empty(t, got, "a silenced kind tells nothing")
				assert.False(t, maybe)
			}
		})
	}
}

func TestOpsEvent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ old, new, want string }{
		{"OK", "ALARM", EventOpsAlarm}, {"INSUFFICIENT_DATA", "ALARM", EventOpsAlarm}, {"ALARM", "OK", EventOpsRecovered},
		{"INSUFFICIENT_DATA", "OK", ""}, {"ALARM", "ALARM", ""}, {"OK", "INSUFFICIENT_DATA", ""}, {"ALARM", "INSUFFICIENT_DATA", ""},
	} {
		t.Run(tc.old+" to "+tc.new, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, opsEvent(tc.old, tc.new))
		})
	}
}

func TestTexts(t *testing.T) {
	t.Parallel()
	t.Run("durations", func(t *testing.T) {
		t.Parallel()
		for d, want := range map[time.Duration]string{
			0: "0 s", 45*time.Second + 400*time.Millisecond: "45 s", 12*time.Minute + 34*time.Second: "12 min 34 s",
			3*time.Hour + 5*time.Minute: "3 h 5 min", 52 * time.Hour: "2 d 4 h",
		} {
			assert.Equal(t, want, humanDuration(d))
		}
	})
	t.Run("alarm URL escapes the name and region", func(t *testing.T) {
		t.Parallel()
		assert.Equal(t, "https://c.example/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/a%20b%2Fc", AlarmURL("https://c.example", "eu-west-1", "a b/c"))
	})
	t.Run("headlines", func(t *testing.T) {
		t.Parallel()
		tg := &target.Target{Name: "shop", LatencyThresholdMS: 800}
		days := 1
		for _, tc := range []struct {
			e    Event
			want string
		}{
			{Event{Event: EventDown, Target: tg}, "DOWN: shop is not available"},
			{Event{Event: EventSlow, Target: tg}, "SLOW: shop answers slower than 800 ms"},
			{Event{Event: EventCertificate, Target: tg, LastCheck: &target.LastCheck{CertDaysRemaining: &days}}, "CERTIFICATE EXPIRES: the certificate of shop expires in 1 day"},
			{Event{Event: EventCertificate, Target: tg}, "CERTIFICATE EXPIRES: the certificate of shop expires soon"},
			{Event{Event: EventRecovered, Kind: "availability", Target: tg}, "RECOVERED: shop is available again"},
			{Event{Event: EventRecovered, Kind: "latency", Target: tg}, "RECOVERED: shop answers within 800 ms again"},
			{Event{Event: EventRecovered, Kind: "certificate", Target: tg}, "RECOVERED: the certificate of shop is no longer about to expire"},
			{Event{Event: EventOpsAlarm, AlarmName: "wh-api-5xx"}, "OPS ALARM: wh-api-5xx"},
			{Event{Event: EventOpsRecovered, AlarmName: "wh-api-5xx"}, "OPS RECOVERED: wh-api-5xx"},
		} {
			assert.Equal(t, tc.want, tc.e.Headline())
		}
	})
	t.Run("a check without a response, and none yet", func(t *testing.T) {
		t.Parallel()
		at := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
		e := Event{Event: EventDown, Target: &target.Target{}, LastCheck: &target.LastCheck{CheckedAt: at, LatencyMS: 10000, Error: "timeout after 10000ms"}}
		assert.Equal(t, "2026-11-21 10:00:00 UTC: not available, no response, 10000 ms", e.lastCheckText())
		e.LastCheck = nil
		assert.Equal(t, "none recorded yet", e.lastCheckText())
	})
	t.Run("slack mrkdwn is escaped and long text truncated", func(t *testing.T) {
		t.Parallel()
		assert.Equal(t, "&lt;!channel&gt; &amp; co", slackEscape("<!channel> & co"))
		assert.Equal(t, "abcd…", truncate("abcdefgh", 5))
		assert.Equal(t, "abc", truncate("abc", 5))
	})
}

// TestHostileNamesStayText: a target name cannot ping a Slack channel or break its link markup.
func TestHostileNamesStayText(t *testing.T) {
	t.Parallel()
	e := Event{Event: EventDown, Kind: "availability", AlarmName: "a", AlarmURL: "https://c/x", Region: "r",
		Target: &target.Target{Name: "<!channel> <https://evil|click>", URL: "https://example.com/a|b>"}}
	msg := slackMessage(e)
	text := msg.Blocks[1].Text.Text
	assert.NotContains(t, text, "<!channel>")
	assert.NotContains(t, text, "<https://evil")
	assert.Contains(t, text, "(<https://example.com/a%7Cb&gt;>)")
	assert.NotContains(t, msg.Text, "<!channel>")
}

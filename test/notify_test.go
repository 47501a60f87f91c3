//go:build e2e

package test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/gruntwork-io/terratest/modules/retry"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/awsconfig/cwquery"
	"github.com/webhealth/webhealth/internal/target"
)

// The notification cases run on the local stack with its json webhook (the suite's receiver): a person is
// told once per state change, never of a muted target, of an expiring certificate, and of a crawler that
// stopped.

// recordsOf is the target's alarm history of one alarm, newest first.
func (s *stack) recordsOf(t *testing.T, id, alarm string) ([]alarmRecord, error) {
	t.Helper()
	all, err := s.api.alarmHistoryE(t.Context(), id)
	if err != nil {
		return nil, err
	}
	var out []alarmRecord
	for _, r := range all {
		if r.AlarmName == alarm {
			out = append(out, r)
		}
	}
	return out, nil
}

// crawlUntilRecord crawls until the alarm's history holds a record that satisfies ok, and returns it.
func (s *stack) crawlUntilRecord(t *testing.T, id, alarm, what string, rounds int, ok func(alarmRecord) bool) alarmRecord {
	t.Helper()
	var found alarmRecord
	retry.DoWithRetry(t, what, rounds, 3*time.Second, func() (string, error) {
		if err := s.crawlNowE(t); err != nil {
			return "", err
		}
		recs, err := s.recordsOf(t, id, alarm)
		if err != nil {
			return "", err
		}
		for _, r := range recs {
			if ok(r) {
				found = r
				return "", nil
			}
		}
		return "", fmt.Errorf("no such record of %s yet (history: %+v)", alarm, recs)
	})
	return found
}

// assertTargetNotification checks the generic json body's members for a target alarm.
func assertTargetNotification(t *testing.T, s *stack, n received, tg apiTarget, alarm, event, state, kind string) {
	t.Helper()
	assert.Equal(t, "application/json", strings.Split(n.ContentType, ";")[0], "the json format is JSON")
	assert.Equal(t, event, n.Event)
	assert.Equal(t, state, n.State)
	assert.Equal(t, kind, n.Kind)
	require.NotNil(t, n.Target, "%s", n.Body)
	assert.Equal(t, notifiedTarget{ID: tg.ID, Name: tg.Name, URL: tg.URL}, *n.Target)
	assert.NotEmpty(t, n.Reason, "what the alarm saw")
	changed, err := time.Parse(time.RFC3339, n.ChangedAt)
	require.NoError(t, err, "changed_at is RFC 3339: %q", n.ChangedAt)
	assert.WithinDuration(t, time.Now(), changed, 15*time.Minute)
	assert.Equal(t, s.region, n.Region)
	assert.Equal(t, alarm, n.AlarmName)
	u, err := url.Parse(n.AlarmURL)
	require.NoError(t, err, "alarm_url: %q", n.AlarmURL)
	assert.Equal(t, "https", u.Scheme)
	assert.Contains(t, n.AlarmURL, "region="+s.region)
	assert.Contains(t, n.AlarmURL, url.PathEscape(alarm), "the link opens the alarm")
	for _, m := range []string{"event", "state", "kind", "target", "reason", "changed_at", "region", "last_check"} {
		assert.Contains(t, n.Members, m, "the json body always has %s: %s", m, n.Body)
	}
}

// TestNotifyDownOnceAndRecoveredOnce: a watched site comes up (the alarms' first evaluation, to OK, tells
// nobody), goes down (exactly one DOWN webhook with the target, the last check and a link to the alarm,
// also when SNS delivers the notification twice) and comes back (exactly one RECOVERED webhook, also when
// delivered twice).
func TestNotifyDownOnceAndRecoveredOnce(t *testing.T) {
	t.Parallel()
	s := testStack(t)
	hooks := s.webhooks(t)
	out := s.outputs(t)
	site := newTestSite(t)
	created, _ := s.api.createTarget(t, map[string]any{
		"url": site.url("notify"), "name": "e2e notify " + uniqueName(), "timeout_ms": 1000, "latency_threshold_ms": 900,
	})
	// With several regions the outage's DOWN is the home region's verdict alarm's: a region's availability
	// alarm is recorded, not told (docs/design.md, "Alerting follows the verdict").
	kind := "availability"
	if len(s.regions) > 1 {
		kind = "verdict"
	}
	alarm := fmt.Sprintf("%s-%s-%s", out.AlarmPrefix, created.ID, kind)
	mine := forTarget(created.ID)
	events := func(event string) []received {
		return hooks.matching(func(r received) bool { return mine(r) && r.Event == event })
	}

	// Up: the new alarms' first evaluation (INSUFFICIENT_DATA to OK) is recorded and is no recovery.
	first := s.crawlUntilRecord(t, created.ID, alarm, "the first evaluation of the "+kind+" alarm", 10,
		func(r alarmRecord) bool { return r.NewState == "OK" })
	assert.NotEqual(t, "ALARM", first.OldState)

	site.set(siteDown)
	alarmed := s.crawlUntilRecord(t, created.ID, alarm, "the ALARM record", 10, func(r alarmRecord) bool { return r.NewState == "ALARM" })
	down := hooks.waitFor(t, "DOWN of "+created.ID, time.Minute, func(r received) bool { return mine(r) && r.Event == "DOWN" })
	require.Len(t, down, 1, "one DOWN webhook: %v", down)
	assertTargetNotification(t, s, down[0], created, alarm, "DOWN", "ALARM", kind)
	assert.Equal(t, alarmed.MessageID, down[0].MessageID, "the notification of the recorded state change")
	assert.EqualValues(t, http.StatusServiceUnavailable, down[0].LastCheck["status_code"], "the last check's status: %s", down[0].Body)
	assert.Equal(t, false, down[0].LastCheck["available"])
	assert.Contains(t, fmt.Sprint(down[0].LastCheck["error"]), "503")
	assert.Contains(t, down[0].LastCheck, "latency_ms")

	t.Run("SNS delivers the DOWN notification twice: still one webhook", func(t *testing.T) {
		s.redeliver(t, alarmed.MessageID)
		s.redeliver(t, alarmed.MessageID)
		assert.Len(t, events("DOWN"), 1, "a redelivered MessageId is not posted again")
	})

	site.set(siteOK)
	// The alarm judges whole 60 s periods: it recovers in the first one holding only good checks.
	recovered := s.crawlUntilRecord(t, created.ID, alarm, "the OK record after the ALARM", 40, func(r alarmRecord) bool {
		return r.NewState == "OK" && r.OldState == "ALARM"
	})
	up := hooks.waitFor(t, "RECOVERED of "+created.ID, time.Minute, func(r received) bool { return mine(r) && r.Event == "RECOVERED" })
	require.Len(t, up, 1, "one RECOVERED webhook: %v", up)
	assertTargetNotification(t, s, up[0], created, alarm, "RECOVERED", "OK", kind)
	assert.Equal(t, recovered.MessageID, up[0].MessageID)
	assert.Equal(t, true, up[0].LastCheck["available"], "the last check after the recovery: %s", up[0].Body)
	if assert.NotEmpty(t, up[0].Since, "down since when: %s", up[0].Body) {
		since, err := time.Parse(time.RFC3339, up[0].Since)
		require.NoError(t, err)
		began, err := time.Parse(time.RFC3339, alarmed.StateChangeTime)
		require.NoError(t, err)
		assert.WithinDuration(t, began, since, time.Second, "since = when the ALARM began")
	}

	t.Run("SNS delivers the RECOVERED notification twice: still one webhook", func(t *testing.T) {
		s.redeliver(t, recovered.MessageID)
		assert.Len(t, events("RECOVERED"), 1)
	})

	// Everything the target's alarms sent: one DOWN and one RECOVERED; the first evaluations of both
	// alarms (availability and latency, INSUFFICIENT_DATA to OK) notified nobody.
	all := hooks.matching(mine)
	var names []string
	for _, r := range all {
		names = append(names, r.Event+" "+r.AlarmName)
	}
	assert.Equal(t, []string{"DOWN " + alarm, "RECOVERED " + alarm}, names)
}

// TestNotifyMutedTargetStaysQuiet: a target muted until a time in the future is still checked and its
// alarm history kept, marked "muted": true, but its outage is posted to nobody, however often SNS delivers it.
func TestNotifyMutedTargetStaysQuiet(t *testing.T) {
	t.Parallel()
	s := testStack(t)
	hooks := s.webhooks(t)
	out := s.outputs(t)
	site := newTestSite(t)
	site.set(siteDown)
	until := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	created, _ := s.api.createTarget(t, map[string]any{
		"url": site.url("muted"), "name": "e2e muted " + uniqueName(), "timeout_ms": 1000,
		"muted_until": until.Format(time.RFC3339), "mute_reason": "e2e maintenance window",
	})
	require.NotNil(t, created.MutedUntil)
	assert.True(t, until.Equal(*created.MutedUntil))
	alarm := fmt.Sprintf("%s-%s-availability", out.AlarmPrefix, created.ID)

	alarmed := s.crawlUntilRecord(t, created.ID, alarm, "the muted target's ALARM record", 10, func(r alarmRecord) bool { return r.NewState == "ALARM" })
	assert.True(t, alarmed.Muted, "the history records the mute: %+v", alarmed)
	tg := s.api.getTarget(t, created.ID)
	require.NotNil(t, tg.LastCheck, "a muted target is still checked")
	assert.False(t, tg.LastCheck.Available)

	// The notifier has handled the message once this returns; twice, for the redelivery too.
	s.redeliver(t, alarmed.MessageID)
	assert.Empty(t, hooks.matching(forTarget(created.ID)), "nobody is told of a muted target")
}

// TestNotifyCertificateExpires: an https site whose certificate (signed by the local stack's CA, so the
// crawler verifies the chain) expires in a day and a half, below the target's 7-day threshold, raises the
// certificate alarm and its CERTIFICATE_EXPIRES webhook; the site is up, so nobody hears DOWN.
func TestNotifyCertificateExpires(t *testing.T) {
	t.Parallel()
	s := testStack(t)
	hooks := s.webhooks(t)
	out := s.outputs(t)
	site := s.localCA(t).tlsSite(t, 36*time.Hour)
	created, _ := s.api.createTarget(t, map[string]any{
		"url": site.URL + "/e2e/certificate/" + uniqueName(), "name": "e2e certificate " + uniqueName(), "timeout_ms": 2000,
		"cert_expiry_threshold_days": 7,
	})
	alarm := fmt.Sprintf("%s-%s-certificate", out.AlarmPrefix, created.ID)

	lc := checkedAfterCrawl(t, s, created.ID, "crawl until the certificate is seen", func(lc target.LastCheck) error {
		if lc.CertDaysRemaining == nil {
			return fmt.Errorf("no cert_days_remaining (error %q)", lc.Error)
		}
		return nil
	})
	assert.True(t, lc.Available, "the chain verifies against the local CA: %+v", lc)
	assert.Equal(t, 1, *lc.CertDaysRemaining, "36 hours are 1 whole day")

	s.crawlUntilRecord(t, created.ID, alarm, "the certificate ALARM record", 10, func(r alarmRecord) bool {
		return r.NewState == "ALARM" && r.AlarmKind == "certificate"
	})
	mine := forTarget(created.ID)
	got := hooks.waitFor(t, "CERTIFICATE_EXPIRES of "+created.ID, time.Minute, func(r received) bool { return mine(r) && r.Kind == "certificate" })
	require.Len(t, got, 1, "%v", got)
	assertTargetNotification(t, s, got[0], created, alarm, "CERTIFICATE_EXPIRES", "ALARM", "certificate")
	assert.EqualValues(t, 1, got[0].LastCheck["cert_days_remaining"], "%s", got[0].Body)
	assert.Empty(t, hooks.matching(func(r received) bool { return mine(r) && r.Event == "DOWN" }), "the site is up")
}

// TestNotifyCrawlerStopped: with the crawler's schedule rule disabled (through the EventBridge API on the
// emulator, as a broken deploy or a human might), no run completes, the heartbeat ops alarm goes to ALARM
// within a few minutes (missing data is breaching) and its notification arrives; enabled again, a run brings
// it back to OK. The suite's crawls wait meanwhile (the crawl lock), since the rule cannot be fired.
func TestNotifyCrawlerStopped(t *testing.T) {
	t.Parallel()
	s := testStack(t)
	hooks := s.webhooks(t)
	out := s.outputs(t)
	heartbeat := out.OpsAlarms["crawler-heartbeat"]
	for _, name := range out.OpsAlarms {
		if heartbeat == "" && strings.HasSuffix(name, "-crawler-heartbeat") {
			heartbeat = name
		}
	}
	require.NotEmpty(t, heartbeat, "the ops_alarms output names the crawler heartbeat: %v", out.OpsAlarms)

	crawlMu.Lock()
	defer crawlMu.Unlock()
	ev := eventbridge.NewFromConfig(s.awsCfg)
	stoppedAt := time.Now()
	_, err := ev.DisableRule(t.Context(), &eventbridge.DisableRuleInput{Name: aws.String(out.CrawlerRule)})
	require.NoError(t, err)
	enabled := false
	enable := func() {
		if !enabled {
			_, err := ev.EnableRule(t.Context(), &eventbridge.EnableRuleInput{Name: aws.String(out.CrawlerRule)})
			require.NoError(t, err, "enable %s again", out.CrawlerRule)
			enabled = true
		}
	}
	defer enable()

	isHeartbeat := func(state string) func(received) bool {
		return func(r received) bool {
			changed, err := time.Parse(time.RFC3339, r.ChangedAt)
			return r.AlarmName == heartbeat && r.State == state && err == nil && !changed.Before(stoppedAt.Truncate(time.Second))
		}
	}
	// Two crawl intervals of 60 s without a run, plus the rest of the evaluation range and a pass of the
	// evaluator: within five minutes.
	got := hooks.waitFor(t, "of the crawler heartbeat ALARM", 7*time.Minute, isHeartbeat("ALARM"))
	n := got[0]
	assert.Equal(t, "ALARM", n.State)
	assert.Equal(t, "OPS_ALARM", n.Event, "%s", n.Body)
	assert.Equal(t, "ops", n.Kind)
	assert.Nil(t, n.Target, "an ops alarm is about the stack, not a target")
	assert.NotEmpty(t, n.Reason)
	assert.Equal(t, s.region, n.Region)
	assert.Contains(t, n.AlarmURL, url.PathEscape(heartbeat))
	t.Logf("heartbeat ALARM %s after the rule was disabled", n.At.Sub(stoppedAt).Round(time.Second))

	cw := cloudwatch.NewFromConfig(s.awsCfg, cwquery.Option)
	alarms, err := cw.DescribeAlarms(t.Context(), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{heartbeat}})
	require.NoError(t, err)
	require.Len(t, alarms.MetricAlarms, 1)
	assert.Equal(t, "ALARM", string(alarms.MetricAlarms[0].StateValue))

	// Enabled again: the next run completes and the heartbeat recovers.
	enable()
	retry.DoWithRetry(t, "a crawl once the rule is enabled again", 10, 3*time.Second, func() (string, error) {
		// The local runtime rereads the rules every few seconds; until then the rule is unknown to it.
		return "", s.fireLocal(t.Context(), out.CrawlerRule)
	})
	back := hooks.waitFor(t, "of the crawler heartbeat recovery", 3*time.Minute, isHeartbeat("OK"))
	assert.Equal(t, "OPS_RECOVERED", back[0].Event, "%s", back[0].Body)
}

package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/netguard"
	"github.com/webhealth/webhealth/internal/notify"
	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
	"github.com/webhealth/webhealth/internal/testutil/snsevents"
	"github.com/webhealth/webhealth/internal/verdict"
)

var update = flag.Bool("update", false, "rewrite the golden payloads in testdata/golden")

const (
	prefix     = "webhealth-prod"
	targetID   = "0f8fad5bd9cb469fa16570867728950e"
	routingKey = "R0UT1NGKEY0123456789abcdef012345"
	// The fixtures' state change times.
	alarmAt = "2026-11-21T10:03:12.345Z"
	okAt    = "2026-11-21T10:09:12.601Z"
	// topicARN is the people topic of every test (e-mail and Chatbot subscribe to it).
	topicARN = "arn:aws:sns:eu-west-1:123456789012:webhealth-prod-notifications"
)

// The four channels of every test, one per format, each on its own path of the receiver.
var channels = []notify.Channel{
	{Name: "json-hook", Format: notify.FormatJSON, SSMParameter: "/webhealth/test/json"},
	{Name: "slack-hook", Format: notify.FormatSlack, SSMParameter: "/webhealth/test/slack"},
	{Name: "teams-hook", Format: notify.FormatTeams, SecretID: "webhealth/test/teams"},
	{Name: "pager", Format: notify.FormatPagerDuty, SecretID: "webhealth/test/pagerduty"},
}

// paths are where each channel posts on the receiver; the webhook URLs carry a token, as real ones do.
var paths = map[string]string{
	"json-hook": "/hooks/json/secret-token-J50N", "slack-hook": "/hooks/slack/secret-token-5L4CK",
	"teams-hook": "/hooks/teams/secret-token-TE4M5", "pager": "/v2/enqueue",
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func intp(n int) *int { return &n }

// exampleTarget is the fixtures' target, down at its last check.
func exampleTarget() target.Target {
	return target.Target{
		ID: targetID, URL: "https://example.com/health", Name: "example.com", Enabled: true,
		ExpectedStatus: []int{200}, LatencyThresholdMS: 1000, TimeoutMS: 10000, Method: "GET",
		CreatedAt: ts("2026-11-01T09:00:00Z"), UpdatedAt: ts("2026-11-01T09:00:00Z"), Version: 3,
		LastCheck: &target.LastCheck{
			CheckedAt: ts("2026-11-21T10:03:00.120Z"), Available: false, StatusCode: 503, LatencyMS: 123.4,
			DNSMS: 1.2, ConnectMS: 3.4, TLSMS: 20.1, TTFBMS: 80.2, CertDaysRemaining: intp(60), Attempts: 2,
			Error: "status 503 not in expected [200]",
		},
	}
}

// syncBuffer collects log lines from concurrent channels.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

type env struct {
	h          *notify.Handler
	rcv        *receiver
	targets    *fakeTargets
	history    *fakeHistory
	deliveries *fakeDeliveries
	secrets    *fakeSecrets
	topic      *fakeTopic
	logs       *syncBuffer
	cfg        notify.Config
}

type envOption func(*envConfig)

type envConfig struct {
	cfg    notify.Config
	poster notify.PosterOptions
	now    time.Time
}

// newEnv is a handler over fakes posting, through the real Poster, to a receiver on loopback (private
// addresses allowed, as on a local stack).
func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	rcv := newReceiver(t)
	c := envConfig{
		cfg: notify.Config{
			URLsTable: "urls", AlarmsTable: "alarms", DeliveriesTable: "deliveries", AlarmPrefix: prefix,
			Channels: channels, NotifyTopicARN: topicARN, AllowPrivateTargets: true, ConsoleURL: notify.DefaultConsoleURL,
			PagerDutyEventsURL: rcv.URL + paths["pager"], Region: "eu-west-1",
		},
		poster: notify.PosterOptions{Guard: netguard.New(true), Backoff: time.Millisecond, AttemptTimeout: 2 * time.Second, UserAgent: "webhealth-notifier/test"},
		now:    ts(alarmAt).Add(30 * time.Second),
	}
	for _, o := range opts {
		o(&c)
	}
	e := &env{
		rcv:        rcv,
		targets:    &fakeTargets{items: map[string]target.Target{targetID: exampleTarget()}},
		history:    &fakeHistory{},
		deliveries: newFakeDeliveries(),
		secrets: &fakeSecrets{values: map[string]string{
			"json-hook": rcv.URL + paths["json-hook"], "slack-hook": rcv.URL + paths["slack-hook"],
			"teams-hook": rcv.URL + paths["teams-hook"], "pager": routingKey,
		}},
		topic: &fakeTopic{},
		logs:  &syncBuffer{},
		cfg:   c.cfg,
	}
	e.h = notify.New(c.cfg, e.targets, e.history, e.deliveries, e.secrets, mustPoster(t, c.poster), e.topic,
		notify.WithClock(func() time.Time { return c.now }),
		notify.WithLogger(slog.New(slog.NewJSONHandler(e.logs, nil))))
	return e
}

func withChannels(chs ...notify.Channel) envOption {
	return func(c *envConfig) { c.cfg.Channels = chs }
}

func withPoster(edit func(*notify.PosterOptions)) envOption {
	return func(c *envConfig) { edit(&c.poster) }
}

func withNow(now time.Time) envOption { return func(c *envConfig) { c.now = now } }

// multiRegion: the notifier of the home region (eu-west-1) of three regions, quorum 2; degraded: NOTIFY_DEGRADED.
func multiRegion(degraded bool) envOption {
	return func(c *envConfig) {
		c.cfg.Regions = verdict.Settings{Region: "eu-west-1", Home: "eu-west-1", Rule: verdict.Rule{
			Regions: []string{"eu-west-1", "us-east-1", "ap-southeast-1"}, Quorum: 2, StaleAfter: verdict.DefaultStaleAfter,
		}}
		c.cfg.NotifyDegraded = degraded
	}
}

// otherRegion: the notifier of us-east-1, the second of two regions (the home region eu-west-1).
func otherRegion() envOption {
	return func(c *envConfig) {
		c.cfg.Region = "us-east-1"
		c.cfg.Regions = verdict.Settings{Region: "us-east-1", Home: "eu-west-1", Rule: verdict.Rule{
			Regions: []string{"eu-west-1", "us-east-1"}, Quorum: 2, StaleAfter: verdict.DefaultStaleAfter,
		}}
	}
}

// withoutTopic: no people topic (no e-mail or Chatbot channel in the environment).
func withoutTopic() envOption { return func(c *envConfig) { c.cfg.NotifyTopicARN = "" } }

// event is an SNS event of one record: a fixture, its Message replaced when message is not "".
func event(t testing.TB, fixture, message string) events.SNSEvent {
	t.Helper()
	ev := snsevents.Load(t, fixture)
	if message != "" {
		ev.Records[0].SNS.Message = message
	}
	return ev
}

// alarmRecord is what the alarm logger stored for a change of the target's availability alarm.
func alarmRecord(at, msgID, oldState, newState string, muted bool) store.AlarmRecord {
	return kindRecord("availability", at, msgID, oldState, newState, muted)
}

// kindRecord is what the alarm logger stored for a change of the target's alarm of kind.
func kindRecord(kind, at, msgID, oldState, newState string, muted bool) store.AlarmRecord {
	return store.AlarmRecord{
		TargetID: targetID, SK: at + "#" + msgID, MessageID: msgID, AlarmName: prefix + "-" + targetID + "-" + kind,
		AlarmKind: kind, NewState: newState, OldState: oldState, StateChangeTime: at, RecordedAt: at, Muted: muted,
	}
}

// golden compares a posted body with testdata/golden/<name>.json (indented there, compact on the wire).
func golden(t *testing.T, name string, body string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		var pretty bytes.Buffer
		require.NoError(t, json.Indent(&pretty, []byte(body), "", "  "))
		pretty.WriteByte('\n')
		require.NoError(t, os.WriteFile(path, pretty.Bytes(), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./internal/notify/ -run TestGoldenPayloads -update to write it")
	var compact bytes.Buffer
	require.NoError(t, json.Compact(&compact, want))
	assert.Equal(t, compact.String(), body, "payload differs from %s", path)
}

// scenarios are the state changes of the golden payloads, each from a fixture in CloudWatch's format.
func scenarios(t *testing.T) []struct {
	name    string
	ev      events.SNSEvent
	prepare func(e *env)
	opts    []envOption
} {
	latency := snsevents.Edited(t, snsevents.OurAlarm, func(m map[string]any) {
		m["AlarmName"] = prefix + "-" + targetID + "-latency"
		m["NewStateReason"] = "Threshold Crossed: 2 out of the last 2 datapoints [1520.3 (21/11/26 10:02:00), 1498.7 (21/11/26 10:01:00)] was greater than the threshold (1000.0) (minimum 2 datapoints for OK -> ALARM transition)."
		snsevents.Trigger(m)["MetricName"] = "Latency"
		snsevents.Trigger(m)["Statistic"] = "AVERAGE"
		snsevents.Trigger(m)["ComparisonOperator"] = "GreaterThanThreshold"
		snsevents.Trigger(m)["Threshold"] = 1000.0
	})
	opsOK := snsevents.Edited(t, snsevents.OurHeartbeat, func(m map[string]any) {
		m["NewStateValue"], m["OldStateValue"] = "OK", "ALARM"
		m["StateChangeTime"] = "2026-11-21T10:16:31.911+0000"
		m["NewStateReason"] = "Threshold Crossed: 1 out of the last 2 datapoints [1.0 (21/11/26 10:15:00)] was not less than the threshold (1.0) (minimum 1 datapoint for ALARM -> OK transition)."
	})
	upAgain := func(e *env) {
		tg := exampleTarget()
		tg.LastCheck = &target.LastCheck{CheckedAt: ts("2026-11-21T10:09:00.080Z"), Available: true, StatusCode: 200, LatencyMS: 98.6,
			DNSMS: 1.1, ConnectMS: 3.2, TLSMS: 19.8, TTFBMS: 70.4, CertDaysRemaining: intp(60), Attempts: 1}
		e.targets.items[targetID] = tg
	}
	return []struct {
		name    string
		ev      events.SNSEvent
		prepare func(e *env)
		opts    []envOption
	}{
		{name: "down", ev: event(t, snsevents.OurAlarm, "")},
		{name: "recovered", ev: event(t, snsevents.OurOK, ""), prepare: func(e *env) {
			tg := exampleTarget()
			tg.LastCheck = &target.LastCheck{CheckedAt: ts("2026-11-21T10:09:00.080Z"), Available: true, StatusCode: 200, LatencyMS: 98.6,
				DNSMS: 1.1, ConnectMS: 3.2, TLSMS: 19.8, TTFBMS: 70.4, CertDaysRemaining: intp(60), Attempts: 1}
			e.targets.items[targetID] = tg
			e.history.records = []store.AlarmRecord{
				alarmRecord(okAt, "a7e2d9c4-1b3f-5e8a-9c6d-4f2b8e1a7d35", "ALARM", "OK", false), // the OK itself, recorded already
				alarmRecord(alarmAt, "3f1c8a52-9d4e-5b7f-8a21-6c0e9d4b2f13", "OK", "ALARM", false),
				alarmRecord("2026-11-20T08:00:00.000Z", "older", "INSUFFICIENT_DATA", "OK", false),
			}
		}},
		{name: "slow", ev: event(t, snsevents.OurAlarm, latency), prepare: func(e *env) {
			tg := exampleTarget()
			tg.LastCheck = &target.LastCheck{CheckedAt: ts("2026-11-21T10:03:00.120Z"), Available: true, StatusCode: 200, LatencyMS: 1520.3,
				DNSMS: 1.2, ConnectMS: 3.4, TLSMS: 20.1, TTFBMS: 1490.2, CertDaysRemaining: intp(60), Attempts: 1}
			e.targets.items[targetID] = tg
		}},
		{name: "certificate", ev: event(t, snsevents.OurCertificate, ""), prepare: func(e *env) {
			tg := exampleTarget()
			tg.LastCheck = &target.LastCheck{CheckedAt: ts("2026-11-21T10:03:00.120Z"), Available: true, StatusCode: 200, LatencyMS: 101.9,
				DNSMS: 1.2, ConnectMS: 3.4, TLSMS: 20.1, TTFBMS: 80.2, CertDaysRemaining: intp(9), Attempts: 1}
			e.targets.items[targetID] = tg
		}},
		{name: "ops-alarm", ev: event(t, snsevents.OurHeartbeat, "")},
		{name: "ops-recovered", ev: event(t, snsevents.OurHeartbeat, opsOK)},
		// Several regions: the home region's verdict and degraded alarms.
		{name: "verdict-down", ev: event(t, snsevents.OurVerdict, ""), opts: []envOption{multiRegion(false)}},
		{name: "verdict-recovered", ev: event(t, snsevents.OurVerdictOK, ""), opts: []envOption{multiRegion(false)}, prepare: func(e *env) {
			upAgain(e)
			e.history.records = []store.AlarmRecord{
				kindRecord("verdict", alarmAt, "6b2d7e41-0c8a-5f3e-b9d1-2a4c6e8f0b17", "OK", "ALARM", false),
				alarmRecord(alarmAt, "3f1c8a52-9d4e-5b7f-8a21-6c0e9d4b2f13", "OK", "ALARM", false), // the region's, recorded only
			}
		}},
		{name: "degraded", ev: event(t, snsevents.OurDegraded, ""), opts: []envOption{multiRegion(true)}},
	}
}

// TestGoldenPayloads: every format of every kind of notification, posted to the channels, is the
// recorded payload.
func TestGoldenPayloads(t *testing.T) {
	t.Parallel()
	for _, sc := range scenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sc.opts...)
			if sc.prepare != nil {
				sc.prepare(e)
			}
			require.NoError(t, e.h.Handle(context.Background(), sc.ev))
			for _, ch := range channels {
				got := e.rcv.got(paths[ch.Name])
				require.Len(t, got, 1, "channel %s", ch.Name)
				golden(t, sc.name+"."+ch.Format, got[0])
				h := e.rcv.header(paths[ch.Name])
				assert.Equal(t, "application/json", h.Get("Content-Type"))
				assert.Equal(t, "webhealth-notifier/test", h.Get("User-Agent"))
			}
		})
	}
}

// TestPayloadShapes holds each format to what its receiver requires, beyond the golden bytes.
func TestPayloadShapes(t *testing.T) {
	t.Parallel()
	for _, sc := range scenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sc.opts...)
			if sc.prepare != nil {
				sc.prepare(e)
			}
			require.NoError(t, e.h.Handle(context.Background(), sc.ev))
			decode := func(ch string) map[string]any {
				var m map[string]any
				require.NoError(t, json.Unmarshal([]byte(e.rcv.got(paths[ch])[0]), &m))
				return m
			}
			recovery := strings.Contains(sc.name, "recovered")
			ops := strings.HasPrefix(sc.name, "ops")

			body := decode("json-hook")
			for _, k := range []string{"version", "event", "state", "previous_state", "kind", "summary", "target", "reason", "changed_at", "since", "region", "alarm_name", "alarm_url", "last_check", "message_id"} {
				assert.Contains(t, body, k)
			}
			assert.Equal(t, map[bool]string{true: "OK", false: "ALARM"}[recovery], body["state"])
			assert.Equal(t, "eu-west-1", body["region"])
			assert.Equal(t, "https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/"+body["alarm_name"].(string), body["alarm_url"])
			if ops {
				assert.Nil(t, body["target"])
				assert.Nil(t, body["last_check"])
				assert.Equal(t, "ops", body["kind"])
			} else {
				assert.Equal(t, map[string]any{"id": targetID, "name": "example.com", "url": "https://example.com/health"}, body["target"])
				assert.NotNil(t, body["last_check"])
			}
			assert.NotContains(t, body, "muted", "a muted target is never notified")

			slack := decode("slack-hook")
			assert.NotEmpty(t, slack["text"])
			blocks := slack["blocks"].([]any)
			require.Len(t, blocks, 3)
			header := blocks[0].(map[string]any)["text"].(map[string]any)
			assert.Equal(t, "plain_text", header["type"])
			assert.LessOrEqual(t, len([]rune(header["text"].(string))), 150)
			assert.LessOrEqual(t, len([]rune(blocks[1].(map[string]any)["text"].(map[string]any)["text"].(string))), 3000)
			assert.Equal(t, body["alarm_url"], blocks[2].(map[string]any)["elements"].([]any)[0].(map[string]any)["url"])

			teams := decode("teams-hook")
			assert.Equal(t, "message", teams["type"])
			att := teams["attachments"].([]any)[0].(map[string]any)
			assert.Equal(t, "application/vnd.microsoft.card.adaptive", att["contentType"])
			card := att["content"].(map[string]any)
			assert.Equal(t, "AdaptiveCard", card["type"])
			assert.Equal(t, "1.4", card["version"])
			assert.Equal(t, body["summary"], card["body"].([]any)[0].(map[string]any)["text"])

			pd := decode("pager")
			assert.Equal(t, routingKey, pd["routing_key"])
			assert.Equal(t, body["alarm_name"], pd["dedup_key"], "one incident per target and alarm")
			if recovery {
				assert.Equal(t, map[string]any{"routing_key": routingKey, "event_action": "resolve", "dedup_key": body["alarm_name"]}, pd)
				return
			}
			assert.Equal(t, "trigger", pd["event_action"])
			payload := pd["payload"].(map[string]any)
			for _, k := range []string{"summary", "source", "severity"} {
				assert.NotEmpty(t, payload[k], k)
			}
			want := map[string]string{"down": "critical", "slow": "warning", "certificate": "warning", "ops-alarm": "error",
				"verdict-down": "critical", "degraded": "warning"}[sc.name]
			assert.Equal(t, want, payload["severity"])
			assert.Equal(t, body, payload["custom_details"])
		})
	}
}

// TestRedeliveryNotifiesOnce: SNS delivering the same message again, later or at the same time, posts
// nothing more.
func TestRedeliveryNotifiesOnce(t *testing.T) {
	t.Parallel()
	t.Run("later", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		ev := event(t, snsevents.OurAlarm, "")
		require.NoError(t, e.h.Handle(context.Background(), ev))
		require.NoError(t, e.h.Handle(context.Background(), ev))
		for _, ch := range channels {
			assert.Len(t, e.rcv.got(paths[ch.Name]), 1, ch.Name)
			assert.Equal(t, store.DeliveryDelivered, e.deliveries.status(ev.Records[0].SNS.MessageID, ch.Name))
		}
		assert.Contains(t, e.logs.String(), "duplicate delivery: already notified on this channel")
	})
	t.Run("concurrently", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		for _, p := range paths {
			e.rcv.slow(p, 200*time.Millisecond) // both deliveries are in flight together
		}
		ev := event(t, snsevents.OurAlarm, "")
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Go(func() { errs[i] = e.h.Handle(context.Background(), ev) })
		}
		wg.Wait()
		assert.NoError(t, errors.Join(errs...))
		for _, ch := range channels {
			assert.Len(t, e.rcv.got(paths[ch.Name]), 1, ch.Name)
		}
		assert.Contains(t, e.logs.String(), "another invocation is notifying this channel")
	})
	t.Run("a claim whose holder died is taken over after its lease", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, withChannels(channels[0]))
		ev := event(t, snsevents.OurAlarm, "")
		_, err := e.deliveries.Claim(context.Background(), ev.Records[0].SNS.MessageID, "json-hook", time.Minute)
		require.NoError(t, err)
		require.NoError(t, e.h.Handle(context.Background(), ev))
		assert.Empty(t, e.rcv.got(paths["json-hook"]), "the lease is live: its holder may still post")
		e.deliveries.mu.Lock()
		e.deliveries.now = func() time.Time { return time.Now().Add(2 * time.Minute) }
		e.deliveries.mu.Unlock()
		require.NoError(t, e.h.Handle(context.Background(), ev))
		assert.Len(t, e.rcv.got(paths["json-hook"]), 1)
	})
}

// TestFailingChannel: a channel that keeps failing is retried with backoff, fails the invocation, and
// never holds up the others; the retry of the event posts only to it.
func TestFailingChannel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	slack := paths["slack-hook"]
	e.rcv.answer(slack, 503, 502, 500)
	e.rcv.slow(paths["teams-hook"], 50*time.Millisecond)
	ev := event(t, snsevents.OurAlarm, "")
	msgID := ev.Records[0].SNS.MessageID

	err := e.h.Handle(context.Background(), ev)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "channel slack-hook: HTTP 500")
	assert.NotContains(t, err.Error(), "json-hook")
	assert.Len(t, e.rcv.got(slack), notify.DefaultAttempts, "retried up to the attempts")
	for _, ch := range []string{"json-hook", "teams-hook", "pager"} {
		assert.Len(t, e.rcv.got(paths[ch]), 1, ch)
		assert.Equal(t, store.DeliveryDelivered, e.deliveries.status(msgID, ch))
	}
	assert.Empty(t, e.deliveries.status(msgID, "slack-hook"), "the failed claim is released for the retry")

	// Lambda's retry of the event: only Slack is owed.
	require.NoError(t, e.h.Handle(context.Background(), ev))
	assert.Len(t, e.rcv.got(slack), notify.DefaultAttempts+1)
	for _, ch := range []string{"json-hook", "teams-hook", "pager"} {
		assert.Len(t, e.rcv.got(paths[ch]), 1, ch)
	}
	assert.Equal(t, store.DeliveryDelivered, e.deliveries.status(msgID, "slack-hook"))
}

// TestRejectedChannel: a 4xx other than 408/429 is not retried, is recorded, and a retry of the
// event does not post it again (it still fails, so the event reaches the failure destination).
func TestRejectedChannel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.rcv.answer(paths["teams-hook"], 404)
	ev := event(t, snsevents.OurAlarm, "")
	err := e.h.Handle(context.Background(), ev)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "channel teams-hook: rejected: HTTP 404: not found")
	assert.Len(t, e.rcv.got(paths["teams-hook"]), 1, "no retry of a 4xx")
	assert.Equal(t, store.DeliveryRejected, e.deliveries.status(ev.Records[0].SNS.MessageID, "teams-hook"))

	err = e.h.Handle(context.Background(), ev)
	require.Error(t, err)
	assert.ErrorIs(t, err, store.ErrRejected)
	assert.Len(t, e.rcv.got(paths["teams-hook"]), 1)
	assert.Len(t, e.rcv.got(paths["json-hook"]), 1)
}

// TestWhoIsNotified: the state changes that notify nobody, and why.
func TestWhoIsNotified(t *testing.T) {
	t.Parallel()
	states := func(old, new string) string {
		return snsevents.Edited(t, snsevents.OurAlarm, func(m map[string]any) { m["OldStateValue"], m["NewStateValue"] = old, new })
	}
	muteUntil := func(at string) func(e *env) {
		return func(e *env) {
			tg := exampleTarget()
			u := ts(at)
			tg.MutedUntil, tg.MuteReason = &u, "maintenance"
			e.targets.items[targetID] = tg
		}
	}
	verdictStates := func(fixture, old, new string) string {
		return snsevents.Edited(t, fixture, func(m map[string]any) { m["OldStateValue"], m["NewStateValue"] = old, new })
	}
	tests := []struct {
		name     string
		ev       events.SNSEvent
		opts     []envOption
		prepare  func(e *env)
		now      time.Time
		notified bool
		log      string // what the log says
		reads    int32  // target reads
	}{
		{name: "OK to ALARM", ev: event(t, snsevents.OurAlarm, ""), notified: true, reads: 1},
		// Several regions: alerting follows the verdict.
		{name: "several regions: a region's availability ALARM is recorded only", ev: event(t, snsevents.OurAlarm, ""), opts: []envOption{multiRegion(true)},
			log: "a region's availability alarm in an environment of several regions is recorded, not told"},
		{name: "several regions: a region's availability recovery is recorded only", ev: event(t, snsevents.OurOK, ""), opts: []envOption{multiRegion(false)},
			log: "recorded, not told: the home region's verdict alarm tells"},
		{name: "several regions: the verdict ALARM is told", ev: event(t, snsevents.OurVerdict, ""), opts: []envOption{multiRegion(false)}, notified: true, reads: 1},
		{name: "several regions: the verdict from INSUFFICIENT_DATA to ALARM is told", ev: event(t, snsevents.OurVerdict,
			verdictStates(snsevents.OurVerdict, "INSUFFICIENT_DATA", "ALARM")), opts: []envOption{multiRegion(false)}, notified: true, reads: 1},
		{name: "several regions: the verdict's first evaluation tells nobody", ev: event(t, snsevents.OurVerdict,
			verdictStates(snsevents.OurVerdict, "INSUFFICIENT_DATA", "OK")), opts: []envOption{multiRegion(false)}, log: "first evaluation of the alarm", reads: 1},
		{name: "several regions: the verdict's recovery is told", ev: event(t, snsevents.OurVerdictOK, ""), opts: []envOption{multiRegion(false)}, now: ts(okAt),
			prepare: func(e *env) {
				e.history.records = []store.AlarmRecord{kindRecord("verdict", alarmAt, "m-1", "OK", "ALARM", false)}
			}, notified: true, reads: 1},
		{name: "several regions: the verdict of a muted target tells nobody", ev: event(t, snsevents.OurVerdict, ""), opts: []envOption{multiRegion(false)},
			prepare: muteUntil("2026-11-21T12:00:00Z"), log: "target is muted: nobody is notified", reads: 1},
		{name: "several regions, the home region: the certificate ALARM is told", ev: event(t, snsevents.OurCertificate, ""), opts: []envOption{multiRegion(false)},
			notified: true, reads: 1},
		{name: "several regions, another region: the certificate ALARM is recorded only", ev: event(t, snsevents.OurCertificate, ""), opts: []envOption{otherRegion()},
			log: "the certificate alarm of a region other than the home region is recorded, not told"},
		{name: "several regions, another region: the availability ALARM is recorded only", ev: event(t, snsevents.OurAlarm, ""), opts: []envOption{otherRegion()},
			log: "a region's availability alarm in an environment of several regions is recorded, not told"},
		{name: "several regions: degraded without NOTIFY_DEGRADED is recorded only", ev: event(t, snsevents.OurDegraded, ""), opts: []envOption{multiRegion(false)},
			log: "the degraded alarm is recorded, not told (NOTIFY_DEGRADED is not set)"},
		{name: "several regions: degraded with NOTIFY_DEGRADED is told", ev: event(t, snsevents.OurDegraded, ""), opts: []envOption{multiRegion(true)}, notified: true, reads: 1},
		{name: "several regions: the end of degraded with NOTIFY_DEGRADED is told", ev: event(t, snsevents.OurDegraded,
			verdictStates(snsevents.OurDegraded, "ALARM", "OK")), opts: []envOption{multiRegion(true)}, notified: true, reads: 1},
		{name: "several regions: the end of degraded without NOTIFY_DEGRADED is recorded only", ev: event(t, snsevents.OurDegraded,
			verdictStates(snsevents.OurDegraded, "ALARM", "OK")), opts: []envOption{multiRegion(false)}, log: "NOTIFY_DEGRADED is not set"},
		{name: "INSUFFICIENT_DATA to ALARM (a new alarm, down at once)", ev: event(t, snsevents.OurAlarm, states("INSUFFICIENT_DATA", "ALARM")), notified: true, reads: 1},
		{name: "first evaluation: INSUFFICIENT_DATA to OK", ev: event(t, snsevents.OurAlarm, states("INSUFFICIENT_DATA", "OK")),
			log: "first evaluation of the alarm (not a recovery)", reads: 1},
		{name: "INSUFFICIENT_DATA to OK after ALARM to INSUFFICIENT_DATA is a recovery", ev: event(t, snsevents.OurAlarm, states("INSUFFICIENT_DATA", "OK")),
			prepare: func(e *env) {
				e.history.records = []store.AlarmRecord{
					alarmRecord("2026-11-21T10:00:00.000Z", "m-2", "ALARM", "INSUFFICIENT_DATA", false),
					alarmRecord("2026-11-21T09:50:00.000Z", "m-1", "OK", "ALARM", false),
				}
			}, notified: true, reads: 1},
		{name: "OK to INSUFFICIENT_DATA", ev: event(t, snsevents.OurAlarm, states("OK", "INSUFFICIENT_DATA")), log: "alarm state change notifies nobody"},
		{name: "ALARM to INSUFFICIENT_DATA", ev: event(t, snsevents.OurAlarm, states("ALARM", "INSUFFICIENT_DATA")), log: "alarm state change notifies nobody"},
		{name: "ALARM to ALARM", ev: event(t, snsevents.OurAlarm, states("ALARM", "ALARM")), log: "alarm state change notifies nobody"},
		{name: "muted past the change", ev: event(t, snsevents.OurAlarm, ""), prepare: muteUntil("2026-11-21T12:00:00Z"),
			log: "target is muted: nobody is notified", reads: 1},
		{name: "mute ended between the change and now: the change was muted", ev: event(t, snsevents.OurAlarm, ""),
			prepare: muteUntil("2026-11-21T10:03:20Z"), now: ts("2026-11-21T10:05:00Z"), log: "target is muted", reads: 1},
		{name: "mute over before the change", ev: event(t, snsevents.OurAlarm, ""), prepare: muteUntil("2026-11-21T10:00:00Z"), notified: true, reads: 1},
		// The mute is judged at the change's time only, as the alarm logger records it: the notifier's
		// clock behind CloudWatch's, a mute that ended between the two is no mute of the change.
		{name: "muted when read, not at the change: told", ev: event(t, snsevents.OurAlarm, ""),
			prepare: muteUntil("2026-11-21T10:03:11Z"), now: ts("2026-11-21T10:03:10Z"), notified: true, reads: 1},
		// A recovery is told when the ALARM it ends was told, whatever the mute says now.
		{name: "recovery during a mute of an ALARM told before it: told", ev: event(t, snsevents.OurOK, ""), now: ts(okAt), prepare: func(e *env) {
			muteUntil("2026-11-21T12:00:00Z")(e)
			e.history.records = []store.AlarmRecord{alarmRecord(alarmAt, "m-1", "OK", "ALARM", false)}
		}, notified: true, log: "target is muted, but the alarm that ends was told: its recovery is told", reads: 1},
		{name: "INSUFFICIENT_DATA to OK during a mute, ending an ALARM told before it: told", ev: event(t, snsevents.OurAlarm, states("INSUFFICIENT_DATA", "OK")),
			prepare: func(e *env) {
				muteUntil("2026-11-21T12:00:00Z")(e)
				e.history.records = []store.AlarmRecord{
					alarmRecord("2026-11-21T10:00:00.000Z", "m-2", "ALARM", "INSUFFICIENT_DATA", true),
					alarmRecord("2026-11-21T09:50:00.000Z", "m-1", "OK", "ALARM", false),
				}
			}, notified: true, reads: 1},
		{name: "recovery during a mute of an ALARM not in the history read: the mute decides", ev: event(t, snsevents.OurOK, ""), now: ts(okAt),
			prepare: muteUntil("2026-11-21T12:00:00Z"), log: "target is muted: nobody is notified", reads: 1},
		{name: "recovery during a mute, the history unreadable: the mute decides", ev: event(t, snsevents.OurOK, ""), now: ts(okAt), prepare: func(e *env) {
			muteUntil("2026-11-21T12:00:00Z")(e)
			e.history.err = errors.New("throttled")
		}, log: "reading the alarm history failed", reads: 1},
		{name: "recovery of an ALARM that began muted, the mute over since", ev: event(t, snsevents.OurOK, ""), now: ts(okAt), prepare: func(e *env) {
			muteUntil("2026-11-21T10:05:00Z")(e)
			e.history.records = []store.AlarmRecord{alarmRecord(alarmAt, "m-1", "OK", "ALARM", true)}
		}, log: "the alarm began while the target was muted", reads: 1},
		{name: "recovery of an alarm that began muted", ev: event(t, snsevents.OurOK, ""), now: ts(okAt), prepare: func(e *env) {
			e.history.records = []store.AlarmRecord{alarmRecord(alarmAt, "m-1", "OK", "ALARM", true)}
		}, log: "the alarm began while the target was muted", reads: 1},
		{name: "recovery of an alarm not in the history read", ev: event(t, snsevents.OurOK, ""), now: ts(okAt), notified: true, reads: 1},
		{name: "deleted target", ev: event(t, snsevents.OurAlarm, ""), prepare: func(e *env) { delete(e.targets.items, targetID) },
			log: "the alarm's target no longer exists", reads: 1},
		{name: "not an alarm notification", ev: event(t, snsevents.AWSSNSEvent, ""), log: "not a CloudWatch alarm notification"},
		{name: "ops alarm OK to INSUFFICIENT_DATA", ev: event(t, snsevents.OurHeartbeat, snsevents.Edited(t, snsevents.OurHeartbeat, func(m map[string]any) {
			m["OldStateValue"], m["NewStateValue"] = "OK", "INSUFFICIENT_DATA"
		})), log: "ops alarm state change notifies nobody"},
		{name: "ops alarm", ev: event(t, snsevents.OurHeartbeat, ""), notified: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := tc.opts
			if !tc.now.IsZero() {
				opts = append(opts, withNow(tc.now))
			}
			e := newEnv(t, opts...)
			if tc.prepare != nil {
				tc.prepare(e)
			}
			require.NoError(t, e.h.Handle(context.Background(), tc.ev))
			if tc.notified {
				for _, ch := range channels {
					assert.Len(t, e.rcv.got(paths[ch.Name]), 1, ch.Name)
				}
				assert.Len(t, e.topic.published(), 1, "the people topic (e-mail, Chatbot)")
			} else {
				assert.Zero(t, e.rcv.total(), "nobody is notified")
				assert.Empty(t, e.topic.published(), "nothing on the people topic (e-mail, Chatbot)")
				assert.Zero(t, e.deliveries.claims, "nothing claimed")
			}
			assert.Contains(t, e.logs.String(), tc.log)
			assert.Equal(t, tc.reads, e.targets.gets.Load(), "target reads")
		})
	}
}

// TestRecoverySaysSinceWhen: a recovery reads the history for when its alarm began, skipping other
// alarms' records, the OK itself and later records, over several pages.
func TestRecoverySaysSinceWhen(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withChannels(channels[0]), withNow(ts(okAt)))
	other := alarmRecord("2026-11-21T10:05:00.000Z", "lat", "OK", "ALARM", false)
	other.AlarmName = prefix + "-" + targetID + "-latency"
	records := []store.AlarmRecord{
		alarmRecord("2026-11-21T10:20:00.000Z", "later", "OK", "ALARM", false),
		alarmRecord(okAt, "a7e2d9c4-1b3f-5e8a-9c6d-4f2b8e1a7d35", "ALARM", "OK", false),
	}
	for range 150 { // more than a page of another alarm's records
		records = append(records, other)
	}
	records = append(records, alarmRecord("2026-11-21T09:59:00.000Z", "start", "OK", "ALARM", false),
		alarmRecord("2026-11-21T09:00:00.000Z", "before", "ALARM", "OK", false))
	e.history.records = records
	require.NoError(t, e.h.Handle(context.Background(), event(t, snsevents.OurOK, "")))
	var body notify.Body
	require.NoError(t, json.Unmarshal([]byte(e.rcv.got(paths["json-hook"])[0]), &body))
	assert.Equal(t, "RECOVERED", body.Event)
	require.NotNil(t, body.Since)
	assert.Equal(t, "2026-11-21T09:59:00.000Z", *body.Since)
	require.NotNil(t, body.Duration)
	assert.EqualValues(t, 612, *body.Duration)
	assert.Equal(t, "RECOVERED: example.com is available again", body.Summary)
	assert.EqualValues(t, 2, e.history.queries.Load(), "two pages read")

	t.Run("a failed history read still sends the recovery, without its start", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, withChannels(channels[0]), withNow(ts(okAt)))
		e.history.err = errors.New("throttled")
		require.NoError(t, e.h.Handle(context.Background(), event(t, snsevents.OurOK, "")))
		var body notify.Body
		require.NoError(t, json.Unmarshal([]byte(e.rcv.got(paths["json-hook"])[0]), &body))
		assert.Nil(t, body.Since)
		assert.Contains(t, e.logs.String(), "reading the alarm history failed")
	})
}

// TestReadFailuresFailTheInvocation: when the target or the deliveries cannot be read, nothing is
// posted and the invocation fails, so Lambda retries it.
func TestReadFailuresFailTheInvocation(t *testing.T) {
	t.Parallel()
	t.Run("target", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.targets.err = errors.New("ProvisionedThroughputExceeded")
		err := e.h.Handle(context.Background(), event(t, snsevents.OurAlarm, ""))
		require.ErrorContains(t, err, "ProvisionedThroughputExceeded")
		assert.Zero(t, e.rcv.total())
	})
	t.Run("history of a possible recovery", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.history.err = errors.New("throttled")
		err := e.h.Handle(context.Background(), event(t, snsevents.OurAlarm, snsevents.Edited(t, snsevents.OurAlarm, func(m map[string]any) {
			m["OldStateValue"], m["NewStateValue"] = "INSUFFICIENT_DATA", "OK"
		})))
		require.ErrorContains(t, err, "throttled")
		assert.Zero(t, e.rcv.total())
	})
	t.Run("claim", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.deliveries.claimErr = errors.New("table gone")
		err := e.h.Handle(context.Background(), event(t, snsevents.OurAlarm, ""))
		require.ErrorContains(t, err, "table gone")
		assert.Zero(t, e.rcv.total())
	})
	t.Run("secret", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.secrets.errs = map[string]error{"pager": errors.New("AccessDenied")}
		err := e.h.Handle(context.Background(), event(t, snsevents.OurAlarm, ""))
		require.ErrorContains(t, err, "channel pager: AccessDenied")
		assert.Len(t, e.rcv.got(paths["json-hook"]), 1, "the other channels are notified")
		assert.Empty(t, e.deliveries.status(snsevents.Load(t, snsevents.OurAlarm).Records[0].SNS.MessageID, "pager"), "released")
	})
}

// TestSSRF: a webhook URL into the metadata service, or to loopback where private addresses are not
// allowed, is refused before any connection and not retried; the URL never reaches a log or error.
func TestSSRF(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		allowPrivate bool
		url          func(rcvURL string) string
		why          string
	}{
		{name: "metadata, private allowed", allowPrivate: true, url: func(string) string { return "http://169.254.169.254/latest/meta-data/secret-token-M3T4" }, why: "cloud metadata address (refused always)"},
		{name: "metadata, https", url: func(string) string { return "https://169.254.169.254/secret-token-M3T4" }, why: "cloud metadata address (refused always)"},
		{name: "metadata by a name", allowPrivate: true, url: func(string) string { return "http://metadata.hooks.test/secret-token-M3T4" }, why: "cloud metadata address"},
		{name: "loopback, private not allowed", url: func(u string) string { return strings.Replace(u, "http://", "https://", 1) + "/secret-token-L00P" }, why: "address 127.0.0.1 refused by the SSRF guard"},
		{name: "loopback by a name, private not allowed", url: func(string) string { return "https://loopback.hooks.test/secret-token-L00P" }, why: "address 127.0.0.1 refused by the SSRF guard"},
		{name: "http, private not allowed", url: func(u string) string { return u + "/secret-token-L00P" }, why: "webhooks must be https"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, withChannels(channels[0]), withPoster(func(o *notify.PosterOptions) {
				o.Guard = netguard.New(tc.allowPrivate)
				o.Resolver = fixedResolver{"metadata.hooks.test": "169.254.169.254", "loopback.hooks.test": "127.0.0.1"}
			}))
			e.secrets.values["json-hook"] = tc.url(e.rcv.URL)
			ev := event(t, snsevents.OurAlarm, "")
			err := e.h.Handle(context.Background(), ev)
			require.Error(t, err)
			assert.ErrorIs(t, err, notify.ErrRefused)
			assert.Contains(t, err.Error(), tc.why)
			assert.Zero(t, e.rcv.total(), "never dialled")
			assert.Contains(t, e.logs.String(), `"attempts":`)
			assert.NotContains(t, e.logs.String(), `"attempts":2`, "a refusal is not retried")
			for _, text := range []string{err.Error(), e.logs.String()} {
				assert.NotContains(t, text, "secret-token")
			}
			assert.Empty(t, e.deliveries.status(ev.Records[0].SNS.MessageID, "json-hook"), "released: a corrected secret is posted on the retry")
		})
	}
}

// TestSecretsStayOutOfLogs: the webhook URLs and routing key are never logged, whatever happens.
func TestSecretsStayOutOfLogs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withPoster(func(o *notify.PosterOptions) { o.AttemptTimeout = 100 * time.Millisecond }))
	e.rcv.answer(paths["json-hook"], 500, 500, 500)
	e.rcv.answer(paths["slack-hook"], 400)
	e.rcv.slow(paths["teams-hook"], time.Second)
	e.rcv.answer(paths["pager"], 429, 200)
	err := e.h.Handle(context.Background(), event(t, snsevents.OurAlarm, ""))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "channel teams-hook: timeout")
	for _, text := range []string{err.Error(), e.logs.String()} {
		assert.NotContains(t, text, "secret-token")
		assert.NotContains(t, text, routingKey)
	}
	assert.Len(t, e.rcv.got(paths["pager"]), 2, "429 retried")
}

func TestNoChannels(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withChannels(), withoutTopic())
	require.NoError(t, e.h.Handle(context.Background(), event(t, snsevents.OurAlarm, "")))
	assert.Zero(t, e.deliveries.claims)
	assert.Contains(t, e.logs.String(), "no notification channel is configured")
}

// TestEveryRecord: an event of several records notifies each; a failing one does not stop the next.
func TestEveryRecord(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withChannels(channels[0]))
	e.targets.err = nil
	ev := event(t, snsevents.OurAlarm, "")
	ops := event(t, snsevents.OurHeartbeat, "")
	broken := ev.Records[0]
	broken.SNS.MessageID = "other"
	broken.SNS.Message = strings.ReplaceAll(broken.SNS.Message, targetID, "9a1b2c3d4e5f60718293a4b5c6d7e8f9")
	ev.Records = append(ev.Records, broken, ops.Records[0])
	require.NoError(t, e.h.Handle(context.Background(), ev))
	got := e.rcv.got(paths["json-hook"])
	require.Len(t, got, 2, "the target alarm and the ops alarm; the unknown target is nobody's")
	assert.Contains(t, got[0]+got[1], `"event":"OPS_ALARM"`)
	assert.Contains(t, got[0]+got[1], `"event":"DOWN"`)
}

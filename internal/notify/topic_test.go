package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/alarmlog"
	"github.com/webhealth/webhealth/internal/netguard"
	"github.com/webhealth/webhealth/internal/notify"
	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
	"github.com/webhealth/webhealth/internal/testutil/snsevents"
)

// goldenText compares a text with testdata/golden/<name>.txt (-update rewrites it).
func goldenText(t *testing.T, name, text string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".txt")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./internal/notify/ -run TestTopicGolden -update to write it")
	assert.Equal(t, string(want), text, "text differs from %s", path)
}

// topicMessage decodes a publish's MessageStructure json message: protocol -> message.
func topicMessage(t *testing.T, in *sns.PublishInput) map[string]string {
	t.Helper()
	assert.Equal(t, "json", aws.ToString(in.MessageStructure))
	assert.Equal(t, topicARN, aws.ToString(in.TopicArn))
	var m map[string]string
	require.NoError(t, json.Unmarshal([]byte(aws.ToString(in.Message)), &m))
	return m
}

// TestTopicGolden: every kind of notification is published once to the people topic: e-mail gets the
// plain text under its subject, Chatbot (https, and any other protocol: default) the custom
// notification; both recorded in testdata/golden.
func TestTopicGolden(t *testing.T) {
	t.Parallel()
	for _, sc := range scenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sc.opts...)
			if sc.prepare != nil {
				sc.prepare(e)
			}
			require.NoError(t, e.h.Handle(context.Background(), sc.ev))
			pub := e.topic.published()
			require.Len(t, pub, 1)
			m := topicMessage(t, pub[0])
			assert.ElementsMatch(t, []string{"default", "https", "email"}, mapKeys(m))
			assert.Equal(t, m["default"], m["https"], "Chatbot subscribes over https; anything else gets the same")
			golden(t, sc.name+".chatbot", m["default"])
			goldenText(t, sc.name+".email", "Subject: "+aws.ToString(pub[0].Subject)+"\n\n"+m["email"])
		})
	}
}

func mapKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestTopicShapes holds the topic message to what SNS and Chatbot require, beyond the golden bytes.
func TestTopicShapes(t *testing.T) {
	t.Parallel()
	for _, sc := range scenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sc.opts...)
			if sc.prepare != nil {
				sc.prepare(e)
			}
			require.NoError(t, e.h.Handle(context.Background(), sc.ev))
			pub := e.topic.published()
			require.Len(t, pub, 1)
			subject := aws.ToString(pub[0].Subject)
			assertSubject(t, subject)
			m := topicMessage(t, pub[0])

			var cb map[string]any
			require.NoError(t, json.Unmarshal([]byte(m["default"]), &cb))
			assert.Equal(t, "1.0", cb["version"])
			assert.Equal(t, "custom", cb["source"])
			assert.Equal(t, sc.ev.Records[0].SNS.MessageID, cb["id"])
			content := cb["content"].(map[string]any)
			assert.Equal(t, "client-markdown", content["textType"])
			assert.LessOrEqual(t, utf8.RuneCountInString(content["title"].(string)), 250)
			assert.LessOrEqual(t, utf8.RuneCountInString(content["description"].(string)), 4000)
			meta := cb["metadata"].(map[string]any)
			alarmName := meta["additionalContext"].(map[string]any)["alarm_name"].(string)
			assert.Equal(t, alarmName, meta["threadId"], "an alarm's notifications share a thread")
			for _, v := range meta["additionalContext"].(map[string]any) {
				assert.IsType(t, "", v, "additionalContext holds strings")
			}

			email := m["email"]
			for _, want := range []string{"Region:", "Alarm:", "https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/" + alarmName} {
				assert.Contains(t, email, want)
			}
			if !strings.HasPrefix(sc.name, "ops") {
				assert.Contains(t, email, "Target:")
				assert.Contains(t, email, "Last check:")
				assert.Contains(t, subject, "(https://example.com/health)")
			}
		})
	}
}

func assertSubject(t *testing.T, s string) {
	t.Helper()
	assert.NotEmpty(t, s)
	assert.LessOrEqual(t, len(s), notify.MaxSubjectLength, "SNS takes less than 100 characters")
	for _, r := range s {
		assert.True(t, r >= ' ' && r <= '~', "printable ASCII only: %q in %q", r, s)
	}
}

// TestEmailSubject: what happened, the target's name and URL, in printable ASCII under 100 characters.
func TestEmailSubject(t *testing.T) {
	t.Parallel()
	tg := exampleTarget()
	ev := notify.Event{Event: notify.EventDown, Kind: "availability", AlarmName: prefix + "-" + targetID + "-availability", Target: &tg}
	assert.Equal(t, "DOWN: example.com (https://example.com/health)", notify.EmailSubject(ev))

	ev.Event = notify.EventCertificate
	assert.Equal(t, "CERTIFICATE EXPIRES: example.com (https://example.com/health)", notify.EmailSubject(ev))

	tg.Name = "Café Zürich — 東京"
	ev.Event = notify.EventRecovered
	assert.Equal(t, "RECOVERED: Cafe Zurich ? ?? (https://example.com/health)", notify.EmailSubject(ev))

	tg.Name = strings.Repeat("a very long name ", 10)
	got := notify.EmailSubject(ev)
	assertSubject(t, got)
	assert.True(t, strings.HasSuffix(got, "..."), got)
	assert.Len(t, got, notify.MaxSubjectLength)

	ops := notify.Event{Event: notify.EventOpsAlarm, Kind: notify.KindOps, AlarmName: "webhealth-web-prod-eu-west-1-crawler-heartbeat"}
	assert.Equal(t, "OPS ALARM: webhealth-web-prod-eu-west-1-crawler-heartbeat", notify.EmailSubject(ops))
}

// TestChatbotTextIsNotMarkup: a target's name cannot mention a Slack channel or fake a link.
func TestChatbotTextIsNotMarkup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tg := exampleTarget()
	tg.Name = "<!channel> <https://evil.example|click>"
	e.targets.items[targetID] = tg
	require.NoError(t, e.h.Handle(context.Background(), event(t, snsevents.OurAlarm, "")))
	m := topicMessage(t, e.topic.published()[0])
	assert.NotContains(t, m["default"], "<!channel>")
	assert.NotContains(t, m["default"], "<https://evil")
	assert.Contains(t, m["default"], "‹!channel>")
	assert.Contains(t, m["email"], "<!channel>", "plain text shows the name as it is")
}

// TestTopicIsToldLikeAWebhook: the people topic gets exactly the state changes the webhooks get.
func TestTopicIsToldLikeAWebhook(t *testing.T) {
	t.Parallel()
	insufficientToOK := snsevents.Edited(t, snsevents.OurAlarm, func(m map[string]any) {
		m["OldStateValue"], m["NewStateValue"] = "INSUFFICIENT_DATA", "OK"
	})
	t.Run("a new alarm's first evaluation: nothing published", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		require.NoError(t, e.h.Handle(context.Background(), event(t, snsevents.OurAlarm, insufficientToOK)))
		assert.Empty(t, e.topic.published())
		assert.Zero(t, e.topic.calls)
	})
	t.Run("a muted target: nothing published", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		tg := exampleTarget()
		until := ts(alarmAt).Add(time.Hour)
		tg.MutedUntil = &until
		e.targets.items[targetID] = tg
		require.NoError(t, e.h.Handle(context.Background(), event(t, snsevents.OurAlarm, "")))
		assert.Zero(t, e.topic.calls)
		assert.Empty(t, e.deliveries.status(snsevents.Load(t, snsevents.OurAlarm).Records[0].SNS.MessageID, notify.TopicChannel))
	})
	t.Run("without webhooks, the topic alone", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, withChannels())
		ev := event(t, snsevents.OurAlarm, "")
		require.NoError(t, e.h.Handle(context.Background(), ev))
		assert.Len(t, e.topic.published(), 1)
		assert.Equal(t, store.DeliveryDelivered, e.deliveries.status(ev.Records[0].SNS.MessageID, notify.TopicChannel))
	})
	t.Run("no topic configured: nothing published, nothing claimed for it", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, withoutTopic())
		ev := event(t, snsevents.OurAlarm, "")
		require.NoError(t, e.h.Handle(context.Background(), ev))
		assert.Zero(t, e.topic.calls)
		assert.Equal(t, len(channels), e.deliveries.claims)
	})
}

// TestTopicRedeliveryPublishesOnce: SNS delivering the alarm notification again publishes nothing more.
func TestTopicRedeliveryPublishesOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ev := event(t, snsevents.OurAlarm, "")
	require.NoError(t, e.h.Handle(context.Background(), ev))
	require.NoError(t, e.h.Handle(context.Background(), ev))
	assert.Len(t, e.topic.published(), 1)
	assert.Equal(t, 1, e.topic.calls)
	assert.Equal(t, store.DeliveryDelivered, e.deliveries.status(ev.Records[0].SNS.MessageID, notify.TopicChannel))
}

// TestFailingPublish: a publish that fails fails the invocation and holds up no webhook; Lambda's retry
// publishes it, once, and posts no webhook again.
func TestFailingPublish(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.topic.fail(errors.New("KMSThrottlingException: Rate exceeded"))
	ev := event(t, snsevents.OurAlarm, "")
	msgID := ev.Records[0].SNS.MessageID

	err := e.h.Handle(context.Background(), ev)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "channel _sns: publish to the people topic: KMSThrottlingException")
	for _, ch := range channels {
		assert.Len(t, e.rcv.got(paths[ch.Name]), 1, ch.Name)
		assert.Equal(t, store.DeliveryDelivered, e.deliveries.status(msgID, ch.Name))
	}
	assert.Empty(t, e.topic.published())
	assert.Empty(t, e.deliveries.status(msgID, notify.TopicChannel), "the failed claim is released for the retry")

	require.NoError(t, e.h.Handle(context.Background(), ev), "Lambda's retry")
	assert.Len(t, e.topic.published(), 1)
	assert.Equal(t, 2, e.topic.calls)
	for _, ch := range channels {
		assert.Len(t, e.rcv.got(paths[ch.Name]), 1, ch.Name)
	}
	assert.Equal(t, store.DeliveryDelivered, e.deliveries.status(msgID, notify.TopicChannel))
}

// TestTopicWithoutClient: a topic configured without an SNS client fails the invocation (so the
// message reaches the failure queue) rather than dropping it.
func TestTopicWithoutClient(t *testing.T) {
	t.Parallel()
	cfg := notify.Config{AlarmPrefix: prefix, NotifyTopicARN: topicARN, ConsoleURL: notify.DefaultConsoleURL, Region: "eu-west-1"}
	deliveries := newFakeDeliveries()
	h := notify.New(cfg, &fakeTargets{items: map[string]target.Target{targetID: exampleTarget()}}, &fakeHistory{}, deliveries,
		&fakeSecrets{}, mustPoster(t, notify.PosterOptions{Guard: netguard.New(false)}), nil,
		notify.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	ev := event(t, snsevents.OurAlarm, "")
	err := h.Handle(context.Background(), ev)
	require.ErrorContains(t, err, "no SNS client")
	assert.Empty(t, deliveries.status(ev.Records[0].SNS.MessageID, notify.TopicChannel), "released: owed")
}

// memAlarms is the alarm table as the alarm logger writes it.
type memAlarms struct{ items []store.AlarmItem }

func (m *memAlarms) Record(_ context.Context, it store.AlarmItem) error {
	m.items = append(m.items, it)
	return nil
}
func (m *memAlarms) RecordUnparsed(context.Context, store.UnparsedAlarmItem) error { return nil }

// TestMuteRuleIsTheAlarmLoggers: for any mute and any clock, the notifier tells a state change exactly
// when the alarm logger records it not muted.
func TestMuteRuleIsTheAlarmLoggers(t *testing.T) {
	t.Parallel()
	change := ts(alarmAt)
	offsets := []time.Duration{-time.Hour, -2 * time.Second, -time.Millisecond, 0, time.Millisecond, 2 * time.Second, time.Hour}
	for _, until := range append([]time.Duration{}, offsets...) {
		for _, now := range offsets {
			for _, unmuted := range []bool{false, true} {
				tg := exampleTarget()
				if !unmuted {
					u := change.Add(until)
					tg.MutedUntil = &u
				}
				clock := func() time.Time { return change.Add(now) }
				targets := &fakeTargets{items: map[string]target.Target{targetID: tg}}
				records := &memAlarms{}
				logger := alarmlog.New(records, targets, alarmlog.Config{AlarmPrefix: prefix, RetentionDays: 90}, alarmlog.WithClock(clock), alarmlog.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
				ev := event(t, snsevents.OurAlarm, "")
				require.NoError(t, logger.Handle(context.Background(), ev))
				require.Len(t, records.items, 1)

				e := newEnv(t, withChannels(), withNow(change.Add(now)))
				e.targets.items[targetID] = tg
				require.NoError(t, e.h.Handle(context.Background(), events.SNSEvent{Records: ev.Records}))
				told := len(e.topic.published()) == 1
				assert.Equal(t, !records.items[0].Muted, told, "muted until change%+v, now change%+v, unmuted %v", until, now, unmuted)
			}
		}
	}
}

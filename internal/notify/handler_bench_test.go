package notify_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/webhealth/webhealth/internal/netguard"
	"github.com/webhealth/webhealth/internal/notify"
	"github.com/webhealth/webhealth/internal/target"
	"github.com/webhealth/webhealth/internal/testutil/snsevents"
)

// BenchmarkHandler measures one alarm notification (our DOWN fixture) to four channels, one per
// format, in process: parse, target read (in-memory), claim, render, post over loopback to an httptest
// receiver through the SSRF-guarded dialer (connections kept alive), complete; logs go to a JSON
// handler like Lambda's (into io.Discard). Each iteration is a new SNS message.
func BenchmarkHandler(b *testing.B) {
	rcv := newReceiver(b)
	cfg := notify.Config{
		URLsTable: "urls", AlarmsTable: "alarms", DeliveriesTable: "deliveries", AlarmPrefix: prefix,
		Channels: channels, AllowPrivateTargets: true, ConsoleURL: notify.DefaultConsoleURL,
		PagerDutyEventsURL: rcv.URL + paths["pager"], Region: "eu-west-1",
	}
	deliveries := newFakeDeliveries()
	secrets := &fakeSecrets{values: map[string]string{
		"json-hook": rcv.URL + paths["json-hook"], "slack-hook": rcv.URL + paths["slack-hook"],
		"teams-hook": rcv.URL + paths["teams-hook"], "pager": routingKey,
	}}
	h := notify.New(cfg, &fakeTargets{items: map[string]target.Target{targetID: exampleTarget()}}, &fakeHistory{}, deliveries, secrets,
		mustPoster(b, notify.PosterOptions{Guard: netguard.New(true)}), nil,
		notify.WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))))
	ev := snsevents.Load(b, snsevents.OurAlarm)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()

	if err := h.Handle(ctx, ev); err != nil {
		b.Fatal(err)
	}
	for _, ch := range channels {
		if n := len(rcv.got(paths[ch.Name])); n != 1 {
			b.Fatalf("channel %s got %d posts", ch.Name, n)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		ev.Records[0].SNS.MessageID = "bench-" + strconv.Itoa(i)
		if err := h.Handle(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
	if got, want := rcv.total(), 4*(i+1); got != want {
		b.Fatalf("%d posts, want %d", got, want)
	}
	b.ReportMetric(float64(4*i)/b.Elapsed().Seconds(), "posts/s")
}

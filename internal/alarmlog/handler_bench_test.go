package alarmlog_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/webhealth/webhealth/internal/alarmlog"
	"github.com/webhealth/webhealth/internal/store"
)

// benchEvent is an SNS event of n records made from our ALARM and OK fixtures (CloudWatch's exact
// format) in turn, each for its own target and with its own MessageId, so every record is a new
// state change to store.
func benchEvent(b *testing.B, n int) events.SNSEvent {
	b.Helper()
	fixtures := []events.SNSEventRecord{loadEvent(b, ourAlarm).Records[0], loadEvent(b, ourOK).Records[0]}
	ev := events.SNSEvent{Records: make([]events.SNSEventRecord, n)}
	for i := range n {
		r := fixtures[i%len(fixtures)]
		id := fmt.Sprintf("%032x", i+1)
		r.SNS.Message = strings.ReplaceAll(r.SNS.Message, targetID, id)
		r.SNS.Subject = strings.ReplaceAll(r.SNS.Subject, targetID, id)
		r.SNS.MessageID = fmt.Sprintf("%08x-0000-5000-8000-%012x", i+1, i+1)
		ev.Records[i] = r
	}
	return ev
}

// BenchmarkHandlerThroughput measures how many SNS records per second the handler parses, encodes and
// writes (conditional PutItem) into the in-memory alarm table, logging each through a JSON handler
// like Lambda's (into io.Discard). Each batch goes into an empty table, so every record is a new write.
func BenchmarkHandlerThroughput(b *testing.B) {
	for _, batch := range []int{10, 100} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			ev := benchEvent(b, batch)
			db := newFakeDB()
			h := alarmlog.New(store.NewAlarms(db, config().Table), &fakeTargets{}, config(), alarmlog.WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))))
			ctx := context.Background()

			if err := h.Handle(ctx, ev); err != nil {
				b.Fatal(err)
			}
			for _, it := range db.all() {
				if it["target_id"] == store.UnparsedTargetID {
					b.Fatalf("a benchmark record was not parsed as an alarm state change: %v", it)
				}
			}
			if got := len(db.all()); got != batch {
				b.Fatalf("%d records stored of %d", got, batch)
			}

			b.ReportAllocs()
			batches := 0
			for b.Loop() {
				db.reset()
				if err := h.Handle(ctx, ev); err != nil {
					b.Fatal(err)
				}
				batches++
			}
			b.ReportMetric(float64(batches*batch)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// reset empties the table.
func (f *fakeDB) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.items)
}

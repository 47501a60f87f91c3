package crawler

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/contract"
	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
)

// upProber finds every target up at once, counting the probes and signalling when the n-th starts
// (n < 0: never).
type upProber struct {
	n      int32
	probed atomic.Int32
	all    chan struct{}
}

func (p *upProber) Probe(_ context.Context, _ target.Target) target.Observation {
	if p.probed.Add(1) == p.n {
		close(p.all)
	}
	return target.Observation{CheckedAt: time.Now().UTC(), StatusCode: 200, Attempts: 1}
}

func TestLastCheckWritesDoNotHoldProbeSlots(t *testing.T) {
	t.Parallel()
	// One probe slot, so one writer and one queued write: three targets are checked while the
	// first write is still under way.
	const n = 3
	tests := []struct {
		name     string
		writeErr error
		failures int
	}{
		{name: "written"},
		{name: "failures counted", writeErr: errors.New("ProvisionedThroughputExceeded"), failures: n},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Writes finish only once every target was probed: were the write made by the worker that
			// probed, the second probe would wait for the first write, which waits for the last probe.
			p := &upProber{n: n, all: make(chan struct{})}
			var waited atomic.Bool
			db := &fakeDB{updateErr: func(string) error {
				select {
				case <-p.all:
					return tc.writeErr
				case <-time.After(10 * time.Second):
					waited.Store(true)
					return errors.New("write waited for probes that did not come")
				}
			}}
			for i := range n {
				db.add(t, targetItem(t, testTarget(i, "http://192.0.2.1/")))
			}
			cfg := testConfig()
			cfg.Concurrency = 1
			c, err := New(cfg, testRegion, store.NewTargets(db, cfg.URLsTable), &fakeCW{}, p)
			require.NoError(t, err)

			sum, err := c.Run(context.Background())
			assert.False(t, waited.Load(), "a write held the only probe slot")
			assert.Equal(t, n, sum.Checked)
			assert.Equal(t, tc.failures, sum.LastCheckFailures)
			require.NoError(t, err, "failed writes are partial failures, not an error")
			assert.Equal(t, tc.failures, sum.RunFailures)
			if tc.failures == 0 {
				assert.Len(t, db.lastChecks(), n, "every result written before Run returns")
			} else {
				assert.Empty(t, db.lastChecks())
			}
		})
	}
}

func TestAlarmsAreListedWhileTargetsAreScanned(t *testing.T) {
	t.Parallel()
	// The scan's second page is served only once the alarms are being listed: listed after the
	// scan, as they once were, they would never be, and the scan would fail.
	described := make(chan struct{})
	var once sync.Once
	cw := &fakeCW{alarmErr: func(op, _ string) error {
		if op == "describe" {
			once.Do(func() { close(described) })
		}
		return nil
	}}
	db := &fakeDB{pageSize: 1, beforePage: func(_ context.Context, page int) error {
		if page < 2 {
			return nil
		}
		select {
		case <-described:
			return nil
		case <-time.After(10 * time.Second):
			return errors.New("the alarms were not listed during the scan")
		}
	}}
	const n = 2
	for i := range n {
		db.add(t, targetItem(t, testTarget(i, "http://192.0.2.1/")))
	}
	c, err := New(testConfig(), testRegion, store.NewTargets(db, testConfig().URLsTable), cw, &upProber{n: n, all: make(chan struct{})})
	require.NoError(t, err)

	sum, err := c.Run(context.Background())
	require.NoError(t, err)
	assert.Equal(t, n, sum.Checked)
	assert.Equal(t, 2*n, sum.AlarmsCreated)
}

func TestFullMetricBatchIsSentWhileTheWorkerGoesOn(t *testing.T) {
	t.Parallel()
	// The send of a full batch finishes only once add has returned: were it sent by the worker
	// that filled it, add would wait for it. flush waits for it.
	added := make(chan struct{})
	var sent atomic.Int32
	var waited atomic.Bool
	b := newMetricBatcher("ns", func(_ context.Context, batch []cwtypes.MetricDatum) error {
		select {
		case <-added:
		case <-time.After(10 * time.Second):
			waited.Store(true)
		}
		sent.Add(int32(len(batch)))
		return nil
	})
	c := newTestCrawler(t, testConfig(), &fakeDB{}, &fakeCW{})
	datums := c.runDatums(Summary{}, time.Now())[:4] // 1000 is a multiple of 4
	for range maxDatumsPerCall / len(datums) {
		b.add(context.Background(), datums...)
	}
	close(added)
	b.add(context.Background(), datums...)
	b.flush(context.Background())
	require.NoError(t, b.err())
	assert.False(t, waited.Load(), "add waited for the send of the batch it filled")
	assert.Equal(t, int32(maxDatumsPerCall+len(datums)), sent.Load(), "flush sent the rest after the full batch")
}

func TestAlarmDigestKeepsFieldsApart(t *testing.T) {
	t.Parallel()
	c := newTestCrawler(t, testConfig(), &fakeDB{}, &fakeCW{})
	want := c.desiredAlarm(&alarmTarget{ID: testID(1), URL: "https://a/", Name: "a", LatencyThresholdMS: 500}, contract.AlarmKindLatency)
	have := alarmFromInput(want)
	require.True(t, sameAlarm(have, want))
	// The same bytes split differently between two fields are another alarm.
	have.AlarmDescription = aws.String(aws.ToString(want.AlarmDescription) + "W")
	have.Namespace = aws.String(strings.TrimPrefix(aws.ToString(want.Namespace), "W"))
	require.NotEqual(t, aws.ToString(want.Namespace), aws.ToString(have.Namespace))
	assert.False(t, sameAlarm(have, want))
}

//go:build e2e

package test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/store"
)

// latencyStats summarises one operation's latencies in milliseconds.
type latencyStats struct {
	Count  int     `json:"count"`
	MinMS  float64 `json:"min_ms"`
	P50MS  float64 `json:"p50_ms"`
	P95MS  float64 `json:"p95_ms"`
	MaxMS  float64 `json:"max_ms"`
	MeanMS float64 `json:"mean_ms"`
}

// summarize computes the statistics (nearest-rank percentiles) of the samples.
func summarize(samples []time.Duration) latencyStats {
	if len(samples) == 0 {
		return latencyStats{}
	}
	ms := make([]float64, len(samples))
	var sum float64
	for i, d := range samples {
		ms[i] = float64(d.Microseconds()) / 1000
		sum += ms[i]
	}
	slices.Sort(ms)
	rank := func(p float64) float64 {
		i := int(math.Ceil(p/100*float64(len(ms)))) - 1
		return ms[max(0, min(i, len(ms)-1))]
	}
	return latencyStats{Count: len(ms), MinMS: ms[0], P50MS: rank(50), P95MS: rank(95), MaxMS: ms[len(ms)-1], MeanMS: sum / float64(len(ms))}
}

// TestDynamoDBLatency measures the URL table's write and read latency as the functions see it: PutItem
// and GetItem (strongly consistent) of a scratch item of a target's size, E2E_DDB_ITERATIONS times
// (default 50), through the SDK against the stack's endpoint. The numbers are reported (t.Logf and
// reports/dynamodb-latency.json), not asserted: only that every operation succeeds and reads back what
// was written. The scratch item's kind is neither "target" nor "urlkey", so the API and the crawler never
// see it; it is deleted at the end.
func TestDynamoDBLatency(t *testing.T) {
	t.Parallel()
	s := testStack(t)
	table := s.outputs(t).URLsTable
	iterations := 50
	if v := os.Getenv("E2E_DDB_ITERATIONS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "E2E_DDB_ITERATIONS")
		require.Positive(t, n, "E2E_DDB_ITERATIONS")
		iterations = n
	}
	db := dynamodb.NewFromConfig(s.awsCfg)
	id := "e2e-latency#" + uniqueName()
	key := map[string]ddbtypes.AttributeValue{store.AttrID: &ddbtypes.AttributeValueMemberS{Value: id}}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: key}); err != nil {
			t.Errorf("cleanup: delete the scratch item %s: %v", id, err)
		}
	})

	payload := strings.Repeat("x", 400) // about a stored target with its last_check
	var puts, gets []time.Duration
	// One untimed round first: the first call pays for connection setup, which is not the table's latency.
	for i := -1; i < iterations; i++ {
		seq := strconv.Itoa(i)
		item := map[string]ddbtypes.AttributeValue{
			store.AttrID:   &ddbtypes.AttributeValueMemberS{Value: id},
			store.AttrKind: &ddbtypes.AttributeValueMemberS{Value: "e2e-latency"},
			"seq":          &ddbtypes.AttributeValueMemberN{Value: seq},
			"payload":      &ddbtypes.AttributeValueMemberS{Value: payload},
		}
		start := time.Now()
		_, err := db.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item})
		putTook := time.Since(start)
		require.NoError(t, err, "PutItem %d", i)

		start = time.Now()
		got, err := db.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
		getTook := time.Since(start)
		require.NoError(t, err, "GetItem %d", i)
		n, ok := got.Item["seq"].(*ddbtypes.AttributeValueMemberN)
		require.True(t, ok, "GetItem %d returned no seq: %v", i, got.Item)
		require.Equal(t, seq, n.Value, "a consistent read returns the write before it")
		if i >= 0 {
			puts, gets = append(puts, putTook), append(gets, getTook)
		}
	}

	report := struct {
		MeasuredAt string       `json:"measured_at"`
		Endpoint   string       `json:"endpoint"`
		Region     string       `json:"region"`
		Table      string       `json:"table"`
		Iterations int          `json:"iterations"`
		ItemBytes  int          `json:"item_bytes_approx"`
		PutItem    latencyStats `json:"put_item"`
		GetItem    latencyStats `json:"get_item_consistent"`
	}{
		MeasuredAt: time.Now().UTC().Format(time.RFC3339), Endpoint: firstNonEmpty(s.endpoint, "aws"), Region: s.region,
		Table: table, Iterations: iterations, ItemBytes: len(payload) + len(id) + 32,
		PutItem: summarize(puts), GetItem: summarize(gets),
	}
	assert.Equal(t, iterations, report.PutItem.Count)
	assert.Equal(t, iterations, report.GetItem.Count)
	t.Logf("DynamoDB %s at %s, %d iterations: PutItem p50 %.2f ms, p95 %.2f ms, max %.2f ms; GetItem (consistent) p50 %.2f ms, p95 %.2f ms, max %.2f ms",
		table, report.Endpoint, iterations, report.PutItem.P50MS, report.PutItem.P95MS, report.PutItem.MaxMS,
		report.GetItem.P50MS, report.GetItem.P95MS, report.GetItem.MaxMS)

	dir := firstNonEmpty(os.Getenv("E2E_REPORTS_DIR"), filepath.Join(s.repoRoot, "reports"))
	require.NoError(t, os.MkdirAll(dir, 0o755))
	b, err := json.MarshalIndent(report, "", "  ")
	require.NoError(t, err)
	path := filepath.Join(dir, "dynamodb-latency.json")
	require.NoError(t, os.WriteFile(path, append(b, '\n'), 0o644))
	t.Logf("written to %s", path)
}

// TestSummarize pins the percentile arithmetic the latency report rests on.
func TestSummarize(t *testing.T) {
	t.Parallel()
	var samples []time.Duration
	for i := 100; i >= 1; i-- { // 1..100 ms, unsorted
		samples = append(samples, time.Duration(i)*time.Millisecond)
	}
	got := summarize(samples)
	assert.Equal(t, latencyStats{Count: 100, MinMS: 1, P50MS: 50, P95MS: 95, MaxMS: 100, MeanMS: 50.5}, got)
	assert.Equal(t, latencyStats{Count: 1, MinMS: 7, P50MS: 7, P95MS: 7, MaxMS: 7, MeanMS: 7}, summarize([]time.Duration{7 * time.Millisecond}))
	assert.Equal(t, latencyStats{}, summarize(nil))
}

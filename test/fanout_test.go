//go:build e2e

package test

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/gruntwork-io/terratest/modules/retry"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/awsconfig/cwquery"
	"github.com/webhealth/webhealth/internal/contract"
)

// fanOutTargets is how many targets the fan-out test adds: never checked, each is costed at its whole
// 30 s timeout, and one invocation of the local stack (CONCURRENCY 16, a ~50 s probe window: such a
// check must start within its first ~20 s) can judge about 11 of them.
const fanOutTargets = 30

// TestCrawlerFansOut: a list one invocation cannot judge is split into shards that the worker function
// judges through the shard queue and its event source mapping (on the local stack the local runtime
// delivers them as Lambda does): one crawl judges every target, the coordinator's Shards metric says
// more than one shard, and no shard ends in the DLQ. It is not parallel: while its targets are
// unchecked every crawl fans out, which the other tests need not see.
func TestCrawlerFansOut(t *testing.T) {
	s := testStack(t)
	if !s.local() {
		t.Skip("the fan-out test needs targets the crawler reaches on this machine: the local stack")
	}
	out := s.outputs(t)
	require.NotEmpty(t, out.ShardQueueURL, "the workload fans out (crawler.max_shards > 1): output crawler_shard_queue_url")
	site := newTestSite(t)
	ids := map[string]bool{}
	for i := range fanOutTargets {
		created, _ := s.api.createTarget(t, map[string]any{"url": site.url("fanout-" + strconv.Itoa(i)), "name": "e2e fan-out " + strconv.Itoa(i), "timeout_ms": 30000})
		ids[created.ID] = true
	}
	start := time.Now().UTC()
	require.NoError(t, s.crawlNowE(t), "one crawl")

	// The coordinator returned once the shards were sent; the workers judge them after it.
	retry.DoWithRetry(t, "every target judged by the workers", 60, time.Second, func() (string, error) {
		left := 0
		for id := range ids {
			tg, _, err := s.api.getTargetRawE(t.Context(), id)
			if err != nil {
				return "", err
			}
			if tg.LastCheck == nil || tg.LastCheck.CheckedAt.Before(start.Add(-time.Second)) {
				left++
				continue
			}
			if !tg.LastCheck.Available {
				return "", retry.FatalError{Underlying: fmt.Errorf("target %s down: %+v", id, *tg.LastCheck)}
			}
		}
		if left > 0 {
			return "", fmt.Errorf("%d of %d targets not judged yet", left, len(ids))
		}
		return "", nil
	})

	cw := cloudwatch.NewFromConfig(s.awsCfg, cwquery.Option)
	retry.DoWithRetry(t, "the run's Shards metric", 10, time.Second, func() (string, error) {
		res, err := cw.GetMetricData(t.Context(), &cloudwatch.GetMetricDataInput{
			StartTime: aws.Time(start.Add(-2 * time.Minute)), EndTime: aws.Time(time.Now().Add(2 * time.Minute)),
			MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("shards"), MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: aws.String(out.MetricNamespace), MetricName: aws.String(contract.MetricShards),
					Dimensions: []cwtypes.Dimension{{Name: aws.String(contract.DimensionRegion), Value: aws.String(s.region)}}},
				Period: aws.Int32(60), Stat: aws.String("Maximum"),
			}}},
		})
		if err != nil {
			return "", retry.FatalError{Underlying: fmt.Errorf("GetMetricData: %w", err)}
		}
		if len(res.MetricDataResults) == 0 || len(res.MetricDataResults[0].Values) == 0 {
			return "", errors.New("no Shards datapoint yet")
		}
		values := res.MetricDataResults[0].Values
		if slices.Max(values) < 2 {
			return "", fmt.Errorf("Shards %v: no run fanned out", values)
		}
		return "", nil
	})

	q := sqs.NewFromConfig(s.awsCfg)
	depth := func(url string) int {
		a, err := q.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
		require.NoError(t, err, "GetQueueAttributes %s", url)
		n := 0
		for _, k := range []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible} {
			v, err := strconv.Atoi(a.Attributes[string(k)])
			require.NoError(t, err, "%s of %s", k, url)
			n += v
		}
		return n
	}
	if out.ShardDLQURL != "" {
		assert.Zero(t, depth(out.ShardDLQURL), "no shard failed")
	}
	retry.DoWithRetry(t, "the shard queue drained", 10, time.Second, func() (string, error) {
		if n := depth(out.ShardQueueURL); n > 0 {
			return "", fmt.Errorf("%d shard messages left", n)
		}
		return "", nil
	})
}

//go:build integration

package crawler

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/contract"
	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/testutil/moto"
	"github.com/webhealth/webhealth/internal/verdict"
)

// TestIntegrationVerdictOnMoto: two regions on one URL and checks table. The other region finds the
// target down, then the home region does too: the home region publishes RegionsDown 2 (TargetId alone)
// from its fresh check and the other's item, creates the verdict and degraded alarms (the metric math
// one as moto keeps it), and its next run rewrites neither; the other region creates neither.
func TestIntegrationVerdictOnMoto(t *testing.T) {
	t.Parallel()
	s := newMotoStack(t)
	checksTable := moto.CreateChecksTable(t, s.db)
	// A target id no other test of the package uses: moto 5.2.1's GetMetricData matches a query with
	// dimensions by metric name and dimensions alone, not the namespace, so another test's RegionsDown of
	// the same id (TestIntegrationTwoRegionsOnMoto publishes 0) would be read here.
	tg := testTarget(209, "http://192.0.2.1/")
	s.put(t, targetItem(t, tg))
	checks := store.NewChecks(s.db, checksTable)
	rule := verdict.Rule{Regions: []string{"us-east-1", "eu-west-1"}, Quorum: 2, StaleAfter: 3 * time.Minute}
	down := downProber{down: map[string]bool{tg.ID: true}}
	prefixOf := func(region string) string { return s.prefix + "-" + region }
	run := func(region string) Summary {
		t.Helper()
		cfg := s.config()
		cfg.ChecksTable = checksTable
		cfg.Regions = verdict.Settings{Region: region, Home: "us-east-1", Rule: rule}
		cfg.AlarmPrefix = prefixOf(region) // each region's stack has its own alarm prefix
		c, err := New(cfg, region, store.NewTargets(s.db, s.table), s.cw, down, WithChecks(checks), WithVerdict(checks))
		require.NoError(t, err)
		sum, err := c.Run(context.Background())
		require.NoError(t, err)
		assert.Zero(t, sum.RunFailures)
		return sum
	}

	other := run("eu-west-1")
	assert.Equal(t, 2, other.AlarmsCreated, "the other region: availability and latency only")
	first := run("us-east-1")
	assert.Equal(t, 4, first.AlarmsCreated, "the home region: availability, latency, verdict, degraded")

	verdictAlarm := contract.AlarmName(prefixOf("us-east-1"), tg.ID, contract.AlarmKindVerdict)
	degradedAlarm := contract.AlarmName(prefixOf("us-east-1"), tg.ID, contract.AlarmKindDegraded)
	alarms := s.alarms(t)
	require.Contains(t, alarms, verdictAlarm)
	require.Contains(t, alarms, degradedAlarm)
	for _, k := range []string{contract.AlarmKindVerdict, contract.AlarmKindDegraded} {
		assert.NotContains(t, alarms, contract.AlarmName(prefixOf("eu-west-1"), tg.ID, k))
	}
	assert.Equal(t, contract.MetricRegionsDown, aws.ToString(alarms[verdictAlarm].MetricName))
	require.Len(t, alarms[degradedAlarm].Metrics, 2, "moto keeps the metric math queries")
	assert.Equal(t, "IF(m >= 1 AND m < 2, 1, 0)", aws.ToString(alarms[degradedAlarm].Metrics[0].Expression))

	second := run("us-east-1")
	assert.Zero(t, second.AlarmsCreated+second.AlarmsUpdated+second.AlarmsDeleted, "moto's round trip of the verdict alarms compares equal")

	out, err := s.cw.GetMetricData(context.Background(), &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(time.Now().Add(-10 * time.Minute)), EndTime: aws.Time(time.Now().Add(time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("m"), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String(s.ns), MetricName: aws.String(contract.MetricRegionsDown),
				Dimensions: []cwtypes.Dimension{{Name: aws.String(contract.DimensionTargetID), Value: aws.String(tg.ID)}}},
			Period: aws.Int32(60), Stat: aws.String("Maximum"),
		}}},
	})
	require.NoError(t, err)
	require.Len(t, out.MetricDataResults, 1)
	require.NotEmpty(t, out.MetricDataResults[0].Values, "RegionsDown published by TargetId alone")
	for _, v := range out.MetricDataResults[0].Values {
		assert.Equal(t, 2.0, v, "both regions see it down")
	}
}

//go:build integration

package crawler

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/awsconfig/cwquery"
	"github.com/webhealth/webhealth/internal/contract"
	"github.com/webhealth/webhealth/internal/netguard"
	"github.com/webhealth/webhealth/internal/probe"
	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
	"github.com/webhealth/webhealth/internal/testutil/moto"
	"github.com/webhealth/webhealth/internal/verdict"
)

// motoStack is a URL table and CloudWatch on the shared moto_server, named uniquely for one test.
type motoStack struct {
	db     *dynamodb.Client
	cw     *cloudwatch.Client
	table  string
	prefix string
	ns     string
}

func newMotoStack(t *testing.T) *motoStack {
	t.Helper()
	cfg := moto.Shared(t).Config()
	db := dynamodb.NewFromConfig(cfg)
	prefix := moto.UniqueName(t, "it")
	return &motoStack{
		db:     db,
		cw:     cloudwatch.NewFromConfig(cfg, cwquery.Option),
		table:  moto.CreateURLTable(t, db),
		prefix: prefix,
		ns:     "WebHealth/" + prefix,
	}
}

func (s *motoStack) config() Config {
	cfg := testConfig()
	cfg.URLsTable, cfg.AlarmPrefix, cfg.MetricNamespace = s.table, s.prefix, s.ns
	cfg.AlarmTopicARN = "arn:aws:sns:us-east-1:123456789012:alarms"
	return cfg
}

func (s *motoStack) put(t *testing.T, item map[string]types.AttributeValue) {
	t.Helper()
	_, err := s.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item})
	require.NoError(t, err)
}

func (s *motoStack) get(t *testing.T, id string) (target.Target, bool) {
	t.Helper()
	out, err := s.db.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(s.table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}},
	})
	require.NoError(t, err)
	if out.Item == nil {
		return target.Target{}, false
	}
	tg, err := store.UnmarshalTarget(out.Item)
	require.NoError(t, err)
	return tg, true
}

func (s *motoStack) alarms(t *testing.T) map[string]cwtypes.MetricAlarm {
	t.Helper()
	out := map[string]cwtypes.MetricAlarm{}
	pages := cloudwatch.NewDescribeAlarmsPaginator(s.cw, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String(s.prefix + "-")})
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		require.NoError(t, err)
		for _, a := range page.MetricAlarms {
			out[aws.ToString(a.AlarmName)] = a
		}
	}
	return out
}

// deletingProber deletes one target from the table just before probing it: a target removed
// through the API while the crawl is running.
type deletingProber struct {
	inner Prober
	s     *motoStack
	id    string
}

func (d deletingProber) Probe(ctx context.Context, t target.Target) target.Observation {
	if t.ID == d.id {
		_, err := d.s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: aws.String(d.s.table),
			Key:       map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: t.ID}},
		})
		if err != nil {
			panic(err)
		}
	}
	return d.inner.Probe(ctx, t)
}

// countingScans counts Scan calls (pages read).
type countingScans struct {
	store.TargetsDB
	scans atomic.Int64
}

func (c *countingScans) Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	c.scans.Add(1)
	return c.TargetsDB.Scan(ctx, in, optFns...)
}

func TestIntegrationLargeMetricBatches(t *testing.T) {
	t.Parallel()
	s := newMotoStack(t)
	c, err := New(s.config(), moto.Region, store.NewTargets(s.db, s.table), s.cw, deletingProber{})
	require.NoError(t, err)
	// 1001 datums: a full batch of 1000 (large enough for the SDK to gzip it) and one more.
	b := newMetricBatcher(s.ns, c.putMetricData)
	now := time.Now()
	for i := range 1001 {
		b.add(context.Background(), cwtypes.MetricDatum{
			MetricName: aws.String(contract.MetricLatency), Value: aws.Float64(float64(i)), Unit: cwtypes.StandardUnitMilliseconds,
			Timestamp:  aws.Time(now),
			Dimensions: []cwtypes.Dimension{{Name: aws.String(contract.DimensionRegion), Value: aws.String(moto.Region)}},
		})
	}
	b.flush(context.Background())
	require.NoError(t, b.err())
	out, err := s.cw.GetMetricStatistics(context.Background(), &cloudwatch.GetMetricStatisticsInput{
		Namespace: aws.String(s.ns), MetricName: aws.String(contract.MetricLatency),
		Dimensions: []cwtypes.Dimension{{Name: aws.String(contract.DimensionRegion), Value: aws.String(moto.Region)}},
		StartTime:  aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now.Add(time.Hour)), Period: aws.Int32(7200),
		Statistics: []cwtypes.Statistic{cwtypes.StatisticSampleCount, cwtypes.StatisticMaximum},
	})
	require.NoError(t, err)
	require.Len(t, out.Datapoints, 1)
	assert.Equal(t, 1001.0, aws.ToFloat64(out.Datapoints[0].SampleCount))
	assert.Equal(t, 1000.0, aws.ToFloat64(out.Datapoints[0].Maximum))
}

func TestIntegrationCrawlAgainstMoto(t *testing.T) {
	t.Parallel()
	s := newMotoStack(t)
	ok := okServer(t)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	t.Cleanup(failing.Close)

	var enabled, disabled []target.Target
	for i := range 5 {
		enabled = append(enabled, testTarget(i, fmt.Sprintf("%s/up/%d", ok.URL, i)))
	}
	for i := 5; i < 7; i++ {
		enabled = append(enabled, testTarget(i, fmt.Sprintf("%s/down/%d", failing.URL, i)))
	}
	doomed := testTarget(7, ok.URL+"/doomed")
	enabled = append(enabled, doomed)
	// An https target with its own certificate threshold: the one with a certificate alarm.
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }))
	t.Cleanup(secure.Close)
	httpsTarget := testTarget(11, secure.URL+"/tls", func(t *target.Target) { t.CertExpiryThresholdDays = new(30) })
	enabled = append(enabled, httpsTarget)
	for i := 8; i < 11; i++ {
		disabled = append(disabled, testTarget(i, fmt.Sprintf("%s/off/%d", ok.URL, i), func(t *target.Target) { t.Enabled = false }))
	}
	for _, tg := range slices.Concat(enabled, disabled) {
		s.put(t, targetItem(t, tg))
		s.put(t, map[string]types.AttributeValue{
			"id":        &types.AttributeValueMemberS{Value: store.URLKeyPrefix + target.URLKey(tg.URL)},
			"kind":      &types.AttributeValueMemberS{Value: store.KindURLKey},
			"target_id": &types.AttributeValueMemberS{Value: tg.ID},
		})
	}
	manual := s.prefix + "-manual-alarm"
	_, err := s.cw.PutMetricAlarm(context.Background(), &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String(manual), Namespace: aws.String(s.ns), MetricName: aws.String("Other"),
		Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
	})
	require.NoError(t, err)

	roots := x509.NewCertPool()
	roots.AddCert(secure.Certificate())
	p, err := probe.New(probe.Options{Guard: netguard.New(true), RetryDelay: 10 * time.Millisecond, UserAgent: "webhealth/it", RootCAs: roots})
	require.NoError(t, err)
	db := &countingScans{TargetsDB: s.db}
	newCrawler := func(prober Prober) *Crawler {
		c, err := New(s.config(), moto.Region, store.NewTargets(db, s.table), s.cw, prober)
		require.NoError(t, err)
		c.scanPageSize = 3 // 24 items: eight pages, streamed
		c.throttleBackoff = time.Millisecond
		return c
	}

	// Run 1: everything from scratch; one target is deleted while the crawl runs.
	sum, err := newCrawler(deletingProber{inner: p, s: s, id: doomed.ID}).Run(context.Background())
	require.NoError(t, err)
	assert.Equal(t, len(enabled), sum.Checked)
	assert.Equal(t, 2, sum.Down)
	assert.Equal(t, 2*len(enabled)+1, sum.AlarmsCreated, "two per target, a certificate alarm for the https one")
	assert.GreaterOrEqual(t, db.scans.Load(), int64(8), "24 items at 3 per page are read over several pages")

	t.Run("last_check written, version untouched, deleted target not resurrected", func(t *testing.T) {
		for i, tg := range enabled[:7] {
			got, found := s.get(t, tg.ID)
			require.True(t, found)
			require.NotNil(t, got.LastCheck, tg.ID)
			assert.Equal(t, i < 5, got.LastCheck.Available, tg.ID)
			assert.Equal(t, int64(1), got.Version)
			assert.Equal(t, tg.URL, got.URL)
			assert.WithinDuration(t, time.Now(), got.LastCheck.CheckedAt, time.Minute)
		}
		_, found := s.get(t, doomed.ID)
		assert.False(t, found, "the conditional write must not recreate a deleted target")
		for _, tg := range disabled {
			got, found := s.get(t, tg.ID)
			require.True(t, found)
			assert.Nil(t, got.LastCheck, "disabled targets are not probed")
		}
	})

	t.Run("metrics visible in CloudWatch", func(t *testing.T) {
		ctx := context.Background()
		listed, err := s.cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String(s.ns), MetricName: aws.String(contract.MetricAvailability)})
		require.NoError(t, err)
		var ids []string
		for _, m := range listed.Metrics {
			dims := map[string]string{}
			for _, d := range m.Dimensions {
				dims[aws.ToString(d.Name)] = aws.ToString(d.Value)
			}
			assert.Equal(t, moto.Region, dims[contract.DimensionRegion])
			ids = append(ids, dims[contract.DimensionTargetID])
		}
		var want []string
		for _, tg := range enabled {
			want = append(want, tg.ID)
		}
		assert.ElementsMatch(t, want, ids)

		stat := func(metric string, dims []cwtypes.Dimension, st cwtypes.Statistic) float64 {
			t.Helper()
			out, err := s.cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
				Namespace: aws.String(s.ns), MetricName: aws.String(metric), Dimensions: dims,
				StartTime: aws.Time(time.Now().Add(-time.Hour)), EndTime: aws.Time(time.Now().Add(time.Hour)),
				Period: aws.Int32(3600), Statistics: []cwtypes.Statistic{st},
			})
			require.NoError(t, err)
			require.Len(t, out.Datapoints, 1, metric)
			dp := out.Datapoints[0]
			switch st {
			case cwtypes.StatisticMinimum:
				return aws.ToFloat64(dp.Minimum)
			case cwtypes.StatisticSum:
				return aws.ToFloat64(dp.Sum)
			default:
				return aws.ToFloat64(dp.Average)
			}
		}
		targetDims := func(id string) []cwtypes.Dimension {
			return []cwtypes.Dimension{
				{Name: aws.String(contract.DimensionTargetID), Value: aws.String(id)},
				{Name: aws.String(contract.DimensionRegion), Value: aws.String(moto.Region)},
			}
		}
		regionDims := []cwtypes.Dimension{{Name: aws.String(contract.DimensionRegion), Value: aws.String(moto.Region)}}
		assert.Equal(t, 1.0, stat(contract.MetricAvailability, targetDims(enabled[0].ID), cwtypes.StatisticMinimum))
		assert.Equal(t, 0.0, stat(contract.MetricAvailability, targetDims(enabled[5].ID), cwtypes.StatisticMinimum))
		assert.Positive(t, stat(contract.MetricLatency, targetDims(enabled[0].ID), cwtypes.StatisticAverage))
		assert.Equal(t, float64(len(enabled)), stat(contract.MetricTargetsChecked, regionDims, cwtypes.StatisticSum))
		assert.Equal(t, 2.0, stat(contract.MetricTargetsDown, regionDims, cwtypes.StatisticSum))
		assert.Equal(t, 0.0, stat(contract.MetricTargetsSkipped, regionDims, cwtypes.StatisticSum))
		assert.Positive(t, stat(contract.MetricRunDuration, regionDims, cwtypes.StatisticSum))
		assert.Greater(t, stat(contract.MetricCertDaysRemaining, targetDims(httpsTarget.ID), cwtypes.StatisticMinimum), 365.0, "httptest's certificate lasts decades")
	})

	t.Run("alarms created with the contract's shape", func(t *testing.T) {
		alarms := s.alarms(t)
		assert.Len(t, alarms, 2*len(enabled)+1+1)
		for _, tg := range enabled[:len(enabled)-1] {
			assert.NotContains(t, alarms, contract.AlarmName(s.prefix, tg.ID, contract.AlarmKindCertificate), "http targets have no certificate alarm")
		}
		cert := alarms[contract.AlarmName(s.prefix, httpsTarget.ID, contract.AlarmKindCertificate)]
		assert.Equal(t, contract.MetricCertDaysRemaining, aws.ToString(cert.MetricName))
		assert.Equal(t, cwtypes.StatisticMinimum, cert.Statistic)
		assert.Equal(t, cwtypes.ComparisonOperatorLessThanThreshold, cert.ComparisonOperator)
		assert.Equal(t, 30.0, aws.ToFloat64(cert.Threshold), "the target's cert_expiry_threshold_days")
		assert.Equal(t, "ignore", aws.ToString(cert.TreatMissingData), "the days are published in one hour of the day")
		assert.Equal(t, []string{s.config().AlarmTopicARN}, cert.AlarmActions)
		assert.Equal(t, []string{s.config().AlarmTopicARN}, cert.OKActions)
		assert.Equal(t, "webhealth: "+httpsTarget.URL+" (target 11) certificate expires in less than 30 days", aws.ToString(cert.AlarmDescription))
		a := alarms[contract.AlarmName(s.prefix, enabled[0].ID, contract.AlarmKindAvailability)]
		assert.Equal(t, contract.MetricAvailability, aws.ToString(a.MetricName))
		assert.Equal(t, s.ns, aws.ToString(a.Namespace))
		assert.Equal(t, cwtypes.StatisticMinimum, a.Statistic)
		assert.Equal(t, cwtypes.ComparisonOperatorLessThanThreshold, a.ComparisonOperator)
		assert.Equal(t, 1.0, aws.ToFloat64(a.Threshold))
		assert.Equal(t, int32(60), aws.ToInt32(a.Period))
		assert.Equal(t, int32(2), aws.ToInt32(a.EvaluationPeriods))
		assert.Equal(t, int32(2), aws.ToInt32(a.DatapointsToAlarm))
		assert.Equal(t, "missing", aws.ToString(a.TreatMissingData))
		assert.Equal(t, []string{s.config().AlarmTopicARN}, a.AlarmActions)
		assert.Equal(t, []string{s.config().AlarmTopicARN}, a.OKActions)
		assert.ElementsMatch(t, []cwtypes.Dimension{
			{Name: aws.String(contract.DimensionTargetID), Value: aws.String(enabled[0].ID)},
			{Name: aws.String(contract.DimensionRegion), Value: aws.String(moto.Region)},
		}, a.Dimensions)
		assert.Contains(t, aws.ToString(a.AlarmDescription), enabled[0].URL)
		l := alarms[contract.AlarmName(s.prefix, enabled[0].ID, contract.AlarmKindLatency)]
		assert.Equal(t, contract.MetricLatency, aws.ToString(l.MetricName))
		assert.Equal(t, cwtypes.StatisticAverage, l.Statistic)
		assert.Equal(t, cwtypes.ComparisonOperatorGreaterThanThreshold, l.ComparisonOperator)
		assert.Equal(t, 1000.0, aws.ToFloat64(l.Threshold))

		tags, err := s.cw.ListTagsForResource(context.Background(), &cloudwatch.ListTagsForResourceInput{ResourceARN: a.AlarmArn})
		require.NoError(t, err)
		gotTags := map[string]string{}
		for _, tag := range tags.Tags {
			gotTags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
		assert.Equal(t, map[string]string{contract.TagTargetID: enabled[0].ID, contract.TagAlarmKind: contract.AlarmKindAvailability}, gotTags)
	})

	t.Run("the next run rewrites no alarm, the certificate alarm included", func(t *testing.T) {
		sum, err := newCrawler(p).Run(context.Background())
		require.NoError(t, err)
		assert.Zero(t, sum.AlarmsCreated+sum.AlarmsUpdated, "moto's round trip of every kind compares equal")
		assert.Equal(t, 2, sum.AlarmsDeleted, "the target deleted during run 1 loses its alarms")
		for _, k := range contract.AlarmKinds() {
			assert.NotContains(t, s.alarms(t), contract.AlarmName(s.prefix, doomed.ID, k))
		}
	})

	// Run 2: a threshold changes, a target is disabled and the https one becomes http.
	_, err = s.db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: enabled[0].ID}},
		UpdateExpression:          aws.String("SET latency_threshold_ms = :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberN{Value: "2500"}},
	})
	require.NoError(t, err)
	_, err = s.db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: enabled[1].ID}},
		UpdateExpression:          aws.String("SET enabled = :f"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":f": &types.AttributeValueMemberBOOL{Value: false}},
	})
	require.NoError(t, err)
	plainURL := ok.URL + "/was-tls"
	_, err = s.db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: httpsTarget.ID}},
		UpdateExpression:          aws.String("SET #u = :u"),
		ExpressionAttributeNames:  map[string]string{"#u": "url"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":u": &types.AttributeValueMemberS{Value: plainURL}},
	})
	require.NoError(t, err)
	sum, err = newCrawler(p).Run(context.Background())
	require.NoError(t, err)
	assert.Equal(t, len(enabled)-2, sum.Checked)
	assert.Zero(t, sum.AlarmsCreated)
	assert.Equal(t, 3, sum.AlarmsUpdated, "the latency threshold; the new URL in two descriptions")
	assert.Equal(t, 3, sum.AlarmsDeleted, "the disabled target's two alarms, the certificate alarm of the target now http")
	alarms := s.alarms(t)
	assert.Equal(t, 2500.0, aws.ToFloat64(alarms[contract.AlarmName(s.prefix, enabled[0].ID, contract.AlarmKindLatency)].Threshold))
	for _, id := range []string{enabled[1].ID, doomed.ID} {
		assert.NotContains(t, alarms, contract.AlarmName(s.prefix, id, contract.AlarmKindAvailability))
		assert.NotContains(t, alarms, contract.AlarmName(s.prefix, id, contract.AlarmKindLatency))
	}
	assert.NotContains(t, alarms, contract.AlarmName(s.prefix, httpsTarget.ID, contract.AlarmKindCertificate))
	assert.Contains(t, aws.ToString(alarms[contract.AlarmName(s.prefix, httpsTarget.ID, contract.AlarmKindAvailability)].AlarmDescription), plainURL)
	assert.Contains(t, alarms, manual, "an alarm outside the naming pattern is never touched")
	assert.Len(t, alarms, 2*(len(enabled)-2)+1)

	// Run 3: nothing changed, so nothing is written.
	sum, err = newCrawler(p).Run(context.Background())
	require.NoError(t, err)
	assert.Zero(t, sum.AlarmsCreated+sum.AlarmsUpdated+sum.AlarmsDeleted, "moto's round trip of the alarm compares equal")
}

// blockingProber holds every probe until release is closed, signalling the first on started.
type blockingProber struct {
	started chan struct{}
	once    *sync.Once
	release chan struct{}
}

func (p blockingProber) Probe(ctx context.Context, _ target.Target) target.Observation {
	p.once.Do(func() { close(p.started) })
	select {
	case <-p.release:
	case <-ctx.Done():
	}
	return target.Observation{CheckedAt: time.Now().UTC(), StatusCode: 200, Attempts: 1}
}

// TestIntegrationRunsNeverOverlap: with the store's run lease on moto, a run started while another
// crawls does not crawl and publishes RunsOverlapped=1; the first releases the lease, so a later run crawls.
func TestIntegrationRunsNeverOverlap(t *testing.T) {
	t.Parallel()
	s := newMotoStack(t)
	s.put(t, targetItem(t, testTarget(0, "http://192.0.2.1/", func(t *target.Target) { t.TimeoutMS = 1000 })))
	p := blockingProber{started: make(chan struct{}), once: &sync.Once{}, release: make(chan struct{})}
	leases := store.NewLeases(s.db, s.table)
	first, err := New(s.config(), moto.Region, store.NewTargets(s.db, s.table), s.cw, p, WithLease(leases))
	require.NoError(t, err)
	second, err := New(s.config(), moto.Region, store.NewTargets(s.db, s.table), s.cw, &upProber{n: -1}, WithLease(leases))
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan Summary, 1)
	go func() {
		sum, err := first.Run(ctx)
		assert.NoError(t, err)
		done <- sum
	}()
	<-p.started
	overlapped, err := second.Run(ctx)
	require.NoError(t, err)
	assert.True(t, overlapped.Overlapped)
	assert.Zero(t, overlapped.Checked)
	close(p.release)
	sum := <-done
	assert.False(t, sum.Overlapped)
	assert.Equal(t, 1, sum.Checked)

	out, err := s.cw.GetMetricStatistics(context.Background(), &cloudwatch.GetMetricStatisticsInput{
		Namespace: aws.String(s.ns), MetricName: aws.String(contract.MetricRunsOverlapped),
		Dimensions: []cwtypes.Dimension{{Name: aws.String(contract.DimensionRegion), Value: aws.String(moto.Region)}},
		StartTime:  aws.Time(time.Now().Add(-time.Hour)), EndTime: aws.Time(time.Now().Add(time.Hour)), Period: aws.Int32(7200),
		Statistics: []cwtypes.Statistic{cwtypes.StatisticSampleCount, cwtypes.StatisticMaximum},
	})
	require.NoError(t, err)
	require.Len(t, out.Datapoints, 1)
	assert.Equal(t, 2.0, aws.ToFloat64(out.Datapoints[0].SampleCount), "a 0 from the run that crawled, a 1 from the one that did not")
	assert.Equal(t, 1.0, aws.ToFloat64(out.Datapoints[0].Maximum))

	again, err := second.Run(ctx)
	require.NoError(t, err)
	assert.False(t, again.Overlapped, "the lease was released")
	assert.Equal(t, 1, again.Checked)
}

// TestIntegrationTwoRegionsOnMoto: two regions' crawlers over one URL table and one checks table (the
// global tables as each region's replica shows them) run at the same time, each under its own run lease;
// each writes its own region's check item, only the home region the target's last_check, and the
// verdict of the two checks is up.
func TestIntegrationTwoRegionsOnMoto(t *testing.T) {
	t.Parallel()
	s := newMotoStack(t)
	checksTable := moto.CreateChecksTable(t, s.db)
	tg := testTarget(0, "http://192.0.2.1/")
	s.put(t, targetItem(t, tg))
	checks := store.NewChecks(s.db, checksTable)
	leases := store.NewLeases(s.db, s.table)
	rule := verdict.Rule{Regions: []string{"us-east-1", "eu-west-1"}, Quorum: 2, StaleAfter: 3 * time.Minute}
	run := func(region string) <-chan Summary {
		cfg := s.config()
		cfg.ChecksTable = checksTable
		cfg.Regions = verdict.Settings{Region: region, Home: "us-east-1", Rule: rule}
		c, err := New(cfg, region, store.NewTargets(s.db, s.table), s.cw, &upProber{n: -1}, WithLease(leases), WithChecks(checks), WithVerdict(checks))
		require.NoError(t, err)
		done := make(chan Summary, 1)
		go func() {
			sum, err := c.Run(context.Background())
			assert.NoError(t, err)
			done <- sum
		}()
		return done
	}
	home, other := run("us-east-1"), run("eu-west-1")
	for _, sum := range []Summary{<-home, <-other} {
		assert.False(t, sum.Overlapped, "each region has a lease of its own")
		assert.Equal(t, 1, sum.Checked)
		assert.Zero(t, sum.RunFailures)
	}

	got, ok := s.get(t, tg.ID)
	require.True(t, ok)
	require.NotNil(t, got.LastCheck, "the home region wrote last_check")
	byRegion, err := checks.ChecksFor(context.Background(), tg.ID)
	require.NoError(t, err)
	require.Len(t, byRegion, 2)
	assert.Equal(t, *got.LastCheck, byRegion["us-east-1"], "the home region's check is its last_check")
	assert.True(t, byRegion["eu-west-1"].Available)
	assert.Equal(t, verdict.StatusUp, rule.Judge(byRegion, time.Now()).Status)

	// Both leases were released: only the target item is left in the URL table.
	out, err := s.db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(s.table), ConsistentRead: aws.Bool(true)})
	require.NoError(t, err)
	assert.Len(t, out.Items, 1)
}

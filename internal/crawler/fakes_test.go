package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/netguard"
	"github.com/webhealth/webhealth/internal/probe"
	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
)

const (
	testRegion = "eu-west-1"
	testTopic  = "arn:aws:sns:eu-west-1:123456789012:webhealth-alarms"
	testPrefix = "wh-test"
)

func testConfig() Config {
	return Config{
		URLsTable: "urls", AlarmTopicARN: testTopic, AlarmPrefix: testPrefix, MetricNamespace: "WebHealth/test",
		Concurrency: 4, DeadlineMargin: 500 * time.Millisecond, MaxBodyBytes: 1 << 20, MaxRedirects: 5,
		RetryDelay: 10 * time.Millisecond, AlarmPeriodSeconds: 60, AlarmEvalPeriods: 2, AlarmDatapoints: 2, CertExpiryDays: 14,
		PhaseMetrics: true,
	}
}

// newTestCrawler builds a Crawler with a real prober (loopback allowed: the test servers live there),
// reading and writing the URL table through the store, on db.
func newTestCrawler(t testing.TB, cfg Config, db store.TargetsDB, cw CloudWatch) *Crawler {
	t.Helper()
	p, err := probe.New(probe.Options{
		Guard: netguard.New(true), MaxBodyBytes: cfg.MaxBodyBytes, MaxRedirects: cfg.MaxRedirects,
		RetryDelay: cfg.RetryDelay, UserAgent: "webhealth/test",
	})
	require.NoError(t, err)
	c, err := New(cfg, testRegion, store.NewTargets(db, cfg.URLsTable), cw, p)
	require.NoError(t, err)
	c.throttleBackoff = time.Millisecond
	return c
}

// okServer answers 200 "ok" on every path.
func okServer(t testing.TB) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }))
	t.Cleanup(srv.Close)
	return srv
}

// testID is a valid 32-hex target id derived from n.
// testID is the n-th test target's id: its two leading hex digits cycle through the 256 prefixes
// (as random ids spread over them, so a list can be sharded), the rest is n+1.
func testID(n int) string { return fmt.Sprintf("%02x%030x", n%256, n+1) }

func testTarget(n int, rawURL string, mods ...func(*target.Target)) target.Target {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	t := target.Target{
		ID: testID(n), URL: rawURL, Name: "target " + strconv.Itoa(n), Enabled: true, ExpectedStatus: []int{200},
		LatencyThresholdMS: 1000, TimeoutMS: 5000, Method: http.MethodGet, CreatedAt: now, UpdatedAt: now, Version: 1,
	}
	for _, m := range mods {
		m(&t)
	}
	return t
}

func targetItem(t testing.TB, tg target.Target) map[string]types.AttributeValue {
	t.Helper()
	item, err := store.MarshalTarget(tg)
	require.NoError(t, err)
	return item
}

// fakeDB is an in-memory URL table: Scan pages by Limit (or pageSize) before filtering, like DynamoDB.
type fakeDB struct {
	mu         sync.Mutex
	items      []map[string]types.AttributeValue
	pageSize   int
	beforePage func(ctx context.Context, page int) error // called before serving each page (1-based)
	updateErr  func(id string) error
	pages      int
	updates    map[string]types.AttributeValue // last_check written, by id
	index      map[string]int                  // position of each id in items, rebuilt when stale
	updateIDs  []string
}

func (f *fakeDB) add(t testing.TB, items ...map[string]types.AttributeValue) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items = append(f.items, items...)
}

func idOf(item map[string]types.AttributeValue) string {
	if v, ok := item[store.AttrID].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func (f *fakeDB) Scan(ctx context.Context, in *dynamodb.ScanInput, _ ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	f.mu.Lock()
	f.pages++
	page := f.pages
	hook := f.beforePage
	f.mu.Unlock()
	if hook != nil {
		if err := hook(ctx, page); err != nil {
			return nil, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if aws.ToString(in.FilterExpression) != "#kind = :kind AND #enabled = :enabled" {
		return nil, fmt.Errorf("fake: unexpected filter %q", aws.ToString(in.FilterExpression))
	}
	start := 0
	if in.ExclusiveStartKey != nil {
		after := idOf(in.ExclusiveStartKey)
		start = slices.IndexFunc(f.items, func(it map[string]types.AttributeValue) bool { return idOf(it) == after }) + 1
	}
	limit := f.pageSize
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	if limit <= 0 {
		limit = len(f.items)
	}
	end := min(start+limit, len(f.items))
	out := &dynamodb.ScanOutput{}
	for _, it := range f.items[start:end] {
		kind, _ := it[store.AttrKind].(*types.AttributeValueMemberS)
		enabled, _ := it[store.AttrEnabled].(*types.AttributeValueMemberBOOL)
		if kind != nil && kind.Value == store.KindTarget && enabled != nil && enabled.Value {
			out.Items = append(out.Items, it)
		}
	}
	if end < len(f.items) {
		out.LastEvaluatedKey = map[string]types.AttributeValue{store.AttrID: f.items[end-1][store.AttrID]}
	}
	return out, nil
}

func (f *fakeDB) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	id := idOf(in.Key)
	if f.updateErr != nil {
		if err := f.updateErr(id); err != nil {
			return nil, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	i, ok := f.index[id]
	if !ok || i >= len(f.items) || idOf(f.items[i]) != id { // items changed since the index was built
		f.index = make(map[string]int, len(f.items))
		for j, it := range f.items {
			f.index[idOf(it)] = j
		}
		if i, ok = f.index[id]; !ok {
			i = -1
		}
	}
	if i < 0 {
		return nil, &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
	}
	if kind, _ := f.items[i][store.AttrKind].(*types.AttributeValueMemberS); kind == nil || kind.Value != store.KindTarget {
		return nil, &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
	}
	if aws.ToString(in.UpdateExpression) != "SET #lc = :lc" {
		return nil, fmt.Errorf("fake: unexpected update %q", aws.ToString(in.UpdateExpression))
	}
	f.items[i][store.AttrLastCheck] = in.ExpressionAttributeValues[":lc"]
	if f.updates == nil {
		f.updates = map[string]types.AttributeValue{}
	}
	f.updates[id] = in.ExpressionAttributeValues[":lc"] // decoded by lastChecks, out of the write's way
	f.updateIDs = append(f.updateIDs, id)
	return &dynamodb.UpdateItemOutput{}, nil
}

// GetItem and TransactWriteItems are the API's; the crawler does not call them.
func (f *fakeDB) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return nil, errors.New("fake: the crawler does not call GetItem")
}

func (f *fakeDB) TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	return nil, errors.New("fake: the crawler does not call TransactWriteItems")
}

func (f *fakeDB) lastChecks() map[string]target.LastCheck {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]target.LastCheck{}
	for id, av := range f.updates {
		tg, err := store.UnmarshalTarget(map[string]types.AttributeValue{
			store.AttrID: &types.AttributeValueMemberS{Value: id}, store.AttrKind: &types.AttributeValueMemberS{Value: store.KindTarget},
			store.AttrLastCheck: av,
		})
		if err != nil || tg.LastCheck == nil {
			panic(fmt.Sprintf("fake: last_check of %s does not decode: %v", id, err))
		}
		out[id] = *tg.LastCheck
	}
	return out
}

// fakeCW is an in-memory CloudWatch: metric calls recorded, alarms kept by name.
type fakeCW struct {
	mu       sync.Mutex
	putErr   func(call int) error // PutMetricData error for the n-th call (1-based)
	alarmErr func(op, name string) error
	// putAlarmDelay and describeDelay are the round trips of PutMetricAlarm and DescribeAlarms (cut
	// short by their context, as the SDK's).
	putAlarmDelay, describeDelay time.Duration
	puts                         [][]cwtypes.MetricDatum
	putCalls                     int
	alarms                       map[string]cwtypes.MetricAlarm
	alarmPuts                    []string
	deletes                      [][]string
	describes                    int
}

func (f *fakeCW) PutMetricData(ctx context.Context, in *cloudwatch.PutMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.putCalls++
	if err := ctx.Err(); err != nil { // as the SDK: no request on a context that has ended
		return nil, fmt.Errorf("operation error CloudWatch: PutMetricData: %w", err)
	}
	if len(in.MetricData) > 1000 {
		return nil, &smithy.GenericAPIError{Code: "InvalidParameterValue", Message: "too many datums"}
	}
	if aws.ToString(in.Namespace) == "" {
		return nil, &smithy.GenericAPIError{Code: "MissingParameter", Message: "namespace"}
	}
	if f.putErr != nil {
		if err := f.putErr(f.putCalls); err != nil {
			return nil, err
		}
	}
	f.puts = append(f.puts, slices.Clone(in.MetricData))
	return &cloudwatch.PutMetricDataOutput{}, nil
}

func (f *fakeCW) datums() []cwtypes.MetricDatum {
	f.mu.Lock()
	defer f.mu.Unlock()
	var all []cwtypes.MetricDatum
	for _, b := range f.puts {
		all = append(all, b...)
	}
	return all
}

func (f *fakeCW) DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	if f.describeDelay > 0 {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("operation error CloudWatch: DescribeAlarms: %w", ctx.Err())
		case <-time.After(f.describeDelay):
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.describes++
	if f.alarmErr != nil {
		if err := f.alarmErr("describe", ""); err != nil {
			return nil, err
		}
	}
	var names []string
	for name := range f.alarms {
		if strings.HasPrefix(name, aws.ToString(in.AlarmNamePrefix)) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	start := 0
	if in.NextToken != nil {
		start, _ = strconv.Atoi(*in.NextToken)
	}
	max := int(aws.ToInt32(in.MaxRecords))
	if max == 0 || max > 100 {
		max = 50
	}
	end := min(start+max, len(names))
	out := &cloudwatch.DescribeAlarmsOutput{}
	for _, n := range names[start:end] {
		out.MetricAlarms = append(out.MetricAlarms, f.alarms[n])
	}
	if end < len(names) {
		out.NextToken = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

func (f *fakeCW) PutMetricAlarm(ctx context.Context, in *cloudwatch.PutMetricAlarmInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricAlarmOutput, error) {
	if f.putAlarmDelay > 0 {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("operation error CloudWatch: PutMetricAlarm: %w", ctx.Err())
		case <-time.After(f.putAlarmDelay):
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	name := aws.ToString(in.AlarmName)
	if f.alarmErr != nil {
		if err := f.alarmErr("put", name); err != nil {
			return nil, err
		}
	}
	if f.alarms == nil {
		f.alarms = map[string]cwtypes.MetricAlarm{}
	}
	f.alarms[name] = alarmFromInput(in)
	f.alarmPuts = append(f.alarmPuts, name)
	return &cloudwatch.PutMetricAlarmOutput{}, nil
}

// alarmFromInput is the alarm DescribeAlarms would return after PutMetricAlarm(in).
func alarmFromInput(in *cloudwatch.PutMetricAlarmInput) cwtypes.MetricAlarm {
	return cwtypes.MetricAlarm{
		AlarmName: in.AlarmName, AlarmDescription: in.AlarmDescription, Namespace: in.Namespace, MetricName: in.MetricName,
		Dimensions: in.Dimensions, Statistic: in.Statistic, Period: in.Period, EvaluationPeriods: in.EvaluationPeriods,
		DatapointsToAlarm: in.DatapointsToAlarm, Threshold: in.Threshold, ComparisonOperator: in.ComparisonOperator,
		TreatMissingData: in.TreatMissingData, ActionsEnabled: in.ActionsEnabled, AlarmActions: in.AlarmActions,
		OKActions: in.OKActions, InsufficientDataActions: in.InsufficientDataActions, Unit: in.Unit, Metrics: in.Metrics,
		StateValue: cwtypes.StateValueInsufficientData,
	}
}

func (f *fakeCW) DeleteAlarms(_ context.Context, in *cloudwatch.DeleteAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DeleteAlarmsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(in.AlarmNames) > 100 {
		return nil, &smithy.GenericAPIError{Code: "InvalidParameterValue", Message: "at most 100 alarm names"}
	}
	if f.alarmErr != nil {
		if err := f.alarmErr("delete", in.AlarmNames[0]); err != nil {
			return nil, err
		}
	}
	for _, n := range in.AlarmNames {
		delete(f.alarms, n)
	}
	f.deletes = append(f.deletes, slices.Clone(in.AlarmNames))
	return &cloudwatch.DeleteAlarmsOutput{}, nil
}

func throttled() error {
	return &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded", Fault: smithy.FaultClient}
}

// probeResult is a check's verdict for tests of the metric mapping.
func probeResult(available bool, status int, certDays *int, tlsMS float64) target.LastCheck {
	return target.LastCheck{
		CheckedAt: time.Now().UTC(), Available: available, StatusCode: status, LatencyMS: 20, DNSMS: 1, ConnectMS: 2,
		TLSMS: tlsMS, TTFBMS: 15, CertDaysRemaining: certDays, Attempts: 1,
	}
}

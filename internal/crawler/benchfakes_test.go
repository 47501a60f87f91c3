package crawler

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/webhealth/webhealth/internal/contract"
	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
)

// The benchmarks' fakes of DynamoDB (under the store) and CloudWatch count the calls and
// keep next to nothing on the heap, so that the memory benchmark measures the crawler and not the
// fakes: the URL table is a list of URLs whose items are built afresh for each Scan page (as the
// SDK decodes a page), the steady-state alarms are names built afresh into alarms for each
// DescribeAlarms page. (fakeDB and fakeCW in fakes_test.go search linearly and keep every datum,
// which is right for tests and wrong at 10,000 targets.)

// benchCalls are the calls the fakes saw.
type benchCalls struct {
	Scan, UpdateItem, BatchGetItem               int
	PutMetricData, Datums                        int
	DescribeAlarms, PutMetricAlarm, DeleteAlarms int
	// Availability is the Availability datums among Datums.
	Availability int
}

// pause waits d, or until ctx ends.
func pause(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// benchDB is an in-memory URL table of targets testTarget(i, urls[i]). Scan pages by scanPage
// items, like DynamoDB's 1 MB pages; UpdateItem applies the crawler's condition (the target
// exists) and counts the writes of each target.
type benchDB struct {
	urls     []string
	scanPage int
	latency  time.Duration // of every call, as DynamoDB's round trip
	// mod, when set, changes the i-th target (its timeout) before it is read.
	mod func(i int, t *target.Target)
	// lastChecks, when set, keeps each target's last written last_check and serves it in the Scan,
	// so a run is planned from the previous run's results as in the real table.
	lastChecks []types.AttributeValue

	mu      sync.Mutex
	written []int32 // UpdateItem calls per target since the last take
	calls   benchCalls
}

func newBenchDB(urls []string) *benchDB {
	return &benchDB{urls: urls, scanPage: 2000, written: make([]int32, len(urls))}
}

// target returns the i-th target.
func (db *benchDB) target(i int) target.Target {
	t := testTarget(i, db.urls[i])
	if db.mod != nil {
		db.mod(i, &t)
	}
	return t
}

// keepLastChecks makes the table keep the last_check writes (off by default: the memory benchmark
// must not measure them).
func (db *benchDB) keepLastChecks() { db.lastChecks = make([]types.AttributeValue, len(db.urls)) }

// targetIndex is the index of the target with id, or -1.
func targetIndex(id string, n int) int {
	if len(id) != 32 {
		return -1
	}
	i, err := strconv.ParseInt(id[2:], 16, 64)
	if err != nil || i < 1 || i > int64(n) || testID(int(i-1)) != id {
		return -1
	}
	return int(i - 1)
}

func (db *benchDB) Scan(ctx context.Context, in *dynamodb.ScanInput, _ ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	if err := pause(ctx, db.latency); err != nil {
		return nil, err
	}
	db.mu.Lock()
	db.calls.Scan++
	db.mu.Unlock()
	if aws.ToString(in.FilterExpression) != "#kind = :kind AND #enabled = :enabled" {
		return nil, fmt.Errorf("bench db: unexpected filter %q", aws.ToString(in.FilterExpression))
	}
	start := 0
	if in.ExclusiveStartKey != nil {
		i := targetIndex(idOf(in.ExclusiveStartKey), len(db.urls))
		if i < 0 {
			return nil, errors.New("bench db: bad ExclusiveStartKey")
		}
		start = i + 1
	}
	limit := db.scanPage
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	end := min(start+limit, len(db.urls))
	out := &dynamodb.ScanOutput{Items: make([]map[string]types.AttributeValue, 0, end-start)}
	for i := start; i < end; i++ {
		item, err := db.item(i)
		if err != nil {
			return nil, err
		}
		out.Items = append(out.Items, item)
	}
	if end < len(db.urls) {
		out.LastEvaluatedKey = map[string]types.AttributeValue{store.AttrID: &types.AttributeValueMemberS{Value: testID(end - 1)}}
	}
	return out, nil
}

// item is the i-th target's item as stored, with its kept last_check.
func (db *benchDB) item(i int) (map[string]types.AttributeValue, error) {
	item, err := store.MarshalTarget(db.target(i))
	if err != nil {
		return nil, err
	}
	if db.lastChecks != nil {
		db.mu.Lock()
		if lc := db.lastChecks[i]; lc != nil {
			item[store.AttrLastCheck] = lc
		}
		db.mu.Unlock()
	}
	return item, nil
}

// BatchGetItem serves a fan-out worker's read of its shard (at most 100 keys, as DynamoDB).
func (db *benchDB) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	if err := pause(ctx, db.latency); err != nil {
		return nil, err
	}
	db.mu.Lock()
	db.calls.BatchGetItem++
	db.mu.Unlock()
	out := &dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]types.AttributeValue{}}
	for table, ka := range in.RequestItems {
		if len(ka.Keys) > 100 {
			return nil, fmt.Errorf("bench db: %d keys in one BatchGetItem", len(ka.Keys))
		}
		for _, key := range ka.Keys {
			i := targetIndex(idOf(key), len(db.urls))
			if i < 0 {
				continue
			}
			item, err := db.item(i)
			if err != nil {
				return nil, err
			}
			out.Responses[table] = append(out.Responses[table], item)
		}
	}
	return out, nil
}

func (db *benchDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if err := pause(ctx, db.latency); err != nil {
		return nil, err
	}
	i := targetIndex(idOf(in.Key), len(db.urls))
	db.mu.Lock()
	defer db.mu.Unlock()
	db.calls.UpdateItem++
	if i < 0 {
		return nil, &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
	}
	lc, ok := in.ExpressionAttributeValues[":lc"].(*types.AttributeValueMemberM)
	if !ok || aws.ToString(in.UpdateExpression) != "SET #lc = :lc" {
		return nil, fmt.Errorf("bench db: unexpected update %q", aws.ToString(in.UpdateExpression))
	}
	db.written[i]++
	if db.lastChecks != nil {
		db.lastChecks[i] = lc
	}
	return &dynamodb.UpdateItemOutput{}, nil
}

// GetItem and TransactWriteItems are the API's; the crawler does not call them.
func (db *benchDB) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return nil, errors.New("bench db: the crawler does not call GetItem")
}

func (db *benchDB) TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	return nil, errors.New("bench db: the crawler does not call TransactWriteItems")
}

// writtenOnce is how many targets had their last_check written exactly once since the last take.
func (db *benchDB) writtenOnce() int {
	db.mu.Lock()
	defer db.mu.Unlock()
	n := 0
	for _, w := range db.written {
		if w == 1 {
			n++
		}
	}
	return n
}

// take returns the calls counted since the last take, and an error unless every target's
// last_check was written exactly once; it resets the counts.
func (db *benchDB) take() (benchCalls, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	c := db.calls
	db.calls = benchCalls{}
	var err error
	for i, n := range db.written {
		if n != 1 && err == nil {
			err = fmt.Errorf("target %d: last_check written %d times in the run", i, n)
		}
		db.written[i] = 0
	}
	return c, err
}

// benchCW counts metric calls and datums without keeping them. The alarms it holds are either
// seeded (a name standing for the alarm the crawler wants, built when described) or put (kept as
// put).
type benchCW struct {
	latency time.Duration // of every call, as CloudWatch's round trip
	// putAlarmLatency, when set, is PutMetricAlarm's round trip instead (a slow or throttled API).
	putAlarmLatency time.Duration
	// availability, when set, keeps the last Availability value published per target id.
	availability map[string]float64

	mu     sync.Mutex
	seeded map[string]seededAlarm
	want   func(i int, kind string) cwtypes.MetricAlarm
	put    map[string]cwtypes.MetricAlarm
	sorted []string // every alarm name in order; nil after a change
	calls  benchCalls
}

// seededAlarm is an alarm a previous run left: its target's index and its kind.
type seededAlarm struct {
	target int
	kind   string
}

func newBenchCW() *benchCW {
	return &benchCW{seeded: map[string]seededAlarm{}, put: map[string]cwtypes.MetricAlarm{}}
}

// seed holds the alarms c wants for db's targets, as a previous run would have left them.
func (cw *benchCW) seed(c *Crawler, db *benchDB) {
	cw.mu.Lock()
	defer cw.mu.Unlock()
	cw.want = func(i int, kind string) cwtypes.MetricAlarm {
		t := db.target(i)
		return alarmFromInput(c.desiredAlarm(newAlarmTarget(&t), kind))
	}
	for i, u := range db.urls {
		for _, kind := range contract.AlarmKindsOf(u, c.cfg.Regions) {
			cw.seeded[contract.AlarmName(c.cfg.AlarmPrefix, testID(i), kind)] = seededAlarm{target: i, kind: kind}
		}
	}
	cw.sorted = nil
}

func (cw *benchCW) PutMetricData(ctx context.Context, in *cloudwatch.PutMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error) {
	if err := pause(ctx, cw.latency); err != nil {
		return nil, err
	}
	cw.mu.Lock()
	defer cw.mu.Unlock()
	cw.calls.PutMetricData++
	if n := len(in.MetricData); n == 0 || n > maxDatumsPerCall {
		return nil, &smithy.GenericAPIError{Code: "InvalidParameterValue", Message: fmt.Sprintf("%d datums", n)}
	}
	cw.calls.Datums += len(in.MetricData)
	for _, d := range in.MetricData {
		if aws.ToString(d.MetricName) != contract.MetricAvailability {
			continue
		}
		cw.calls.Availability++
		if cw.availability == nil {
			continue
		}
		for _, dim := range d.Dimensions {
			if aws.ToString(dim.Name) == contract.DimensionTargetID {
				cw.availability[aws.ToString(dim.Value)] = aws.ToFloat64(d.Value)
			}
		}
	}
	return &cloudwatch.PutMetricDataOutput{}, nil
}

func (cw *benchCW) DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	if err := pause(ctx, cw.latency); err != nil {
		return nil, err
	}
	cw.mu.Lock()
	defer cw.mu.Unlock()
	cw.calls.DescribeAlarms++
	if cw.sorted == nil {
		cw.sorted = slices.Sorted(maps.Keys(cw.put))
		for name := range cw.seeded {
			if _, ok := cw.put[name]; !ok {
				cw.sorted = append(cw.sorted, name)
			}
		}
		slices.Sort(cw.sorted)
	}
	prefix := aws.ToString(in.AlarmNamePrefix)
	start, _ := slices.BinarySearch(cw.sorted, prefix)
	if in.NextToken != nil {
		var err error
		if start, err = strconv.Atoi(*in.NextToken); err != nil {
			return nil, &smithy.GenericAPIError{Code: "InvalidNextToken", Message: err.Error()}
		}
	}
	limit := int(aws.ToInt32(in.MaxRecords))
	if limit <= 0 || limit > maxDescribeRecords {
		limit = 50
	}
	out := &cloudwatch.DescribeAlarmsOutput{}
	i := start
	for ; i < len(cw.sorted) && len(out.MetricAlarms) < limit && strings.HasPrefix(cw.sorted[i], prefix); i++ {
		a, ok := cw.put[cw.sorted[i]]
		if !ok {
			sa := cw.seeded[cw.sorted[i]]
			a = cw.want(sa.target, sa.kind)
		}
		out.MetricAlarms = append(out.MetricAlarms, a)
	}
	if i < len(cw.sorted) && strings.HasPrefix(cw.sorted[i], prefix) {
		out.NextToken = aws.String(strconv.Itoa(i))
	}
	return out, nil
}

func (cw *benchCW) PutMetricAlarm(ctx context.Context, in *cloudwatch.PutMetricAlarmInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricAlarmOutput, error) {
	latency := cw.latency
	if cw.putAlarmLatency > 0 {
		latency = cw.putAlarmLatency
	}
	if err := pause(ctx, latency); err != nil {
		return nil, err
	}
	cw.mu.Lock()
	defer cw.mu.Unlock()
	cw.calls.PutMetricAlarm++
	cw.put[aws.ToString(in.AlarmName)] = alarmFromInput(in)
	cw.sorted = nil
	return &cloudwatch.PutMetricAlarmOutput{}, nil
}

func (cw *benchCW) DeleteAlarms(ctx context.Context, in *cloudwatch.DeleteAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DeleteAlarmsOutput, error) {
	if err := pause(ctx, cw.latency); err != nil {
		return nil, err
	}
	cw.mu.Lock()
	defer cw.mu.Unlock()
	cw.calls.DeleteAlarms++
	if len(in.AlarmNames) > maxDeleteAlarms {
		return nil, &smithy.GenericAPIError{Code: "InvalidParameterValue", Message: "at most 100 alarm names"}
	}
	for _, n := range in.AlarmNames {
		delete(cw.put, n)
		delete(cw.seeded, n)
	}
	cw.sorted = nil
	return &cloudwatch.DeleteAlarmsOutput{}, nil
}

func (cw *benchCW) take() benchCalls {
	cw.mu.Lock()
	defer cw.mu.Unlock()
	c := cw.calls
	cw.calls = benchCalls{}
	return c
}

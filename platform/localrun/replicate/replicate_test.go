package replicate

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/moto"
)

const (
	home  = "us-east-1"
	other = "eu-west-1"
)

type fixture struct {
	db      map[string]*dynamodb.Client
	streams map[string]*dynamodbstreams.Client
	regions []Region
}

// Each test has an emulator of its own: the replicator replicates every global table it finds.
func setup(t *testing.T) *fixture {
	t.Helper()
	m := moto.Start(t)
	f := &fixture{db: map[string]*dynamodb.Client{}, streams: map[string]*dynamodbstreams.Client{}}
	for _, region := range []string{home, other} {
		cfg := m.Config()
		cfg.Region = region
		f.db[region] = dynamodb.NewFromConfig(cfg)
		f.streams[region] = dynamodbstreams.NewFromConfig(cfg)
		f.regions = append(f.regions, Region{Name: region, DynamoDB: f.db[region], Streams: f.streams[region]})
	}
	return f
}

// globalTable creates a table as terraform/global does on an emulator: in the home region, stream
// NEW_AND_OLD_IMAGES, no replica, the replica regions in the tag; with a range key and TTL when
// rangeKey is set (the checks table).
func (f *fixture) globalTable(t *testing.T, name, rangeKey string, replicas string) {
	t.Helper()
	ctx := context.Background()
	hash := "id"
	in := &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          ddb.BillingModePayPerRequest,
		AttributeDefinitions: []ddb.AttributeDefinition{{AttributeName: aws.String(hash), AttributeType: ddb.ScalarAttributeTypeS}},
		KeySchema:            []ddb.KeySchemaElement{{AttributeName: aws.String(hash), KeyType: ddb.KeyTypeHash}},
		StreamSpecification:  &ddb.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddb.StreamViewTypeNewAndOldImages},
		Tags:                 []ddb.Tag{{Key: aws.String("project"), Value: aws.String("webhealth")}},
	}
	if replicas != "" {
		in.Tags = append(in.Tags, ddb.Tag{Key: aws.String(TagReplicaRegions), Value: aws.String(replicas)})
	}
	if rangeKey != "" {
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddb.AttributeDefinition{AttributeName: aws.String(rangeKey), AttributeType: ddb.ScalarAttributeTypeS})
		in.KeySchema = append(in.KeySchema, ddb.KeySchemaElement{AttributeName: aws.String(rangeKey), KeyType: ddb.KeyTypeRange})
	}
	_, err := f.db[home].CreateTable(ctx, in)
	require.NoError(t, err)
	if rangeKey != "" {
		_, err = f.db[home].UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(name),
			TimeToLiveSpecification: &ddb.TimeToLiveSpecification{AttributeName: aws.String("expires_at"), Enabled: aws.Bool(true)}})
		require.NoError(t, err)
	}
}

func s(v string) ddb.AttributeValue { return &ddb.AttributeValueMemberS{Value: v} }
func n(v string) ddb.AttributeValue { return &ddb.AttributeValueMemberN{Value: v} }

func (f *fixture) put(t *testing.T, region, table string, item Item) {
	t.Helper()
	_, err := f.db[region].PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item})
	require.NoError(t, err)
}

func (f *fixture) get(t *testing.T, region, table string, key Item) Item {
	t.Helper()
	out, err := f.db[region].GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
	require.NoError(t, err)
	return out.Item
}

// records counts the records of a table's stream in a region: one per write, so it counts writes.
func (f *fixture) records(t *testing.T, region, table string) int {
	t.Helper()
	ctx := context.Background()
	d, err := f.db[region].DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	require.NoError(t, err)
	arn := d.Table.LatestStreamArn
	st, err := f.streams[region].DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: arn})
	require.NoError(t, err)
	total := 0
	for _, sh := range st.StreamDescription.Shards {
		it, err := f.streams[region].GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: arn, ShardId: sh.ShardId, ShardIteratorType: "TRIM_HORIZON"})
		require.NoError(t, err)
		next := it.ShardIterator
		for next != nil {
			out, err := f.streams[region].GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: next})
			require.NoError(t, err)
			if len(out.Records) == 0 {
				break
			}
			total += len(out.Records)
			next = out.NextShardIterator
		}
	}
	return total
}

func syncNow(t *testing.T, r *Replicator) int {
	t.Helper()
	copied, err := r.Sync(context.Background())
	require.NoError(t, err)
	return copied
}

func TestReplicaTableIsCreatedAndFilled(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.globalTable(t, "web-local-checks", "region", other)
	f.put(t, home, "web-local-checks", Item{"id": s("t1"), "region": s(home), "expires_at": n("1900000000"), "last_check": &ddb.AttributeValueMemberM{Value: Item{"available": &ddb.AttributeValueMemberBOOL{Value: true}}}})

	r := New(f.regions, "", nil)
	syncNow(t, r)

	d, err := f.db[other].DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("web-local-checks")})
	require.NoError(t, err, "the replica table exists in the other region")
	assert.Equal(t, []ddb.KeySchemaElement{
		{AttributeName: aws.String("id"), KeyType: ddb.KeyTypeHash}, {AttributeName: aws.String("region"), KeyType: ddb.KeyTypeRange},
	}, d.Table.KeySchema)
	require.NotNil(t, d.Table.StreamSpecification)
	assert.True(t, aws.ToBool(d.Table.StreamSpecification.StreamEnabled))
	assert.Equal(t, ddb.StreamViewTypeNewAndOldImages, d.Table.StreamSpecification.StreamViewType)
	ttl, err := f.db[other].DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("web-local-checks")})
	require.NoError(t, err)
	assert.Equal(t, "expires_at", aws.ToString(ttl.TimeToLiveDescription.AttributeName))
	tags, err := f.db[other].ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: d.Table.TableArn})
	require.NoError(t, err)
	assert.Contains(t, tags.Tags, ddb.Tag{Key: aws.String(TagReplicaRegions), Value: aws.String(home)}, "the replica names the other replicas")

	got := f.get(t, other, "web-local-checks", Item{"id": s("t1"), "region": s(home)})
	assert.Equal(t, canonical(Item{"id": s("t1"), "region": s(home), "expires_at": n("1900000000"),
		"last_check": &ddb.AttributeValueMemberM{Value: Item{"available": &ddb.AttributeValueMemberBOOL{Value: true}}}}), canonical(got),
		"the items written before the replica existed are copied into it")

	tables := r.Tables()
	require.Len(t, tables, 1)
	assert.Equal(t, []string{other, home}, tables[0].Regions)
	assert.Equal(t, []string{other}, tables[0].Created)
}

func TestWritesReplicateBothWaysWithoutPingPong(t *testing.T) {
	for _, tc := range []struct {
		name, table, rangeKey string
		key                   Item
	}{
		{name: "target table", table: "web-local-urls", key: Item{"id": s("target-1")}},
		{name: "checks table", table: "web-local-checks", rangeKey: "region", key: Item{"id": s("target-1"), "region": s(home)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			f.globalTable(t, tc.table, tc.rangeKey, other)
			r := New(f.regions, filepath.Join(t.TempDir(), "replication.json"), nil)
			r.Refresh = time.Hour // discovery only on Sync
			syncNow(t, r)

			with := func(attrs Item) Item {
				out := Item{}
				for k, v := range tc.key {
					out[k] = v
				}
				for k, v := range attrs {
					out[k] = v
				}
				return out
			}
			// A write in the home region appears in the other region's replica.
			v1 := with(Item{"url": s("https://example.com/"), "version": n("1"), "tags": &ddb.AttributeValueMemberSS{Value: []string{"b", "a"}}})
			f.put(t, home, tc.table, v1)
			assert.Equal(t, 1, syncNow(t, r), "one home record copied")
			assert.Equal(t, canonical(v1), canonical(f.get(t, other, tc.table, tc.key)))

			// A change replicates too.
			v2 := with(Item{"url": s("https://example.com/"), "version": n("2")})
			f.put(t, home, tc.table, v2)
			syncNow(t, r)
			assert.Equal(t, canonical(v2), canonical(f.get(t, other, tc.table, tc.key)))

			// A write in the other region appears in the home region (each replica's stream is read).
			otherKey := Item{"id": s("region#" + other)}
			if tc.rangeKey != "" {
				otherKey = Item{"id": s("target-1"), "region": s(other)}
			}
			mine := Item{"api_url": s("http://127.0.0.1:4567/eu/local")}
			for k, v := range otherKey {
				mine[k] = v
			}
			f.put(t, other, tc.table, mine)
			syncNow(t, r)
			assert.Equal(t, canonical(mine), canonical(f.get(t, home, tc.table, otherKey)))

			// A delete replicates.
			_, err := f.db[home].DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: aws.String(tc.table), Key: tc.key})
			require.NoError(t, err)
			syncNow(t, r)
			assert.Empty(t, f.get(t, other, tc.table, tc.key), "deleted in the home region, gone from the replica")

			// No ping-pong: the replicated writes' own records are not copied back, so a few more passes
			// write nothing: each stream holds exactly its writes (home: v1, v2, the copy of mine, the
			// delete; other: the copies of v1, v2 and the delete, and mine).
			for i := 0; i < 5 && syncNow(t, r) > 0; i++ { // the last copies' own records
			}
			for range 3 {
				assert.Zero(t, syncNow(t, r), "nothing left to copy")
			}
			assert.Equal(t, 4, f.records(t, home, tc.table), "home stream: 3 writes + 1 replicated")
			assert.Equal(t, 4, f.records(t, other, tc.table), "other stream: 1 write + 3 replicated")
			tables := r.Tables()
			require.Len(t, tables, 1)
			assert.Equal(t, int64(4), tables[0].Replicated, "each write copied once")
			assert.Equal(t, int64(4), tables[0].Echoes, "each copy's record recognised as the replicator's own")

			// A restarted replicator resumes from the state file: nothing is copied again.
			again := New(f.regions, r.statePath, nil)
			assert.Zero(t, syncNow(t, again), "every record was copied before the restart")
			assert.Equal(t, 4, f.records(t, home, tc.table))
			assert.Equal(t, 4, f.records(t, other, tc.table))
		})
	}
}

func TestUnchangedImagesAreNotWritten(t *testing.T) {
	f := setup(t)
	f.globalTable(t, "web-local-urls", "", other)
	r := New(f.regions, "", nil) // no state: a restart forgets the remembered writes
	syncNow(t, r)
	item := Item{"id": s("a"), "v": n("1")}
	f.put(t, home, "web-local-urls", item)
	syncNow(t, r)

	// A replicator without the first one's memory reads both streams from their start: the home write
	// finds the replica already equal, and so does the replica's copy: nothing is written.
	fresh := New(f.regions, "", nil)
	assert.Equal(t, 2, syncNow(t, fresh), "both records read")
	assert.Equal(t, 1, f.records(t, home, "web-local-urls"), "no write back into the home region")
	assert.Equal(t, 1, f.records(t, other, "web-local-urls"), "no second write into the replica")
	tables := fresh.Tables()
	require.Len(t, tables, 1)
	assert.Equal(t, int64(2), tables[0].Unchanged)
	assert.Zero(t, tables[0].Replicated)
}

func TestTablesWithoutReplicasAreLeftAlone(t *testing.T) {
	f := setup(t)
	f.globalTable(t, "web-local-local-us-east-1-alarms", "", "")
	f.put(t, home, "web-local-local-us-east-1-alarms", Item{"id": s("a")})
	r := New(f.regions, "", nil)
	assert.Zero(t, syncNow(t, r))
	assert.Empty(t, r.Tables())
	out, err := f.db[other].ListTables(context.Background(), &dynamodb.ListTablesInput{})
	require.NoError(t, err)
	assert.Empty(t, out.TableNames, "no replica made for a regional table")
}

func TestUnservedReplicaRegionsAreReported(t *testing.T) {
	f := setup(t)
	f.globalTable(t, "web-local-urls", "", other+" ap-southeast-1")
	r := New(f.regions, "", nil)
	syncNow(t, r)
	tables := r.Tables()
	require.Len(t, tables, 1)
	assert.Equal(t, []string{"ap-southeast-1"}, tables[0].Missing)
	assert.Equal(t, []string{other, home}, tables[0].Regions)
}

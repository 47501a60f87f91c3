// Package replicate replicates DynamoDB global tables between the regions of the local stack, as AWS
// does from each replica's stream. moto 5.2.1 accepts a table's replica settings (UpdateTable
// ReplicaUpdates answers 200) but records none and copies nothing, and the AWS provider would wait
// for a replica forever, so terraform/global creates the tables without replicas on an emulator and
// names the other regions in the table's tag replica_regions (space-separated). The replicator reads
// the replica regions of every table of its regions from DescribeTable's Replicas (AWS's shape) and
// that tag, creates each missing replica table (same keys, attributes, indexes and TTL, stream
// NEW_AND_OLD_IMAGES, the tag naming the other regions), fills it with a scan of an existing replica,
// and copies every replica's stream records into every other replica: INSERT and MODIFY become a
// PutItem of the NewImage, REMOVE a DeleteItem of the Keys.
//
// No ping-pong: moto writes a stream record for every write, also one that changes nothing, so a
// replicated write would come back from the target's stream forever. The replicator remembers each
// write it made (region, table, key, image) and skips the one record of the target's stream that
// shows it (AWS marks replicated writes the same way), and it writes no image that already equals the
// target's item (one GetItem first). Concurrent writes of one item in two regions are not reconciled
// by timestamp as AWS's last writer wins would: the stack never writes one item in two regions
// (docs/design.md, "Multi-region").
//
// moto serves one request at a time (platform/moto serial.py): the replicator polls each stream with
// one GetRecords, pausing between idle passes (doubling from MinIdle to MaxIdle), and rereads the
// tables every Refresh. Stream positions and the remembered writes are kept in a state file, so a
// restarted local runtime resumes where it stopped instead of replaying each stream from its start.
package replicate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streams "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// TagReplicaRegions is the tag naming a table's replica regions on an emulator (space-separated).
const TagReplicaRegions = "replica_regions"

// DynamoDB is what the replicator calls on a region's DynamoDB.
type DynamoDB interface {
	ListTables(ctx context.Context, in *dynamodb.ListTablesInput, opts ...func(*dynamodb.Options)) (*dynamodb.ListTablesOutput, error)
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	DescribeTimeToLive(ctx context.Context, in *dynamodb.DescribeTimeToLiveInput, opts ...func(*dynamodb.Options)) (*dynamodb.DescribeTimeToLiveOutput, error)
	ListTagsOfResource(ctx context.Context, in *dynamodb.ListTagsOfResourceInput, opts ...func(*dynamodb.Options)) (*dynamodb.ListTagsOfResourceOutput, error)
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	UpdateTimeToLive(ctx context.Context, in *dynamodb.UpdateTimeToLiveInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// Streams is what the replicator calls on a region's DynamoDB Streams.
type Streams interface {
	DescribeStream(ctx context.Context, in *dynamodbstreams.DescribeStreamInput, opts ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error)
	GetShardIterator(ctx context.Context, in *dynamodbstreams.GetShardIteratorInput, opts ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *dynamodbstreams.GetRecordsInput, opts ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error)
}

// Region is one region's clients.
type Region struct {
	Name     string
	DynamoDB DynamoDB
	Streams  Streams
}

// Table is a replicated table as reported (GET /_local/health).
type Table struct {
	Name       string   `json:"name"`
	Regions    []string `json:"regions"`                    // its replica regions, sorted
	Created    []string `json:"created,omitempty"`          // the regions whose table the replicator made
	Replicated int64    `json:"replicated_writes"`          // writes copied into a replica
	Echoes     int64    `json:"skipped_echoes"`             // records of the replicator's own writes, not copied back
	Unchanged  int64    `json:"skipped_unchanged"`          // records whose image the target already had
	Error      string   `json:"error,omitempty"`            // the last error of this table
	Missing    []string `json:"unserved_regions,omitempty"` // replica regions this runtime does not serve
}

// echoTTL bounds how long a write is remembered when its record never shows up.
const echoTTL = 10 * time.Minute

// removed is the image of a REMOVE (an absent item).
const removed = "-"

// Replicator replicates the global tables of its regions.
type Replicator struct {
	regions   []Region
	statePath string
	log       *slog.Logger
	// Refresh is how often the tables are reread (default 5s); MinIdle and MaxIdle bound the pause
	// after a pass that found no record (default 200ms doubling to 2s).
	Refresh          time.Duration
	MinIdle, MaxIdle time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time

	passMu     sync.Mutex // one pass at a time: Run's and Sync's
	groups     map[string]*group
	plain      map[string]bool // region|table known to have no replicas, until it is gone
	discovered time.Time
	st         state
	dirty      bool

	mu      sync.Mutex // guards report and lastErr for Tables and Err
	report  []Table
	lastErr error
}

// group is one global table: its replicas by region.
type group struct {
	name      string
	regions   map[string]*replica
	missing   map[string]bool // replica regions not served here
	created   map[string]bool
	counts    Table
	err       error
	source    *ddb.TableDescription // the schema a created replica copies
	ttl       string                // its TTL attribute, "" when off
	srcRegion string
}

type replica struct {
	region    string
	exists    bool
	stream    string            // the table's latest stream ARN
	iterators map[string]string // shard id -> next iterator
}

// state is what the state file keeps.
type state struct {
	// Positions: stream ARN -> shard id -> the last sequence number copied.
	Positions map[string]map[string]string `json:"positions"`
	// Echoes: region|table|key -> the images the replicator wrote there whose records were not read yet.
	Echoes map[string][]echo `json:"echoes"`
}

type echo struct {
	Image string    `json:"image"`
	At    time.Time `json:"at"`
}

// New returns a replicator of the global tables of regions, keeping its state in statePath (empty:
// in memory only).
func New(regions []Region, statePath string, log *slog.Logger) *Replicator {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Replicator{regions: regions, statePath: statePath, log: log, Refresh: 5 * time.Second,
		MinIdle: 200 * time.Millisecond, MaxIdle: 2 * time.Second, Now: time.Now,
		groups: map[string]*group{}, plain: map[string]bool{},
		st: state{Positions: map[string]map[string]string{}, Echoes: map[string][]echo{}}}
	r.load()
	return r
}

func (r *Replicator) load() {
	if r.statePath == "" {
		return
	}
	b, err := os.ReadFile(r.statePath)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			r.log.Warn("replication state unreadable: streams are read from their start", "path", r.statePath, "err", err)
		}
		return
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		r.log.Warn("replication state unreadable: streams are read from their start", "path", r.statePath, "err", err)
		return
	}
	if st.Positions != nil {
		r.st.Positions = st.Positions
	}
	if st.Echoes != nil {
		r.st.Echoes = st.Echoes
	}
}

func (r *Replicator) save() error {
	now := r.Now()
	for k, es := range r.st.Echoes {
		es = slices.DeleteFunc(es, func(e echo) bool { return now.Sub(e.At) > echoTTL })
		if len(es) == 0 {
			delete(r.st.Echoes, k)
			r.dirty = true
		} else {
			r.st.Echoes[k] = es
		}
	}
	if !r.dirty || r.statePath == "" {
		return nil
	}
	b, err := json.Marshal(r.st)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(r.statePath), 0o750); err != nil {
		return err
	}
	tmp := r.statePath + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write the replication state: %w", err)
	}
	if err := os.Rename(tmp, r.statePath); err != nil {
		return fmt.Errorf("write the replication state: %w", err)
	}
	r.dirty = false
	return nil
}

// Run replicates until ctx ends.
func (r *Replicator) Run(ctx context.Context) {
	idle := r.MinIdle
	for ctx.Err() == nil {
		n, err := r.pass(ctx, false)
		if err != nil && ctx.Err() == nil {
			r.log.WarnContext(ctx, "replicate", "err", err)
		}
		if n > 0 {
			idle = r.MinIdle
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(idle):
		}
		idle = min(2*idle, r.MaxIdle)
	}
}

// Sync rereads the tables, creates missing replicas and copies every stream record now; it returns
// the records copied and the errors met.
func (r *Replicator) Sync(ctx context.Context) (int, error) {
	return r.pass(ctx, true)
}

// Tables reports the replicated tables, by name.
func (r *Replicator) Tables() []Table {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.report)
}

// Err is the last pass's error.
func (r *Replicator) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastErr
}

func (r *Replicator) pass(ctx context.Context, force bool) (int, error) {
	r.passMu.Lock()
	defer r.passMu.Unlock()
	var errs []error
	if force || r.Now().Sub(r.discovered) >= r.Refresh {
		if err := r.discover(ctx); err != nil {
			errs = append(errs, err)
		}
		r.discovered = r.Now()
	}
	n := 0
	for _, name := range r.groupNames() {
		g := r.groups[name]
		g.err = nil
		copied, err := r.copyStreams(ctx, g)
		n += copied
		if err != nil {
			g.err = err
			errs = append(errs, fmt.Errorf("table %s: %w", name, err))
		}
	}
	if err := r.save(); err != nil {
		errs = append(errs, err)
	}
	err := errors.Join(errs...)
	r.mu.Lock()
	r.report, r.lastErr = r.snapshot(), err
	r.mu.Unlock()
	return n, err
}

func (r *Replicator) groupNames() []string {
	names := make([]string, 0, len(r.groups))
	for n := range r.groups {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (r *Replicator) snapshot() []Table {
	out := make([]Table, 0, len(r.groups))
	for _, name := range r.groupNames() {
		g := r.groups[name]
		t := g.counts
		t.Name = name
		t.Regions = sortedKeys(g.regions)
		t.Created = sortedKeys(g.created)
		t.Missing = sortedKeys(g.missing)
		if g.err != nil {
			t.Error = g.err.Error()
		}
		out = append(out, t)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	if len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (r *Replicator) region(name string) (Region, bool) {
	for _, reg := range r.regions {
		if reg.Name == name {
			return reg, true
		}
	}
	return Region{}, false
}

// discover lists every region's tables, reads the replica regions of those not known to have none,
// and creates the replicas that are missing.
func (r *Replicator) discover(ctx context.Context) error {
	var errs []error
	present := map[string]map[string]bool{} // region -> tables
	for _, reg := range r.regions {
		names, err := listTables(ctx, reg.DynamoDB)
		if err != nil {
			errs = append(errs, fmt.Errorf("list the tables of %s: %w", reg.Name, err))
			continue
		}
		present[reg.Name] = map[string]bool{}
		for _, n := range names {
			present[reg.Name][n] = true
		}
		for k := range r.plain {
			if region, table, _ := strings.Cut(k, "|"); region == reg.Name && !present[reg.Name][table] {
				delete(r.plain, k) // gone: read it again should it come back
			}
		}
		for _, n := range names {
			if r.plain[reg.Name+"|"+n] {
				continue
			}
			if err := r.describe(ctx, reg, n); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, name := range r.groupNames() {
		g := r.groups[name]
		for region, rep := range g.regions {
			if tables, listed := present[region]; listed {
				rep.exists = tables[name]
				if !rep.exists {
					rep.stream, rep.iterators = "", map[string]string{}
				}
			}
		}
		if err := r.ensureReplicas(ctx, g); err != nil {
			g.err = err
			errs = append(errs, fmt.Errorf("table %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

func listTables(ctx context.Context, db DynamoDB) ([]string, error) {
	var names []string
	p := dynamodb.NewListTablesPaginator(db, &dynamodb.ListTablesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		names = append(names, page.TableNames...)
	}
	return names, nil
}

// describe reads one table's replica regions and joins it to its group.
func (r *Replicator) describe(ctx context.Context, reg Region, name string) error {
	d, err := reg.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("describe table %s in %s: %w", name, reg.Name, err)
	}
	t := d.Table
	others := map[string]bool{}
	for _, rep := range t.Replicas {
		others[aws.ToString(rep.RegionName)] = true
	}
	tags, err := reg.DynamoDB.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: t.TableArn})
	if err != nil {
		return fmt.Errorf("read the tags of table %s in %s: %w", name, reg.Name, err)
	}
	for _, tag := range tags.Tags {
		if aws.ToString(tag.Key) == TagReplicaRegions {
			for _, region := range strings.Fields(aws.ToString(tag.Value)) {
				others[region] = true
			}
		}
	}
	delete(others, reg.Name)
	if len(others) == 0 {
		if _, member := r.groups[name]; !member {
			r.plain[reg.Name+"|"+name] = true
		}
		return nil
	}
	g, ok := r.groups[name]
	if !ok {
		g = &group{name: name, regions: map[string]*replica{}, missing: map[string]bool{}, created: map[string]bool{}}
		r.groups[name] = g
		r.log.InfoContext(ctx, "replicating a global table", "table", name, "region", reg.Name, "replicas", sortedKeys(others))
	}
	if g.source == nil {
		g.source, g.srcRegion = t, reg.Name
		ttl, err := reg.DynamoDB.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("read the TTL of table %s in %s: %w", name, reg.Name, err)
		}
		if d := ttl.TimeToLiveDescription; d != nil && (d.TimeToLiveStatus == ddb.TimeToLiveStatusEnabled || d.TimeToLiveStatus == ddb.TimeToLiveStatusEnabling) {
			g.ttl = aws.ToString(d.AttributeName)
		}
	}
	r.join(g, reg.Name).stream = aws.ToString(t.LatestStreamArn)
	g.regions[reg.Name].exists = true
	for region := range others {
		r.join(g, region)
	}
	return nil
}

func (r *Replicator) join(g *group, region string) *replica {
	if _, served := r.region(region); !served {
		g.missing[region] = true
		return &replica{region: region, iterators: map[string]string{}}
	}
	rep, ok := g.regions[region]
	if !ok {
		rep = &replica{region: region, iterators: map[string]string{}}
		g.regions[region] = rep
	}
	return rep
}

// ensureReplicas creates the group's missing replica tables and fills each from the source.
func (r *Replicator) ensureReplicas(ctx context.Context, g *group) error {
	src, ok := r.region(g.srcRegion)
	if !ok || g.source == nil {
		return nil
	}
	for _, region := range sortedKeys(g.regions) {
		rep := g.regions[region]
		if rep.exists {
			continue
		}
		reg, _ := r.region(region)
		arn, err := r.createReplica(ctx, g, reg)
		if err != nil {
			return fmt.Errorf("create the replica in %s: %w", region, err)
		}
		rep.exists, rep.stream, g.created[region] = true, arn, true
		n, err := r.fill(ctx, g, src, reg)
		if err != nil {
			return fmt.Errorf("fill the replica in %s from %s: %w", region, src.Name, err)
		}
		r.log.InfoContext(ctx, "created a replica table", "table", g.name, "region", region, "from", src.Name, "items", n)
	}
	return nil
}

func (r *Replicator) createReplica(ctx context.Context, g *group, reg Region) (string, error) {
	s := g.source
	in := &dynamodb.CreateTableInput{
		TableName:            aws.String(g.name),
		AttributeDefinitions: s.AttributeDefinitions,
		KeySchema:            s.KeySchema,
		BillingMode:          ddb.BillingModePayPerRequest,
		StreamSpecification:  &ddb.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddb.StreamViewTypeNewAndOldImages},
	}
	for _, i := range s.GlobalSecondaryIndexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, ddb.GlobalSecondaryIndex{IndexName: i.IndexName, KeySchema: i.KeySchema, Projection: i.Projection})
	}
	for _, i := range s.LocalSecondaryIndexes {
		in.LocalSecondaryIndexes = append(in.LocalSecondaryIndexes, ddb.LocalSecondaryIndex{IndexName: i.IndexName, KeySchema: i.KeySchema, Projection: i.Projection})
	}
	others := make([]string, 0, len(g.regions))
	for region := range g.regions {
		if region != reg.Name {
			others = append(others, region)
		}
	}
	sort.Strings(others)
	in.Tags = []ddb.Tag{{Key: aws.String(TagReplicaRegions), Value: aws.String(strings.Join(others, " "))}}
	out, err := reg.DynamoDB.CreateTable(ctx, in)
	if err != nil {
		var inUse *ddb.ResourceInUseException
		if !errors.As(err, &inUse) {
			return "", err
		}
		d, derr := reg.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(g.name)})
		if derr != nil {
			return "", derr
		}
		return aws.ToString(d.Table.LatestStreamArn), nil
	}
	if g.ttl != "" {
		if _, err := reg.DynamoDB.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(g.name),
			TimeToLiveSpecification: &ddb.TimeToLiveSpecification{AttributeName: aws.String(g.ttl), Enabled: aws.Bool(true)}}); err != nil {
			return "", fmt.Errorf("TTL %s: %w", g.ttl, err)
		}
	}
	return aws.ToString(out.TableDescription.LatestStreamArn), nil
}

// fill copies every item of the source replica into a new one (AWS copies a table's items into a
// replica it adds).
func (r *Replicator) fill(ctx context.Context, g *group, src, dst Region) (int, error) {
	n := 0
	p := dynamodb.NewScanPaginator(src.DynamoDB, &dynamodb.ScanInput{TableName: aws.String(g.name), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n, err
		}
		for _, item := range page.Items {
			if _, err := dst.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(g.name), Item: item}); err != nil {
				return n, err
			}
			r.remember(dst.Name, g.name, canonical(keysOf(item, g.source.KeySchema)), canonical(item))
			n++
		}
	}
	return n, nil
}

func keysOf(item Item, schema []ddb.KeySchemaElement) Item {
	k := Item{}
	for _, e := range schema {
		name := aws.ToString(e.AttributeName)
		if v, ok := item[name]; ok {
			k[name] = v
		}
	}
	return k
}

func echoKey(region, table, key string) string { return region + "|" + table + "|" + key }

func (r *Replicator) remember(region, table, key, image string) {
	k := echoKey(region, table, key)
	r.st.Echoes[k] = append(r.st.Echoes[k], echo{Image: image, At: r.Now()})
	r.dirty = true
}

// echoed consumes the remembered write that a record of region's stream shows, if there is one.
func (r *Replicator) echoed(region, table, key, image string) bool {
	k := echoKey(region, table, key)
	es := r.st.Echoes[k]
	i := slices.IndexFunc(es, func(e echo) bool { return e.Image == image })
	if i < 0 {
		return false
	}
	if es = slices.Delete(es, i, i+1); len(es) == 0 {
		delete(r.st.Echoes, k)
	} else {
		r.st.Echoes[k] = es
	}
	r.dirty = true
	return true
}

// copyStreams reads each replica's stream from its position and copies the records into the other
// replicas.
func (r *Replicator) copyStreams(ctx context.Context, g *group) (int, error) {
	n := 0
	var errs []error
	for _, region := range sortedKeys(g.regions) {
		rep := g.regions[region]
		if !rep.exists || rep.stream == "" {
			continue
		}
		reg, _ := r.region(region)
		c, err := r.copyStream(ctx, g, reg, rep)
		n += c
		if err != nil {
			errs = append(errs, fmt.Errorf("stream in %s: %w", region, err))
		}
	}
	return n, errors.Join(errs...)
}

// maxBatches bounds the GetRecords calls for one shard in one pass, so one busy stream does not
// starve the others.
const maxBatches = 10

func (r *Replicator) copyStream(ctx context.Context, g *group, reg Region, rep *replica) (int, error) {
	if len(rep.iterators) == 0 {
		d, err := reg.Streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(rep.stream)})
		if err != nil {
			return 0, fmt.Errorf("describe stream: %w", err)
		}
		for _, sh := range d.StreamDescription.Shards {
			rep.iterators[aws.ToString(sh.ShardId)] = ""
		}
	}
	n := 0
	for _, shard := range sortedKeys(rep.iterators) {
		for range maxBatches {
			it, err := r.iterator(ctx, reg, rep, shard)
			if err != nil {
				return n, err
			}
			out, err := reg.Streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String(it), Limit: aws.Int32(100)})
			if err != nil {
				rep.iterators[shard] = "" // ask again from the position
				return n, fmt.Errorf("get records of shard %s: %w", shard, err)
			}
			for _, rec := range out.Records {
				if err := r.apply(ctx, g, reg.Name, rec); err != nil {
					rep.iterators[shard] = "" // the next pass starts again at this record
					return n, err
				}
				r.setPosition(rep.stream, shard, aws.ToString(rec.Dynamodb.SequenceNumber))
				n++
			}
			if out.NextShardIterator == nil { // a closed shard, read to its end
				delete(rep.iterators, shard)
				break
			}
			rep.iterators[shard] = aws.ToString(out.NextShardIterator)
			if len(out.Records) == 0 {
				break
			}
		}
	}
	return n, nil
}

func (r *Replicator) setPosition(stream, shard, seq string) {
	if r.st.Positions[stream] == nil {
		r.st.Positions[stream] = map[string]string{}
	}
	r.st.Positions[stream][shard] = seq
	r.dirty = true
}

func (r *Replicator) iterator(ctx context.Context, reg Region, rep *replica, shard string) (string, error) {
	if it := rep.iterators[shard]; it != "" {
		return it, nil
	}
	in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(rep.stream), ShardId: aws.String(shard), ShardIteratorType: streams.ShardIteratorTypeTrimHorizon}
	if seq := r.st.Positions[rep.stream][shard]; seq != "" {
		in.ShardIteratorType, in.SequenceNumber = streams.ShardIteratorTypeAfterSequenceNumber, aws.String(seq)
	}
	out, err := reg.Streams.GetShardIterator(ctx, in)
	if err != nil {
		return "", fmt.Errorf("shard iterator of %s: %w", shard, err)
	}
	return aws.ToString(out.ShardIterator), nil
}

// apply copies one record of from's stream into every other replica.
func (r *Replicator) apply(ctx context.Context, g *group, from string, rec streams.Record) error {
	if rec.Dynamodb == nil {
		return nil
	}
	keys, err := fromStream(rec.Dynamodb.Keys)
	if err != nil {
		return fmt.Errorf("record %s: keys: %w", aws.ToString(rec.Dynamodb.SequenceNumber), err)
	}
	key, image := canonical(keys), removed
	var item Item
	switch rec.EventName {
	case streams.OperationTypeInsert, streams.OperationTypeModify:
		if rec.Dynamodb.NewImage == nil {
			return fmt.Errorf("record %s has no NewImage: the stream must be NEW_IMAGE or NEW_AND_OLD_IMAGES", aws.ToString(rec.Dynamodb.SequenceNumber))
		}
		if item, err = fromStream(rec.Dynamodb.NewImage); err != nil {
			return fmt.Errorf("record %s: new image: %w", aws.ToString(rec.Dynamodb.SequenceNumber), err)
		}
		image = canonical(item)
	case streams.OperationTypeRemove:
	default:
		return nil
	}
	if r.echoed(from, g.name, key, image) {
		g.counts.Echoes++
		return nil
	}
	for _, region := range sortedKeys(g.regions) {
		rep := g.regions[region]
		if region == from || !rep.exists {
			continue
		}
		reg, _ := r.region(region)
		cur, err := reg.DynamoDB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(g.name), Key: keys, ConsistentRead: aws.Bool(true)})
		if err != nil {
			return fmt.Errorf("read the item in %s: %w", region, err)
		}
		switch {
		case image == removed && len(cur.Item) == 0, image != removed && len(cur.Item) > 0 && canonical(cur.Item) == image:
			g.counts.Unchanged++
			continue
		case image == removed:
			_, err = reg.DynamoDB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(g.name), Key: keys})
		default:
			_, err = reg.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(g.name), Item: item})
		}
		if err != nil {
			return fmt.Errorf("write the item in %s: %w", region, err)
		}
		r.remember(region, g.name, key, image)
		g.counts.Replicated++
	}
	return nil
}

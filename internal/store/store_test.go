//go:build integration

package store

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/testutil/moto"
)

func newDynamo(t testing.TB) *dynamodb.Client {
	t.Helper()
	return dynamodb.NewFromConfig(moto.Shared(t).Config())
}

// scanAll returns every item of a table.
func scanAll(t testing.TB, db *dynamodb.Client, table string) []map[string]types.AttributeValue {
	t.Helper()
	var items []map[string]types.AttributeValue
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		require.NoError(t, err)
		items = append(items, out.Items...)
	}
	return items
}

// spyDB wraps the real client: it counts calls and can run a hook before a transaction, to interleave
// a competing writer deterministically, or rewrite a transaction's error.
type spyDB struct {
	*dynamodb.Client
	gets, scans, queries, transacts atomic.Int32

	mu           sync.Mutex
	beforeTx     func() // runs once, before the next TransactWriteItems
	rewriteTxErr func(error) error
}

func (s *spyDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	s.gets.Add(1)
	return s.Client.GetItem(ctx, in, o...)
}

func (s *spyDB) Scan(ctx context.Context, in *dynamodb.ScanInput, o ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	s.scans.Add(1)
	return s.Client.Scan(ctx, in, o...)
}

func (s *spyDB) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	s.queries.Add(1)
	return s.Client.Query(ctx, in, o...)
}

func (s *spyDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	s.transacts.Add(1)
	s.mu.Lock()
	hook, rewrite := s.beforeTx, s.rewriteTxErr
	s.beforeTx = nil
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	out, err := s.Client.TransactWriteItems(ctx, in, o...)
	if err != nil && rewrite != nil {
		err = rewrite(err)
	}
	return out, err
}

func (s *spyDB) setBeforeTx(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.beforeTx = f
}

//go:build integration

package moto

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tables have the design.md schemas.
func TestCreateTables(t *testing.T) {
	t.Parallel()
	db := dynamodb.NewFromConfig(Shared(t).Config())
	ctx := context.Background()
	key := func(name string, kt types.KeyType) types.KeySchemaElement {
		return types.KeySchemaElement{AttributeName: aws.String(name), KeyType: kt}
	}
	tests := []struct {
		name   string
		create func(testing.TB, *dynamodb.Client) string
		prefix string
		keys   []types.KeySchemaElement
		ttl    string // the TTL attribute, "" for none
	}{
		{name: "URL table", create: CreateURLTable, prefix: "urls-", keys: []types.KeySchemaElement{key("id", types.KeyTypeHash)}},
		{name: "alarm table", create: CreateAlarmTable, prefix: "alarms-",
			keys: []types.KeySchemaElement{key("target_id", types.KeyTypeHash), key("sk", types.KeyTypeRange)}, ttl: "expires_at"},
		{name: "checks table", create: CreateChecksTable, prefix: "checks-",
			keys: []types.KeySchemaElement{key("target_id", types.KeyTypeHash), key("region", types.KeyTypeRange)}, ttl: "expires_at"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			table := tc.create(t, db)
			assert.Regexp(t, "^"+tc.prefix+"[0-9a-f]{12}$", table)
			assert.NotEqual(t, table, tc.create(t, db), "each table has a name of its own")
			d, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
			require.NoError(t, err)
			assert.Equal(t, tc.keys, d.Table.KeySchema)
			require.NotNil(t, d.Table.BillingModeSummary)
			assert.Equal(t, types.BillingModePayPerRequest, d.Table.BillingModeSummary.BillingMode)
			ttl, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
			require.NoError(t, err)
			if tc.ttl == "" {
				assert.Equal(t, types.TimeToLiveStatusDisabled, ttl.TimeToLiveDescription.TimeToLiveStatus)
				return
			}
			assert.Equal(t, types.TimeToLiveStatusEnabled, ttl.TimeToLiveDescription.TimeToLiveStatus)
			assert.Equal(t, tc.ttl, aws.ToString(ttl.TimeToLiveDescription.AttributeName))
		})
	}
}

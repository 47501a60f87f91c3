package moto

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStartServesDynamoDBAndResets(t *testing.T) {
	t.Parallel()
	s := Start(t)
	ctx := context.Background()
	db := dynamodb.NewFromConfig(s.Config())
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("t"),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	})
	require.NoError(t, err)
	out, err := db.ListTables(ctx, &dynamodb.ListTablesInput{})
	require.NoError(t, err)
	require.Equal(t, []string{"t"}, out.TableNames)
	require.NoError(t, s.Reset(ctx))
	out, err = db.ListTables(ctx, &dynamodb.ListTablesInput{})
	require.NoError(t, err)
	require.Empty(t, out.TableNames)
}

// A web page in the user's browser must not drive the emulator: a foreign Host (DNS rebinding) or
// Origin (a cross-site request) is refused before moto sees the request.
func TestRefusesForeignHostAndOrigin(t *testing.T) {
	t.Parallel()
	s := Start(t)
	tests := []struct {
		name         string
		host, origin string
		want         int
	}{
		{name: "own host", want: http.StatusOK},
		{name: "localhost by name", host: "localhost:" + s.Port(), want: http.StatusOK},
		{name: "own origin", origin: "http://127.0.0.1:" + s.Port(), want: http.StatusOK},
		{name: "rebound name", host: "attacker.example:" + s.Port(), want: http.StatusForbidden},
		{name: "other port", host: "127.0.0.1:1", want: http.StatusForbidden},
		{name: "cross-site origin", origin: "https://attacker.example", want: http.StatusForbidden},
		{name: "null origin", origin: "null", want: http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, s.Endpoint+"/moto-api/", nil)
			require.NoError(t, err)
			if tc.host != "" {
				req.Host = tc.host
			}
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			_ = resp.Body.Close()
			assert.Equal(t, tc.want, resp.StatusCode)
		})
	}
}

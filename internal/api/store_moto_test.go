//go:build integration

package api

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
	"github.com/webhealth/webhealth/internal/testutil/moto"
	"github.com/webhealth/webhealth/internal/verdict"
)

// One moto_server for the package (TestHandlerWithDynamoDB and TestRegionsWithDynamoDB use it).

// The handler over the real store on moto: create → get → put (current, then stale) → duplicate →
// list → alarms → delete → 404, and the URL is free again.
func TestHandlerWithDynamoDB(t *testing.T) {
	t.Parallel()
	db := dynamodb.NewFromConfig(moto.Shared(t).Config())
	urls := moto.CreateURLTable(t, db)
	alarms := moto.CreateAlarmTable(t, db)
	h := New(store.NewTargets(db, urls), store.NewAlarms(db, alarms), Config{}, WithLogger(discardLogger()))

	resp := serve(t, h, newRequest(t, "POST", "/urls", withBody(`{"url":"https://Example.com/health","timeout_ms":3000}`)))
	require.Equal(t, http.StatusCreated, resp.StatusCode, resp.Body)
	created := decodeTarget(t, resp)
	path := "/urls/" + created.ID
	assert.Equal(t, "/testStage"+path, resp.Headers["Location"])
	assert.Equal(t, `"1"`, resp.Headers["ETag"])

	resp = serve(t, h, newRequest(t, "GET", path))
	require.Equal(t, http.StatusOK, resp.StatusCode, resp.Body)
	assert.Equal(t, created, decodeTarget(t, resp))
	assert.Equal(t, `"1"`, resp.Headers["ETag"])

	resp = serve(t, h, newRequest(t, "PUT", path, withBody(`{"url":"https://example.com/health","name":"renamed"}`), withHeader("If-Match", `"1"`)))
	require.Equal(t, http.StatusOK, resp.StatusCode, resp.Body)
	replaced := decodeTarget(t, resp)
	assert.Equal(t, int64(2), replaced.Version)
	assert.Equal(t, `"2"`, resp.Headers["ETag"])
	assert.Equal(t, "renamed", replaced.Name)
	assert.Equal(t, created.CreatedAt, replaced.CreatedAt)

	resp = serve(t, h, newRequest(t, "PUT", path, withBody(`{"url":"https://example.com/other"}`), withHeader("If-Match", `"1"`)))
	require.Equal(t, http.StatusPreconditionFailed, resp.StatusCode, resp.Body)
	eb := decodeError(t, resp)
	assert.Equal(t, CodeVersionConflict, eb.Error.Code)
	assert.Equal(t, int64(2), eb.Error.CurrentVersion)

	resp = serve(t, h, newRequest(t, "POST", "/urls", withBody(`{"url":"HTTPS://EXAMPLE.COM:443/health#frag"}`)))
	require.Equal(t, http.StatusConflict, resp.StatusCode, resp.Body)
	assert.Equal(t, created.ID, decodeError(t, resp).Error.ExistingID)

	resp = serve(t, h, newRequest(t, "GET", "/urls", withQuery("limit", "1")))
	require.Equal(t, http.StatusOK, resp.StatusCode, resp.Body)
	var page listBody[json.RawMessage]
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &page))
	assert.Len(t, page.Items, 1, "the uniqueness item is not listed")
	assert.Empty(t, page.NextToken)

	resp = serve(t, h, newRequest(t, "GET", "/urls", withQuery("next_token", "bm90LWEtdG9rZW4")))
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, resp.Body)
	assert.Equal(t, CodeInvalidNextToken, decodeError(t, resp).Error.Code)

	resp = serve(t, h, newRequest(t, "GET", path+"/alarms"))
	require.Equal(t, http.StatusOK, resp.StatusCode, resp.Body)
	assert.JSONEq(t, `{"items":[]}`, resp.Body)

	resp = serve(t, h, newRequest(t, "DELETE", path))
	require.Equal(t, http.StatusNoContent, resp.StatusCode, resp.Body)
	for _, m := range []string{"GET", "DELETE"} {
		resp = serve(t, h, newRequest(t, m, path))
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, m)
	}
	resp = serve(t, h, newRequest(t, "GET", path+"/alarms"))
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	resp = serve(t, h, newRequest(t, "POST", "/urls", withBody(`{"url":"https://example.com/health"}`)))
	require.Equal(t, http.StatusCreated, resp.StatusCode, "the deleted target's URL is free again: %s", resp.Body)
	assert.NotEqual(t, created.ID, decodeTarget(t, resp).ID)
}

// TestRegionsWithDynamoDB: two regions' handlers over one URL table and one checks table on moto (the
// global tables as each replica shows them): the home region creates, the other refuses a write with the
// home endpoint from the home region's real region item, and both answer the regions' checks and status.
func TestRegionsWithDynamoDB(t *testing.T) {
	t.Parallel()
	db := dynamodb.NewFromConfig(moto.Shared(t).Config())
	urls := moto.CreateURLTable(t, db)
	alarms := moto.CreateAlarmTable(t, db)
	checksTable := moto.CreateChecksTable(t, db)
	ctx := context.Background()
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(urls), Item: map[string]types.AttributeValue{
		"id": &types.AttributeValueMemberS{Value: store.RegionItemID("us-east-1")}, "kind": &types.AttributeValueMemberS{Value: store.KindRegion},
		"region": &types.AttributeValueMemberS{Value: "us-east-1"}, "api_url": &types.AttributeValueMemberS{Value: homeAPI},
	}})
	require.NoError(t, err)
	checks := store.NewChecks(db, checksTable)
	handler := func(region string) *Handler {
		cfg := Config{ChecksTable: checksTable, Regions: verdict.Settings{Region: region, Home: "us-east-1",
			Rule: verdict.Rule{Regions: []string{"us-east-1", "eu-west-1"}, Quorum: 2, StaleAfter: 3 * time.Minute}}}
		targets := store.NewTargets(db, urls)
		return New(targets, store.NewAlarms(db, alarms), cfg, WithLogger(discardLogger()), WithChecks(checks), WithRegionItems(targets))
	}
	home, other := handler("us-east-1"), handler("eu-west-1")

	resp := serve(t, other, newRequest(t, "POST", "/urls", withBody(`{"url":"https://example.com/health"}`)))
	require.Equal(t, http.StatusMisdirectedRequest, resp.StatusCode, resp.Body)
	eb := decodeError(t, resp)
	assert.Equal(t, CodeWrongRegion, eb.Error.Code)
	assert.Equal(t, homeAPI, eb.Error.HomeAPIURL)

	resp = serve(t, home, newRequest(t, "POST", "/urls", withBody(`{"url":"https://example.com/health"}`)))
	require.Equal(t, http.StatusCreated, resp.StatusCode, resp.Body)
	created := decodeTarget(t, resp)
	now := time.Now().UTC().Truncate(time.Millisecond)
	require.NoError(t, checks.PutCheck(ctx, "us-east-1", created.ID, target.LastCheck{CheckedAt: now, Available: true, StatusCode: 200, Attempts: 1}))
	require.NoError(t, checks.PutCheck(ctx, "eu-west-1", created.ID, target.LastCheck{CheckedAt: now, StatusCode: 403, Attempts: 1, Error: "status 403 not in expected [200]"}))

	for _, h := range []*Handler{home, other} {
		resp = serve(t, h, newRequest(t, "GET", "/urls/"+created.ID))
		require.Equal(t, http.StatusOK, resp.StatusCode, resp.Body)
		var got regionsAnswer
		require.NoError(t, json.Unmarshal([]byte(resp.Body), &got))
		assert.Equal(t, "degraded", got.Status)
		keys, vals := regionOrder(t, got.Regions)
		assert.Equal(t, []string{"us-east-1", "eu-west-1"}, keys)
		require.NotNil(t, vals["eu-west-1"].LastCheck)
		assert.Equal(t, 403, vals["eu-west-1"].LastCheck.StatusCode)

		resp = serve(t, h, newRequest(t, "GET", "/urls"))
		require.Equal(t, http.StatusOK, resp.StatusCode, resp.Body)
		assert.Contains(t, resp.Body, `"status":"degraded"`)
		assert.NotContains(t, resp.Body, store.RegionItemID("us-east-1"), "the region item is not listed")
	}
}

//go:build integration

package api

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/testutil/moto"
)

// One moto_server for the package (only TestHandlerWithDynamoDB uses it).

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

package store

import (
	"maps"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/target"
)

func TestTargetItemRoundTrip(t *testing.T) {
	t.Parallel()
	days := 42
	now := time.Date(2026, 11, 21, 10, 0, 0, 123_000_000, time.UTC)
	in := target.Target{
		ID: "0f8fad5bd9cb469fa16570867728950e", URL: "https://example.com/", Name: "example", Enabled: true,
		ExpectedStatus: []int{200, 204}, LatencyThresholdMS: 800, TimeoutMS: 5000, Method: "GET", BodyContains: "ok",
		CreatedAt: now, UpdatedAt: now.Add(time.Minute), Version: 3,
		LastCheck: &target.LastCheck{CheckedAt: now, Available: true, StatusCode: 200, LatencyMS: 12.5, DNSMS: 1, ConnectMS: 2,
			TLSMS: 3, TTFBMS: 4, CertDaysRemaining: &days, Attempts: 2, Error: ""},
	}
	av, err := MarshalTarget(in)
	require.NoError(t, err)
	assert.Equal(t, &types.AttributeValueMemberS{Value: KindTarget}, av[AttrKind])
	assert.Equal(t, &types.AttributeValueMemberS{Value: "2026-11-21T10:00:00.123Z"}, av["created_at"])
	out, err := UnmarshalTarget(av)
	require.NoError(t, err)
	assert.Equal(t, in, out)

	in.LastCheck = nil
	av, err = MarshalTarget(in)
	require.NoError(t, err)
	assert.NotContains(t, av, AttrLastCheck)
}

func TestUnmarshalTargetRejectsOtherKinds(t *testing.T) {
	t.Parallel()
	_, err := UnmarshalTarget(map[string]types.AttributeValue{
		AttrID: &types.AttributeValueMemberS{Value: URLKeyPrefix + "abc"}, AttrKind: &types.AttributeValueMemberS{Value: KindURLKey},
	})
	assert.ErrorContains(t, err, `kind is "urlkey"`)
	_, err = UnmarshalTarget(map[string]types.AttributeValue{
		AttrID: &types.AttributeValueMemberS{Value: "0f8fad5bd9cb469fa16570867728950e"}, AttrKind: &types.AttributeValueMemberS{Value: KindTarget},
		"created_at": &types.AttributeValueMemberS{Value: "yesterday"},
	})
	assert.ErrorContains(t, err, `decode target item "0f8fad5bd9cb469fa16570867728950e": time "yesterday" is not RFC 3339`, "the item and the bad value are named")
}

// TestTargetItemFormat pins the stored item (docs/design.md, "DynamoDB") attribute by attribute: the
// names, types, the kind, times in TimeFormat (UTC, milliseconds), last_check as a map whose
// status_code and error are stored even when zero and cert_days_remaining only when known.
func TestTargetItemFormat(t *testing.T) {
	t.Parallel()
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	n := func(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }
	b := func(v bool) types.AttributeValue { return &types.AttributeValueMemberBOOL{Value: v} }
	at := time.Date(2026, 11, 21, 10, 0, 0, 123_456_789, time.UTC)
	days := 42
	tg := target.Target{
		ID: "0f8fad5bd9cb469fa16570867728950e", URL: "https://example.com/", Name: "example", Enabled: false,
		ExpectedStatus: []int{200, 204}, LatencyThresholdMS: 800, TimeoutMS: 5000, Method: "GET", BodyContains: "",
		CreatedAt: at, UpdatedAt: at.Add(time.Minute).In(time.FixedZone("", 3600)), Version: 3,
		LastCheck: &target.LastCheck{CheckedAt: at, Available: true, LatencyMS: 12.5, TTFBMS: 0.25, CertDaysRemaining: &days, Attempts: 1},
	}
	item := map[string]types.AttributeValue{
		"id": s(tg.ID), "kind": s("target"), "url": s("https://example.com/"), "name": s("example"), "enabled": b(false),
		"expected_status":      &types.AttributeValueMemberL{Value: []types.AttributeValue{n("200"), n("204")}},
		"latency_threshold_ms": n("800"), "timeout_ms": n("5000"), "method": s("GET"), "body_contains": s(""),
		"created_at": s("2026-11-21T10:00:00.123Z"), "updated_at": s("2026-11-21T10:01:00.123Z"), "version": n("3"),
		"last_check": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"checked_at": s("2026-11-21T10:00:00.123Z"), "available": b(true), "status_code": n("0"), "latency_ms": n("12.5"),
			"dns_ms": n("0"), "connect_ms": n("0"), "tls_ms": n("0"), "ttfb_ms": n("0.25"), "cert_days_remaining": n("42"),
			"attempts": n("1"), "error": s(""),
		}},
	}
	got, err := MarshalTarget(tg)
	require.NoError(t, err)
	assert.Equal(t, item, got)

	back, err := UnmarshalTarget(item)
	require.NoError(t, err)
	stored := tg
	stored.CreatedAt = at.Truncate(time.Millisecond)
	stored.UpdatedAt = at.Add(time.Minute).Truncate(time.Millisecond)
	lc := *tg.LastCheck
	lc.CheckedAt = stored.CreatedAt
	stored.LastCheck = &lc
	assert.Equal(t, stored, back, "read back at the stored precision, in UTC")

	noCheck := maps.Clone(item)
	delete(noCheck, AttrLastCheck)
	noCheck["created_at"] = s("2026-11-21T10:00:00Z")                // no fraction
	noCheck["updated_at"] = s("2026-11-21T11:01:00.123456789+01:00") // nanoseconds and an offset
	back, err = UnmarshalTarget(noCheck)
	require.NoError(t, err, "items of any RFC 3339 form are read")
	assert.Nil(t, back.LastCheck)
	assert.Equal(t, time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC), back.CreatedAt)
	assert.Equal(t, time.Date(2026, 11, 21, 10, 1, 0, 123_456_789, time.UTC), back.UpdatedAt)
}

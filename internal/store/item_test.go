package store

import (
	"maps"
	"strings"
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
	for _, attr := range []string{AttrMutedUntil, AttrMuteReason, AttrCertExpiryThresholdDays} {
		assert.NotContains(t, av, attr, "unset: not stored")
	}

	until, threshold := now.Add(time.Hour), 30
	in.MutedUntil, in.MuteReason, in.CertExpiryThresholdDays = &until, "deploy", &threshold
	av, err = MarshalTarget(in)
	require.NoError(t, err)
	assert.Equal(t, &types.AttributeValueMemberS{Value: "2026-11-21T11:00:00.123Z"}, av[AttrMutedUntil])
	assert.Equal(t, &types.AttributeValueMemberS{Value: "deploy"}, av[AttrMuteReason])
	assert.Equal(t, &types.AttributeValueMemberN{Value: "30"}, av[AttrCertExpiryThresholdDays])
	out, err = UnmarshalTarget(av)
	require.NoError(t, err)
	assert.Equal(t, in, out)
}

// A replace removes the optional attributes the new target leaves unset; these are they.
func TestOptionalTargetAttrs(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []string{AttrMutedUntil, AttrMuteReason, AttrCertExpiryThresholdDays}, optionalTargetAttrs)
}

func TestUpdateTargetRemovesUnsetOptionalAttributes(t *testing.T) {
	t.Parallel()
	repo := NewTargets(nil, "urls")
	until, threshold := time.Date(2026, 11, 21, 11, 0, 0, 0, time.UTC), 30
	tests := []struct {
		name    string
		edit    func(*target.Target)
		removed []string
	}{
		{name: "nothing optional set: all removed", edit: func(*target.Target) {},
			removed: []string{AttrMutedUntil, AttrMuteReason, AttrCertExpiryThresholdDays}},
		{name: "muted without a reason", edit: func(tg *target.Target) { tg.MutedUntil = &until },
			removed: []string{AttrMuteReason, AttrCertExpiryThresholdDays}},
		{name: "everything set: nothing removed", edit: func(tg *target.Target) {
			tg.MutedUntil, tg.MuteReason, tg.CertExpiryThresholdDays = &until, "why", &threshold
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg := target.Target{ID: "0f8fad5bd9cb469fa16570867728950e", URL: "https://example.com/", Name: "x", Version: 2}
			tc.edit(&tg)
			w, err := repo.updateTarget(tg, 1)
			require.NoError(t, err)
			set, removed, _ := strings.Cut(*w.Update.UpdateExpression, " REMOVE ")
			var got []string
			if removed != "" {
				for _, n := range strings.Split(removed, ", ") {
					got = append(got, w.Update.ExpressionAttributeNames[n])
				}
			}
			assert.Equal(t, tc.removed, got)
			for _, attr := range tc.removed {
				assert.NotContains(t, set, attr)
			}
		})
	}
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

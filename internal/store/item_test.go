package store

import (
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
		AttrKind: &types.AttributeValueMemberS{Value: KindTarget}, "created_at": &types.AttributeValueMemberS{Value: "yesterday"},
	})
	assert.ErrorContains(t, err, "created_at")
}

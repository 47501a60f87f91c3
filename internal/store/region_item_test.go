package store

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// itemDB answers GetItem from items by id; the other TargetsDB calls are not made.
type itemDB struct {
	TargetsDB
	items map[string]map[string]types.AttributeValue
	err   error
	got   []*dynamodb.GetItemInput
}

func (d *itemDB) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	d.got = append(d.got, in)
	if d.err != nil {
		return nil, d.err
	}
	return &dynamodb.GetItemOutput{Item: d.items[in.Key[AttrID].(*types.AttributeValueMemberS).Value]}, nil
}

func TestRegionItem(t *testing.T) {
	t.Parallel()
	item := func(kind, region, url string) map[string]types.AttributeValue {
		m := map[string]types.AttributeValue{AttrID: stringAV("region#" + region), AttrKind: stringAV(kind), AttrRegion: stringAV(region)}
		if url != "" {
			m[AttrAPIURL] = stringAV(url)
		}
		return m
	}
	db := &itemDB{items: map[string]map[string]types.AttributeValue{
		"region#us-east-1":      item(KindRegion, "us-east-1", "https://abc.execute-api.us-east-1.amazonaws.com/dev"),
		"region#eu-west-1":      item(KindRegion, "eu-west-1", ""),
		"region#ap-southeast-1": item(KindTarget, "ap-southeast-1", "https://x"),
		"region#sa-east-1":      item(KindRegion, "us-east-1", "https://x"),
	}}
	s := NewTargets(db, "urls")
	ctx := context.Background()
	got, err := s.RegionItem(ctx, "us-east-1")
	require.NoError(t, err)
	assert.Equal(t, RegionItem{Region: "us-east-1", APIURL: "https://abc.execute-api.us-east-1.amazonaws.com/dev"}, got)
	assert.Equal(t, "urls", *db.got[0].TableName)
	assert.Equal(t, "region#us-east-1", RegionItemID("us-east-1"))

	for _, region := range []string{"ca-central-1", "eu-west-1", "ap-southeast-1", "sa-east-1"} {
		_, err := s.RegionItem(ctx, region)
		assert.ErrorIs(t, err, ErrNoRegionItem, "%s: missing, without api_url, of another kind, or naming another region", region)
	}
	boom := errors.New("AccessDenied")
	db.err = boom
	_, err = s.RegionItem(ctx, "us-east-1")
	require.ErrorIs(t, err, boom)
	assert.NotErrorIs(t, err, ErrNoRegionItem)
}

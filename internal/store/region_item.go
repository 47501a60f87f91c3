package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Region items of the URL table (docs/design.md "Multi-region"): each regional stack registers itself
// with "region#<region>", written by its own Terraform in its own region; the API of another region reads
// the home region's for its endpoint. Not a target: the scan and the list filter on kind = target.
const (
	KindRegion = "region"
	// RegionItemPrefix starts the id of a region item: "region#<region>".
	RegionItemPrefix = "region#"
	AttrAPIURL       = "api_url"
)

// ErrNoRegionItem: the region has not registered (its stack is not applied yet, or the item is malformed).
var ErrNoRegionItem = errors.New("no region item")

// RegionItemID is the id of region's item.
func RegionItemID(region string) string { return RegionItemPrefix + region }

// RegionItem is a regional stack's registration.
type RegionItem struct {
	Region string
	// APIURL is the region's API endpoint (its stage's invoke URL).
	APIURL string
}

// RegionItem reads region's item from the local replica (eventually consistent: the item changes only
// when a stack is applied). A missing item, one of another kind, or one without a region and an api_url
// is ErrNoRegionItem.
func (s *Targets) RegionItem(ctx context.Context, region string) (RegionItem, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: idKey(RegionItemID(region))})
	if err != nil {
		return RegionItem{}, fmt.Errorf("get region item of %s: %w", region, err)
	}
	str := func(attr string) string {
		v, _ := out.Item[attr].(*types.AttributeValueMemberS)
		if v == nil {
			return ""
		}
		return v.Value
	}
	if len(out.Item) == 0 {
		return RegionItem{}, fmt.Errorf("get region item of %s: %w", region, ErrNoRegionItem)
	}
	it := RegionItem{Region: str(AttrRegion), APIURL: str(AttrAPIURL)}
	if str(AttrKind) != KindRegion || it.Region != region || it.APIURL == "" {
		return RegionItem{}, fmt.Errorf("get region item of %s: kind %q, region %q, api_url %q: %w",
			region, str(AttrKind), it.Region, it.APIURL, ErrNoRegionItem)
	}
	return it, nil
}

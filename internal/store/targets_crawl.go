package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/webhealth/webhealth/internal/target"
)

// The crawler's reads and writes of the URL table.

// ScanPage is one page of the enabled targets.
type ScanPage struct {
	// Number counts the pages from 1.
	Number  int
	Targets []target.Target
	// Invalid are the target items of the page that could not be decoded.
	Invalid []InvalidItem
}

// InvalidItem is a target item that could not be decoded: its id ("" when it has none) and why.
type InvalidItem struct {
	ID  string
	Err error
}

// ScanEnabled reads the enabled targets page by page and calls visit with each page before reading the
// next, so the caller can work on one page while the rest of the table is unread. pageLimit bounds the
// items DynamoDB reads per page before filtering (0: its 1 MB pages). The scan stops at the first failed
// read or visit error, which it returns.
func (s *Targets) ScanEnabled(ctx context.Context, pageLimit int32, visit func(ScanPage) error) error {
	in := &dynamodb.ScanInput{
		TableName:        aws.String(s.table),
		FilterExpression: aws.String("#kind = :kind AND #enabled = :enabled"),
		ExpressionAttributeNames: map[string]string{
			"#kind": AttrKind, "#enabled": AttrEnabled,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":kind":    stringAV(KindTarget),
			":enabled": &types.AttributeValueMemberBOOL{Value: true},
		},
	}
	if pageLimit > 0 {
		in.Limit = aws.Int32(pageLimit)
	}
	pages := dynamodb.NewScanPaginator(s.db, in)
	for n := 1; pages.HasMorePages(); n++ {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("scan enabled targets of %s, page %d: %w", s.table, n, err)
		}
		page := ScanPage{Number: n, Targets: make([]target.Target, 0, len(out.Items))}
		for _, item := range out.Items {
			t, err := UnmarshalTarget(item)
			if err != nil {
				id := ""
				if v, ok := item[AttrID].(*types.AttributeValueMemberS); ok {
					id = v.Value
				}
				page.Invalid = append(page.Invalid, InvalidItem{ID: id, Err: err})
				continue
			}
			page.Targets = append(page.Targets, t)
		}
		if err := visit(page); err != nil {
			return fmt.Errorf("scan enabled targets of %s, page %d: %w", s.table, n, err)
		}
	}
	return nil
}

// WriteLastCheck sets the last_check of target id, and nothing else: version is not touched, so the
// API's optimistic locking ignores the crawler, and a write the API made since the scan is kept. A
// target deleted meanwhile stays deleted (UpdateItem would otherwise create an item of only id and
// last_check): that is ErrNotFound. It is one UpdateItem per target because BatchWriteItem only puts
// whole items, unconditionally.
func (s *Targets) WriteLastCheck(ctx context.Context, id string, lc target.LastCheck) error {
	av, err := MarshalLastCheck(lc)
	if err != nil {
		return fmt.Errorf("write last_check of %s: %w", id, err)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 idKey(id),
		UpdateExpression:    aws.String("SET #lc = :lc"),
		ConditionExpression: aws.String("attribute_exists(#id) AND #kind = :kind"),
		ExpressionAttributeNames: map[string]string{
			"#lc": AttrLastCheck, "#id": AttrID, "#kind": AttrKind,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":lc":   av,
			":kind": stringAV(KindTarget),
		},
	})
	var gone *types.ConditionalCheckFailedException
	if errors.As(err, &gone) {
		return fmt.Errorf("write last_check of %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("write last_check of %s: %w", id, err)
	}
	return nil
}

package crawler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/target"
)

// alarmTarget is what the alarms of a target are made of; nil in the seen map means "an item with
// this id exists but could not be decoded": its alarms are kept as they are.
type alarmTarget struct {
	ID                 string
	URL                string
	Name               string
	LatencyThresholdMS int
}

// scanTargets streams the enabled targets into queue page by page (a page is decoded and handed to
// the pool before the next one is read) and returns the ids it saw. The error is set when the scan
// did not finish: then seen is incomplete.
func (c *Crawler) scanTargets(ctx context.Context, queue chan<- target.Target, st *runState) (map[string]*alarmTarget, error) {
	in := &dynamodb.ScanInput{
		TableName:        aws.String(c.cfg.URLsTable),
		FilterExpression: aws.String("#kind = :kind AND #enabled = :enabled"),
		ExpressionAttributeNames: map[string]string{
			"#kind": store.AttrKind, "#enabled": store.AttrEnabled,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":kind":    &types.AttributeValueMemberS{Value: store.KindTarget},
			":enabled": &types.AttributeValueMemberBOOL{Value: true},
		},
	}
	if c.scanPageSize > 0 {
		in.Limit = aws.Int32(c.scanPageSize)
	}
	seen := map[string]*alarmTarget{}
	pages := dynamodb.NewScanPaginator(c.db, in)
	for n := 1; pages.HasMorePages(); n++ {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return seen, fmt.Errorf("scan %s page %d: %w", c.cfg.URLsTable, n, err)
		}
		for _, item := range page.Items {
			t, err := store.UnmarshalTarget(item)
			if err != nil {
				id := ""
				if v, ok := item[store.AttrID].(*types.AttributeValueMemberS); ok {
					id = v.Value
					seen[id] = nil
				}
				st.update(func(s *Summary) { s.InvalidItems++ })
				slog.ErrorContext(ctx, "undecodable target item skipped; its alarms are left as they are", "id", id, "error", err)
				continue
			}
			seen[t.ID] = &alarmTarget{ID: t.ID, URL: t.URL, Name: t.Name, LatencyThresholdMS: t.LatencyThresholdMS}
			select {
			case queue <- t:
			case <-ctx.Done():
				return seen, fmt.Errorf("scan %s: %w", c.cfg.URLsTable, ctx.Err())
			}
		}
	}
	return seen, nil
}

// writeLastCheck stores a check result on its target. The condition keeps a target deleted during
// the run deleted (UpdateItem would otherwise create an item with only id and last_check); that
// case is not an error. version is not touched, so the API's optimistic locking ignores the crawler.
// It is one UpdateItem per target: BatchWriteItem only puts whole items, unconditionally, and would
// overwrite what the API changed since the scan (BenchmarkCrawlAWSCalls).
func (c *Crawler) writeLastCheck(ctx context.Context, id string, lc target.LastCheck) error {
	av, err := store.MarshalLastCheck(lc)
	if err != nil {
		return err
	}
	_, err = c.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(c.cfg.URLsTable),
		Key:                 map[string]types.AttributeValue{store.AttrID: &types.AttributeValueMemberS{Value: id}},
		UpdateExpression:    aws.String("SET #lc = :lc"),
		ConditionExpression: aws.String("attribute_exists(#id) AND #kind = :kind"),
		ExpressionAttributeNames: map[string]string{
			"#lc": store.AttrLastCheck, "#id": store.AttrID, "#kind": store.AttrKind,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":lc":   av,
			":kind": &types.AttributeValueMemberS{Value: store.KindTarget},
		},
	})
	var gone *types.ConditionalCheckFailedException
	if errors.As(err, &gone) {
		slog.InfoContext(ctx, "target deleted during the run; last_check not written", "target_id", id)
		return nil
	}
	if err != nil {
		return fmt.Errorf("update last_check of %s: %w", id, err)
	}
	return nil
}

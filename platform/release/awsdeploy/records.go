package awsdeploy

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// maxRecordKeys bounds a listing: a version's records are one per region (and global).
const maxRecordKeys = 1000

// Records implements release.RecordLister with S3 ListObjectsV2, the caller's own credentials (the build's
// role lists the prior environment's records in the toolchain account).
type Records struct {
	// Client is the S3 client (default: from the SDK's default configuration).
	Client s3.ListObjectsV2APIClient
}

// ListKeys lists at most 1000 keys under prefix.
func (r *Records) ListKeys(ctx context.Context, bucket, prefix string) ([]string, error) {
	client := r.Client
	if client == nil {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("AWS SDK configuration: %w", err)
		}
		client = s3.NewFromConfig(cfg)
	}
	out, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix), MaxKeys: aws.Int32(maxRecordKeys)})
	if err != nil {
		return nil, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err)
	}
	keys := make([]string, 0, len(out.Contents))
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys, nil
}

// Package awsconfig loads the AWS SDK configuration the same way for every binary.
//
// The SDK itself honours AWS_ENDPOINT_URL (and the per-service AWS_ENDPOINT_URL_<SERVICE>), so the
// same binary talks to AWS or to a local emulator by environment alone; this package only adds
// the retry policy shared by the functions, refuses to start without a region, and holds the one
// client option the emulator needs (CloudWatchQueryProtocol).
package awsconfig

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// Load returns the SDK configuration: default credential chain, region from the environment,
// standard retries with up to maxAttempts attempts (throttling is retried with backoff).
func Load(ctx context.Context, maxAttempts int) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = maxAttempts })
		}),
	)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("load AWS config: no region (set AWS_REGION)")
	}
	return cfg, nil
}

// CloudWatchQueryProtocol makes a CloudWatch client speak the AWS query protocol. The SDK's default
// for CloudWatch is Smithy RPC v2 CBOR, which the local emulator (moto) does not serve: it answers
// those requests 404. CloudWatch itself accepts all its protocols, so one binary works against both.
// Every CloudWatch client of the project uses it: cloudwatch.NewFromConfig(cfg, awsconfig.CloudWatchQueryProtocol).
func CloudWatchQueryProtocol(o *cloudwatch.Options) {
	o.Protocol = awsquery.New(schemas.GraniteServiceVersion20100801)
}

// Package awsconfig loads the AWS SDK configuration the same way for every binary.
//
// The SDK itself honours AWS_ENDPOINT_URL (and the per-service AWS_ENDPOINT_URL_<SERVICE>), so the
// same binary talks to AWS or to a local emulator by environment alone; this package only adds
// the retry policy shared by the functions and refuses to start without a region. The one client
// option the emulator needs lives in the cwquery sub-package, so only the binaries that call
// CloudWatch link its client.
package awsconfig

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
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

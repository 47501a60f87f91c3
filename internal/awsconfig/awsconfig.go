// Package awsconfig builds the Lambda functions' AWS SDK configuration from the environment Lambda
// (or the local stack) gives them. It does not use config.LoadDefaultConfig: its shared-config, SSO,
// web-identity and IMDS support cannot apply inside Lambda and would be linked into every binary.
// The one client option the emulator needs lives in the cwquery sub-package, so only the binaries that
// call CloudWatch link its client.
package awsconfig

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/logging"

	"github.com/webhealth/webhealth/internal/envconfig"
)

// minCompressBytes is the SDK's default threshold for compressing request bodies (CloudWatch
// PutMetricData); config.LoadDefaultConfig sets it, a bare aws.Config would compress every body.
const minCompressBytes = 10240

// FromEnv returns the SDK configuration read through lookup (os.LookupEnv in main), with standard
// retries of up to maxAttempts attempts (throttling retried with backoff); everything else keeps the
// SDK's defaults. Every bad or missing variable is reported at once. It reads:
//
//   - region: AWS_REGION, else AWS_DEFAULT_REGION (required);
//   - credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (the execution
//     role's, set by Lambda), else the container credentials endpoint
//     (AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]);
//   - endpoints: AWS_ENDPOINT_URL and the per-service AWS_ENDPOINT_URL_<SERVICE> (the local emulator),
//     AWS_IGNORE_CONFIGURED_ENDPOINT_URLS, AWS_USE_FIPS_ENDPOINT, AWS_USE_DUALSTACK_ENDPOINT;
//   - AWS_CA_BUNDLE: a PEM file whose certificates replace the system roots (as in the SDK);
//   - AWS_SDK_UA_APP_ID.
func FromEnv(lookup envconfig.Lookup, maxAttempts int) (aws.Config, error) {
	r := envconfig.New(lookup)
	src := &envSource{
		lookup:       lookup,
		ignoreCustom: r.Bool("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", false),
		fips:         r.Bool("AWS_USE_FIPS_ENDPOINT", false),
		dualStack:    r.Bool("AWS_USE_DUALSTACK_ENDPOINT", false),
	}
	cfg := aws.Config{
		Region:                      r.String("AWS_REGION", r.String("AWS_DEFAULT_REGION", "")),
		AppID:                       r.String("AWS_SDK_UA_APP_ID", ""),
		Logger:                      logging.NewStandardLogger(os.Stderr),
		RequestMinCompressSizeBytes: minCompressBytes,
		ConfigSources:               []any{src},
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = maxAttempts })
		},
	}
	var errs []error
	if cfg.Region == "" {
		errs = append(errs, errors.New("no region: set AWS_REGION"))
	}
	if endpoint := r.String("AWS_ENDPOINT_URL", ""); endpoint != "" && !src.ignoreCustom {
		if err := checkEndpoint(endpoint); err != nil {
			errs = append(errs, fmt.Errorf("environment variable AWS_ENDPOINT_URL: %w", err))
		}
		cfg.BaseEndpoint = aws.String(endpoint)
	}
	if path := r.String("AWS_CA_BUNDLE", ""); path != "" {
		client, err := caBundleClient(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("environment variable AWS_CA_BUNDLE: %w", err))
		}
		cfg.HTTPClient = client
	}
	creds, err := credentialsFromEnv(r, cfg)
	if err != nil {
		errs = append(errs, err)
	}
	cfg.Credentials = creds
	if err := errors.Join(append([]error{r.Err()}, errs...)...); err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	return cfg, nil
}

// credentialsFromEnv returns the static keys Lambda sets, else the container credentials endpoint.
func credentialsFromEnv(r *envconfig.Reader, cfg aws.Config) (aws.CredentialsProvider, error) {
	keyID := r.String("AWS_ACCESS_KEY_ID", r.String("AWS_ACCESS_KEY", ""))
	secret := r.String("AWS_SECRET_ACCESS_KEY", r.String("AWS_SECRET_KEY", ""))
	switch {
	case keyID != "" && secret != "":
		return credentials.StaticCredentialsProvider{Value: aws.Credentials{
			AccessKeyID:     keyID,
			SecretAccessKey: secret,
			SessionToken:    r.String("AWS_SESSION_TOKEN", ""),
			AccountID:       r.String("AWS_ACCOUNT_ID", ""),
			Source:          "EnvConfigCredentials",
		}}, nil
	case keyID != "" || secret != "":
		return nil, errors.New("incomplete credentials: set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	p, err := containerCredentials(r, cfg)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errors.New("no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (Lambda sets them from the execution role) or AWS_CONTAINER_CREDENTIALS_FULL_URI")
	}
	return p, nil
}

// checkEndpoint accepts an absolute http(s) URL.
func checkEndpoint(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	return nil
}

// caBundleClient is the SDK's HTTP client trusting only the certificates of the PEM file at path.
func caBundleClient(path string) (aws.HTTPClient, error) {
	pem, err := os.ReadFile(path) // #nosec G304 -- the CA bundle the operator names in AWS_CA_BUNDLE
	if err != nil {
		return nil, fmt.Errorf("read CA bundle: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		if tr.TLSClientConfig == nil {
			tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		tr.TLSClientConfig.RootCAs = roots
	}), nil
}

// envSource answers the SDK clients' questions about configured endpoints (they look through
// aws.Config.ConfigSources for these methods) from the environment, as config.EnvConfig does.
type envSource struct {
	lookup       envconfig.Lookup
	ignoreCustom bool
	fips         bool
	dualStack    bool
}

// GetServiceBaseEndpoint returns AWS_ENDPOINT_URL_<SERVICE>, the SDK id upper-cased with spaces
// as underscores (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_CLOUDWATCH).
func (s *envSource) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	key := "AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(sdkID), " ", "_")
	v, ok := s.lookup(key)
	if !ok || strings.TrimSpace(v) == "" {
		return "", false, nil
	}
	return strings.TrimSpace(v), true, nil
}

// GetIgnoreConfiguredEndpoints reports AWS_IGNORE_CONFIGURED_ENDPOINT_URLS.
func (s *envSource) GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error) {
	return s.ignoreCustom, s.ignoreCustom, nil
}

// GetUseFIPSEndpoint reports AWS_USE_FIPS_ENDPOINT.
func (s *envSource) GetUseFIPSEndpoint(context.Context) (aws.FIPSEndpointState, bool, error) {
	if !s.fips {
		return aws.FIPSEndpointStateUnset, false, nil
	}
	return aws.FIPSEndpointStateEnabled, true, nil
}

// GetUseDualStackEndpoint reports AWS_USE_DUALSTACK_ENDPOINT.
func (s *envSource) GetUseDualStackEndpoint(context.Context) (aws.DualStackEndpointState, bool, error) {
	if !s.dualStack {
		return aws.DualStackEndpointStateUnset, false, nil
	}
	return aws.DualStackEndpointStateEnabled, true, nil
}

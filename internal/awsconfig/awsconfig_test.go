package awsconfig_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/awsconfig"
	"github.com/webhealth/webhealth/internal/envconfig"
)

// env is a lookup over a fixed set of variables (the process environment is not read).
func env(kv ...string) envconfig.Lookup {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// lambdaEnv is what Lambda sets for a function, plus extra.
func lambdaEnv(extra ...string) envconfig.Lookup {
	return env(append([]string{
		"AWS_REGION", "eu-west-1", "AWS_DEFAULT_REGION", "eu-west-1",
		"AWS_ACCESS_KEY_ID", "ASIAKEY", "AWS_SECRET_ACCESS_KEY", "secret", "AWS_SESSION_TOKEN", "token",
	}, extra...)...)
}

func TestFromEnvLambdaEnvironment(t *testing.T) {
	t.Parallel()
	cfg, err := awsconfig.FromEnv(lambdaEnv(), 7)
	require.NoError(t, err)
	assert.Equal(t, "eu-west-1", cfg.Region)
	assert.Nil(t, cfg.BaseEndpoint, "no endpoint override without AWS_ENDPOINT_URL")
	assert.Nil(t, cfg.HTTPClient, "the SDK's default client without AWS_CA_BUNDLE")
	assert.Equal(t, 7, cfg.Retryer().MaxAttempts())
	assert.EqualValues(t, 10240, cfg.RequestMinCompressSizeBytes, "the SDK default, as config.LoadDefaultConfig sets it")
	creds, err := cfg.Credentials.Retrieve(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "ASIAKEY", creds.AccessKeyID)
	assert.Equal(t, "secret", creds.SecretAccessKey)
	assert.Equal(t, "token", creds.SessionToken)
}

func TestFromEnvSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		lookup   envconfig.Lookup
		check    func(t *testing.T, cfg aws.Config)
		wantErrs []string // substrings of the error; none: success
	}{
		{
			name:   "AWS_DEFAULT_REGION when AWS_REGION is unset",
			lookup: env("AWS_DEFAULT_REGION", "ap-south-1", "AWS_ACCESS_KEY_ID", "k", "AWS_SECRET_ACCESS_KEY", "s"),
			check:  func(t *testing.T, cfg aws.Config) { assert.Equal(t, "ap-south-1", cfg.Region) },
		},
		{
			name:   "AWS_REGION wins over AWS_DEFAULT_REGION",
			lookup: env("AWS_REGION", "eu-central-1", "AWS_DEFAULT_REGION", "ap-south-1", "AWS_ACCESS_KEY_ID", "k", "AWS_SECRET_ACCESS_KEY", "s"),
			check:  func(t *testing.T, cfg aws.Config) { assert.Equal(t, "eu-central-1", cfg.Region) },
		},
		{
			name:   "legacy key names",
			lookup: env("AWS_REGION", "us-east-1", "AWS_ACCESS_KEY", "old", "AWS_SECRET_KEY", "oldsecret"),
			check: func(t *testing.T, cfg aws.Config) {
				c, err := cfg.Credentials.Retrieve(context.Background())
				require.NoError(t, err)
				assert.Equal(t, "old", c.AccessKeyID)
				assert.Equal(t, "oldsecret", c.SecretAccessKey)
				assert.Empty(t, c.SessionToken)
			},
		},
		{
			name:   "endpoint",
			lookup: lambdaEnv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
			check: func(t *testing.T, cfg aws.Config) {
				require.NotNil(t, cfg.BaseEndpoint)
				assert.Equal(t, "http://127.0.0.1:4566", *cfg.BaseEndpoint)
			},
		},
		{
			name:   "configured endpoints ignored",
			lookup: lambdaEnv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
			check:  func(t *testing.T, cfg aws.Config) { assert.Nil(t, cfg.BaseEndpoint) },
		},
		{
			name:   "app id",
			lookup: lambdaEnv("AWS_SDK_UA_APP_ID", "webhealth"),
			check:  func(t *testing.T, cfg aws.Config) { assert.Equal(t, "webhealth", cfg.AppID) },
		},
		{
			name:     "no region",
			lookup:   env("AWS_ACCESS_KEY_ID", "k", "AWS_SECRET_ACCESS_KEY", "s"),
			wantErrs: []string{"AWS_REGION"},
		},
		{
			name:     "no credentials",
			lookup:   env("AWS_REGION", "us-east-1"),
			wantErrs: []string{"no credentials", "AWS_ACCESS_KEY_ID", "AWS_CONTAINER_CREDENTIALS_FULL_URI"},
		},
		{
			name:     "secret without key id",
			lookup:   env("AWS_REGION", "us-east-1", "AWS_SECRET_ACCESS_KEY", "s"),
			wantErrs: []string{"incomplete credentials"},
		},
		{
			name:     "endpoint not a URL",
			lookup:   lambdaEnv("AWS_ENDPOINT_URL", "127.0.0.1:4566"),
			wantErrs: []string{"AWS_ENDPOINT_URL", "not an http(s) URL"},
		},
		{
			name:     "bad boolean",
			lookup:   lambdaEnv("AWS_USE_FIPS_ENDPOINT", "yes please"),
			wantErrs: []string{"AWS_USE_FIPS_ENDPOINT"},
		},
		{
			name:     "every problem at once",
			lookup:   env("AWS_ENDPOINT_URL", "nope", "AWS_CA_BUNDLE", "/nonexistent/ca.pem"),
			wantErrs: []string{"AWS_REGION", "AWS_ENDPOINT_URL", "AWS_CA_BUNDLE", "no credentials"},
		},
		{
			name:     "missing CA bundle",
			lookup:   lambdaEnv("AWS_CA_BUNDLE", "/nonexistent/ca.pem"),
			wantErrs: []string{"AWS_CA_BUNDLE", "/nonexistent/ca.pem"},
		},
		{
			name:     "container endpoint over plain http to a remote host",
			lookup:   env("AWS_REGION", "us-east-1", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://203.0.113.7/creds"),
			wantErrs: []string{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "loopback"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := awsconfig.FromEnv(tc.lookup, 3)
			if len(tc.wantErrs) > 0 {
				require.Error(t, err)
				for _, want := range tc.wantErrs {
					assert.Contains(t, err.Error(), want)
				}
				return
			}
			require.NoError(t, err)
			tc.check(t, cfg)
		})
	}
}

func TestCABundleNotPEM(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(path, []byte("not a certificate\n"), 0o600))
	_, err := awsconfig.FromEnv(lambdaEnv("AWS_CA_BUNDLE", path), 3)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no PEM certificate")
}

// fakeDynamoDB answers every DynamoDB JSON call with an empty table list and records the requests.
type fakeDynamoDB struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (f *fakeDynamoDB) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.reqs = append(f.reqs, r.Clone(context.Background()))
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_, _ = io.WriteString(w, `{"TableNames":[]}`)
}

func (f *fakeDynamoDB) requests() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.reqs...)
}

// TestRequestsUseEnvironment makes real DynamoDB calls with the loaded configuration: they go to
// the configured endpoint, signed with the environment's keys and session token.
func TestRequestsUseEnvironment(t *testing.T) {
	t.Parallel()
	fake := &fakeDynamoDB{}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	cfg, err := awsconfig.FromEnv(lambdaEnv("AWS_ENDPOINT_URL", srv.URL), 1)
	require.NoError(t, err)
	_, err = dynamodb.NewFromConfig(cfg).ListTables(context.Background(), &dynamodb.ListTablesInput{})
	require.NoError(t, err)
	reqs := fake.requests()
	require.Len(t, reqs, 1)
	assert.Contains(t, reqs[0].Header.Get("Authorization"), "Credential=ASIAKEY/")
	assert.Contains(t, reqs[0].Header.Get("Authorization"), "/eu-west-1/dynamodb/aws4_request")
	assert.Equal(t, "token", reqs[0].Header.Get("X-Amz-Security-Token"))
}

// TestServiceEndpointWins: AWS_ENDPOINT_URL_<SERVICE> overrides AWS_ENDPOINT_URL for that service,
// as with config.LoadDefaultConfig. The SDK client reads the two variables from the process
// environment too, so this test sets them there (not parallel).
func TestServiceEndpointWins(t *testing.T) {
	fake := &fakeDynamoDB{}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1") // nothing listens there
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", srv.URL)
	cfg, err := awsconfig.FromEnv(lambdaEnv("AWS_ENDPOINT_URL", "http://127.0.0.1:1", "AWS_ENDPOINT_URL_DYNAMODB", srv.URL), 1)
	require.NoError(t, err)
	_, err = dynamodb.NewFromConfig(cfg).ListTables(context.Background(), &dynamodb.ListTablesInput{})
	require.NoError(t, err)
	assert.Len(t, fake.requests(), 1)
}

// capture is an HTTP client that records where a request would go and fails it.
type capture struct{ url chan string }

func (c capture) Do(r *http.Request) (*http.Response, error) {
	c.url <- r.URL.String()
	return nil, fmt.Errorf("captured")
}

func TestFIPSAndDualStackEndpoints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		extra    []string
		wantHost string
	}{
		{name: "default", wantHost: "dynamodb.eu-west-1.amazonaws.com"},
		{name: "FIPS", extra: []string{"AWS_USE_FIPS_ENDPOINT", "true"}, wantHost: "dynamodb-fips.eu-west-1.amazonaws.com"},
		{name: "dual-stack", extra: []string{"AWS_USE_DUALSTACK_ENDPOINT", "true"}, wantHost: "dynamodb.eu-west-1.api.aws"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := awsconfig.FromEnv(lambdaEnv(tc.extra...), 1)
			require.NoError(t, err)
			c := capture{url: make(chan string, 1)}
			cfg.HTTPClient = c
			_, err = dynamodb.NewFromConfig(cfg).ListTables(context.Background(), &dynamodb.ListTablesInput{})
			require.Error(t, err)
			assert.Equal(t, "https://"+tc.wantHost+"/", <-c.url)
		})
	}
}

// TestCABundleTrusted: with AWS_CA_BUNDLE naming the server's certificate, TLS calls to a server
// no system root trusts succeed; without it they fail verification.
func TestCABundleTrusted(t *testing.T) {
	t.Parallel()
	fake := &fakeDynamoDB{}
	srv := httptest.NewTLSServer(fake)
	t.Cleanup(srv.Close)
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))

	tests := []struct {
		name    string
		extra   []string
		wantErr string
	}{
		{name: "bundle", extra: []string{"AWS_CA_BUNDLE", bundle}},
		{name: "system roots", wantErr: "certificate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := awsconfig.FromEnv(lambdaEnv(append([]string{"AWS_ENDPOINT_URL", srv.URL}, tc.extra...)...), 1)
			require.NoError(t, err)
			_, err = dynamodb.NewFromConfig(cfg).ListTables(context.Background(), &dynamodb.ListTablesInput{})
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
		})
	}
}

// credentialServer serves container credentials, requiring the authorization token.
func credentialServer(t *testing.T, token string) (*httptest.Server, *int) {
	t.Helper()
	var calls int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		if r.URL.Path != "/creds" || r.Header.Get("Authorization") != token {
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"code":"AccessDenied","message":"bad token"}`)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{
			"AccessKeyId": "ASIACONTAINER", "SecretAccessKey": "csecret", "Token": "ctoken",
			"Expiration": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		})
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestContainerCredentials(t *testing.T) {
	t.Parallel()
	tokenFile := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte("file-token\n"), 0o600))
	tests := []struct {
		name    string
		token   string // what the server requires
		extra   []string
		wantErr string
	}{
		{name: "token", token: "env-token", extra: []string{"AWS_CONTAINER_AUTHORIZATION_TOKEN", "env-token"}},
		{name: "token file", token: "file-token", extra: []string{"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tokenFile}},
		{name: "wrong token", token: "other", extra: []string{"AWS_CONTAINER_AUTHORIZATION_TOKEN", "env-token"}, wantErr: "AccessDenied"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, calls := credentialServer(t, tc.token)
			lookup := env(append([]string{"AWS_REGION", "us-east-1", "AWS_CONTAINER_CREDENTIALS_FULL_URI", srv.URL + "/creds"}, tc.extra...)...)
			cfg, err := awsconfig.FromEnv(lookup, 1)
			require.NoError(t, err)
			c, err := cfg.Credentials.Retrieve(context.Background())
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "ASIACONTAINER", c.AccessKeyID)
			assert.Equal(t, "ctoken", c.SessionToken)
			assert.True(t, c.CanExpire)
			_, err = cfg.Credentials.Retrieve(context.Background())
			require.NoError(t, err)
			assert.Equal(t, 1, *calls, "credentials are cached until they near expiry")
		})
	}
}

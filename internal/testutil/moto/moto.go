// Package moto points the product's integration tests (build tag integration) at the moto server that
// `make integration` starts for them (the platform's `moto run`), named by WEBHEALTH_MOTO_URL. Tests share
// that server and isolate themselves with unique resource names (UniqueName).
package moto

import (
	"net/url"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// EnvURL names the environment variable holding the emulator's endpoint, e.g. http://127.0.0.1:41234.
const EnvURL = "WEBHEALTH_MOTO_URL"

// Region used by the tests.
const Region = "us-east-1"

// Server is the moto server of the test run.
type Server struct {
	Endpoint string
}

// Shared returns the server named by WEBHEALTH_MOTO_URL. An integration test run without it fails:
// the tests were asked for (-tags integration) and cannot run.
func Shared(t testing.TB) *Server {
	t.Helper()
	endpoint := os.Getenv(EnvURL)
	if endpoint == "" {
		t.Fatalf("%s is not set: run the integration tests with `make integration` (it starts moto), "+
			"or point %s at a running moto server (make up's is http://127.0.0.1:4566)", EnvURL, EnvURL)
	}
	if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		t.Fatalf("%s=%q is not an http(s) URL", EnvURL, endpoint)
	}
	return &Server{Endpoint: endpoint}
}

// Config returns an SDK config pointed at the server with static test credentials.
func (s *Server) Config() aws.Config {
	return aws.Config{
		Region:           Region,
		Credentials:      credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint:     aws.String(s.Endpoint),
		RetryMaxAttempts: 3,
	}
}

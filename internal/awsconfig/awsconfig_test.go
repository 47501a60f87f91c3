package awsconfig

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadRequiresRegion(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	_, err := Load(context.Background(), 3)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "AWS_REGION")
}

func TestLoadHonoursEndpointAndRetries(t *testing.T) {
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	cfg, err := Load(context.Background(), 7)
	require.NoError(t, err)
	assert.Equal(t, "eu-west-1", cfg.Region)
	require.NotNil(t, cfg.BaseEndpoint)
	assert.Equal(t, "http://127.0.0.1:5000", *cfg.BaseEndpoint)
	assert.Equal(t, 7, cfg.Retryer().MaxAttempts())
}

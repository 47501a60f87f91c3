package release_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/release"
)

func TestEnvLines(t *testing.T) {
	t.Parallel()
	r, err := release.Parse("refs/tags/prod_eu-west-1/web/1.4.0-rc.1+build.7", envs)
	require.NoError(t, err)
	s, err := r.Settings("webhealth-tfstate")
	require.NoError(t, err)
	lines, err := s.EnvLines()
	require.NoError(t, err)
	assert.Equal(t, `RELEASE_ENV=prod
RELEASE_REGION=eu-west-1
RELEASE_TEAM=web
RELEASE_VERSION=1.4.0-rc.1+build.7
STATE_BUCKET=webhealth-tfstate-prod
STATE_KEY=web/prod-eu-west-1/terraform.tfstate
LOCK_TABLE=webhealth-tfstate-lock-prod
`, lines)
}

func TestEnvLinesRefusesUnsafeValues(t *testing.T) {
	t.Parallel()
	good := release.Settings{Environment: "prod", Region: "eu-west-1", Team: "web", Version: "1.0.0",
		StateBucket: "b", StateKey: "k", LockTable: "l"}
	_, err := good.EnvLines()
	require.NoError(t, err)
	for _, bad := range []string{"", "1.0.0;rm -rf /", "$(id)", "a b", "x#y", "'q'"} {
		t.Run(bad, func(t *testing.T) {
			t.Parallel()
			s := good
			s.Version = bad
			_, err := s.EnvLines()
			assert.ErrorContains(t, err, "RELEASE_VERSION=")
		})
	}
}

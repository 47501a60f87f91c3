package release_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/release"
)

const wantEnv = `RELEASE_ENV=prod
RELEASE_REGION=eu-west-1
RELEASE_TEAM=web
RELEASE_VERSION=v1.4.0-rc.1+build.7
STATE_BUCKET=webhealth-tfstate-prod
STATE_KEY=web/prod-eu-west-1/terraform.tfstate
LOCK_TABLE=webhealth-tfstate-lock-prod
`

func run(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = release.Run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestRun(t *testing.T) {
	t.Parallel()
	base := []string{"-envs", "local,dev,beta,prod", "-prefix", "webhealth-tfstate"}
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string // substring; "" means stderr must be empty
	}{
		{"env format is the default", append([]string{"-tag", "prod_eu-west-1/web/v1.4.0-rc.1+build.7"}, base...), 0, wantEnv, ""},
		{"full ref", append([]string{"-tag", "refs/tags/prod_eu-west-1/web/v1.4.0-rc.1+build.7", "-format", "env"}, base...), 0, wantEnv, ""},
		{"envs with spaces", []string{"-tag", "prod_eu-west-1/web/v1.4.0-rc.1+build.7", "-envs", " dev, prod ,", "-prefix", "webhealth-tfstate"}, 0, wantEnv, ""},
		{
			"invalid tag", append([]string{"-tag", "prod-eu-west-1/web/1.0"}, base...), 2, "",
			"releasetag: tag \"prod-eu-west-1/web/1.0\": environment and region must be joined by \"_\": expected <env>_<region>/<team>/<version>, e.g. prod_eu-west-1/web/1.4.0\n",
		},
		{"missing tag", base, 2, "", "releasetag: tag \"\": tag is empty: expected"},
		{"unknown environment", []string{"-tag", "prod_eu-west-1/web/1.4.0", "-envs", "dev,beta", "-prefix", "p"}, 2, "", `environment "prod" is not one of dev, beta`},
		{"missing envs", []string{"-tag", "prod_eu-west-1/web/1.4.0", "-prefix", "p"}, 2, "", "-envs is required"},
		{"missing prefix", []string{"-tag", "prod_eu-west-1/web/1.4.0", "-envs", "prod"}, 2, "", "-prefix is required"},
		{"bad prefix", []string{"-tag", "prod_eu-west-1/web/1.4.0", "-envs", "prod", "-prefix", "State"}, 2, "", `state prefix "State"`},
		{"bad format", append([]string{"-tag", "prod_eu-west-1/web/1.4.0", "-format", "yaml"}, base...), 2, "", `-format "yaml" is not env or json`},
		{"unknown flag", append([]string{"-tag", "prod_eu-west-1/web/1.4.0", "-region", "x"}, base...), 2, "", "flag provided but not defined: -region"},
		{"stray argument", append([]string{"-tag", "prod_eu-west-1/web/1.4.0", "extra"}, base...), 2, "", `unexpected argument "extra"`},
		{"help", []string{"-h"}, 0, "", "usage: releasetag -tag <tag> -envs <env,...> -prefix <state prefix> [-format env|json]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := run(tc.args...)
			assert.Equal(t, tc.wantCode, code)
			assert.Equal(t, tc.wantStdout, stdout)
			if tc.wantStderr == "" {
				assert.Empty(t, stderr)
			} else {
				assert.Contains(t, stderr, tc.wantStderr)
			}
		})
	}
}

func TestRunJSON(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := run("-tag", "beta_us-gov-west-1/payments/2.0.0", "-envs", "dev,beta,prod", "-prefix", "acme-tf", "-format", "json")
	require.Equal(t, 0, code, stderr)
	var got map[string]string
	require.NoError(t, json.Unmarshal([]byte(stdout), &got))
	assert.Equal(t, map[string]string{
		"environment": "beta", "region": "us-gov-west-1", "team": "payments", "version": "2.0.0",
		"state_bucket": "acme-tf-beta", "state_key": "payments/beta-us-gov-west-1/terraform.tfstate", "lock_table": "acme-tf-lock-beta",
	}, got)
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestRunWriteFailure(t *testing.T) {
	t.Parallel()
	var errOut bytes.Buffer
	code := release.Run([]string{"-tag", "prod_eu-west-1/web/1.4.0", "-envs", "prod", "-prefix", "p"}, failingWriter{}, &errOut)
	assert.Equal(t, release.ExitError, code)
	assert.Contains(t, errOut.String(), "write output: broken pipe")
}

func TestEnvLinesRefusesUnsafeValues(t *testing.T) {
	t.Parallel()
	good := release.Settings{Environment: "prod", Region: "eu-west-1", Team: "web", Version: "1.0.0",
		StateBucket: "b", StateKey: "k", LockTable: "l"}
	_, err := good.EnvLines()
	require.NoError(t, err)
	for _, bad := range []string{"", "1.0.0;rm -rf /", "$(id)", "a b", "x#y", "'q'"} {
		s := good
		s.Version = bad
		_, err := s.EnvLines()
		assert.ErrorContains(t, err, "RELEASE_VERSION=", "value %q", bad)
	}
}

// TestEnvOutputWorksInShellAndMake feeds the env output to the two consumers it is made for:
// `eval` in bash and a Makefile `include`, and checks both see the same values.
func TestEnvOutputWorksInShellAndMake(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := run("-tag", "refs/tags/prod_eu-west-1/web/v1.4.0-rc.1+build.7", "-envs", "prod", "-prefix", "webhealth-tfstate")
	require.Equal(t, 0, code, stderr)
	keys := []string{"RELEASE_ENV", "RELEASE_REGION", "RELEASE_TEAM", "RELEASE_VERSION", "STATE_BUCKET", "STATE_KEY", "LOCK_TABLE"}

	sh := exec.Command("bash", "-c", `set -eu; eval "$RELEASETAG_OUT"; for k in `+strings.Join(keys, " ")+`; do printf '%s=%s\n' "$k" "${!k}"; done`)
	sh.Env = append(os.Environ(), "RELEASETAG_OUT="+stdout)
	out, err := sh.CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Equal(t, wantEnv, string(out))

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "release.env"), []byte(stdout), 0o600))
	var mk strings.Builder
	mk.WriteString("include release.env\nall:\n")
	for _, k := range keys {
		mk.WriteString("\t@echo '" + k + "=$(" + k + ")'\n")
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Makefile"), []byte(mk.String()), 0o600))
	mkCmd := exec.Command("make", "--no-print-directory", "-s", "-C", dir)
	out, err = mkCmd.CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Equal(t, wantEnv, string(out))
}

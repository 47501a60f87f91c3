package main

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBinary builds the command and runs it the way the Makefile does.
func TestBinary(t *testing.T) {
	t.Parallel()
	goBin, err := exec.LookPath("go")
	require.NoError(t, err)
	bin := filepath.Join(t.TempDir(), "releasetag")
	build := exec.Command(goBin, "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))

	tests := []struct {
		name       string
		tag        string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{
			name: "valid", tag: "refs/tags/prod_eu-west-1/web/1.4.0", wantCode: 0,
			wantStdout: "RELEASE_ENV=prod\nRELEASE_REGION=eu-west-1\nRELEASE_TEAM=web\nRELEASE_VERSION=1.4.0\n" +
				"STATE_BUCKET=webhealth-tfstate-prod\nSTATE_KEY=web/prod-eu-west-1/terraform.tfstate\nLOCK_TABLE=webhealth-tfstate-lock-prod\n",
		},
		{
			name: "invalid", tag: "prod_eu-west-1/web/1.4.0;id", wantCode: 2,
			wantStderr: "releasetag: tag \"prod_eu-west-1/web/1.4.0;id\": contains ';': only letters, digits and . _ - + / are allowed: " +
				"expected <env>_<region>/<team>/<version>, e.g. prod_eu-west-1/web/1.4.0\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(bin, "-tag", tc.tag, "-envs", "local,dev,beta,prod", "-prefix", "webhealth-tfstate")
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var exitErr *exec.ExitError
			if errors.As(err, &exitErr) {
				code = exitErr.ExitCode()
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tc.wantCode, code)
			assert.Equal(t, tc.wantStdout, stdout.String())
			assert.Equal(t, tc.wantStderr, stderr.String())
		})
	}
}

package tfexec_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/tfexec"
)

func TestEnv(t *testing.T) {
	t.Parallel()
	got := tfexec.Env([]string{"A=1", "B=2", "AWS_PROFILE=dev", "C=3=3"}, map[string]string{"B": "x", "D": "4"}, "AWS_PROFILE")
	assert.Equal(t, []string{"A=1", "C=3=3", "B=x", "D=4"}, got)
}

func TestExecExitStatusAndArguments(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	// Arguments reach the program as they are: no shell sees them.
	code, err := tfexec.Exec{}.Run(context.Background(), tfexec.Cmd{Path: "printf", Args: []string{"%s|", "$(id)", "a b", "`x`;y"}, Stdout: &out})
	require.NoError(t, err)
	assert.Equal(t, 0, code)
	assert.Equal(t, "$(id)|a b|`x`;y|", out.String())

	code, err = tfexec.Exec{}.Run(context.Background(), tfexec.Cmd{Path: "sh", Args: []string{"-c", "exit 3"}})
	require.NoError(t, err, "a failing command is a status, not an error")
	assert.Equal(t, 3, code)

	err = tfexec.Check(context.Background(), tfexec.Exec{}, tfexec.Cmd{Path: "sh", Args: []string{"-c", "exit 2"}})
	var exit *tfexec.ExitError
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, 2, exit.Code)

	_, err = tfexec.Exec{}.Run(context.Background(), tfexec.Cmd{Path: "no-such-tool-webhealth"})
	assert.ErrorContains(t, err, "no-such-tool-webhealth is not installed")
}

func TestExecStopsWithTheContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := tfexec.Exec{Grace: time.Second}.Run(ctx, tfexec.Cmd{Path: "sleep", Args: []string{"30"}})
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second, "SIGINT ends sleep at once")
}

func TestTerraformEnv(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, ".tf"), 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(root, ".tf", "cli.tfrc"), nil, 0o600))
	env, err := tfexec.TerraformEnv([]string{"HOME=/h"}, root)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"HOME=/h", "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1",
		"TF_CLI_CONFIG_FILE=" + filepath.Join(root, ".tf", "cli.tfrc"), "TF_PLUGIN_CACHE_DIR=" + filepath.Join(root, ".tf", "plugin-cache")}, env)
	assert.DirExists(t, filepath.Join(root, ".tf", "plugin-cache"))

	// What the caller set stays; a CLI config file that does not exist is replaced.
	mine := filepath.Join(root, "mine.tfrc")
	require.NoError(t, os.WriteFile(mine, nil, 0o600))
	env, err = tfexec.TerraformEnv([]string{"TF_CLI_CONFIG_FILE=" + mine, "TF_PLUGIN_CACHE_DIR=/cache", "TF_IN_AUTOMATION=0", "CHECKPOINT_DISABLE=0"}, root)
	require.NoError(t, err)
	assert.Equal(t, []string{"TF_CLI_CONFIG_FILE=" + mine, "TF_PLUGIN_CACHE_DIR=/cache", "TF_IN_AUTOMATION=0", "CHECKPOINT_DISABLE=0"}, env)
	env, err = tfexec.TerraformEnv([]string{"TF_CLI_CONFIG_FILE=/root/.terraformrc-missing"}, root)
	require.NoError(t, err)
	assert.Contains(t, env, "TF_CLI_CONFIG_FILE="+filepath.Join(root, ".tf", "cli.tfrc"))
	assert.NotContains(t, env, "TF_CLI_CONFIG_FILE=/root/.terraformrc-missing")
}

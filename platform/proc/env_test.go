package proc_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/proc"
)

func TestEnv(t *testing.T) {
	t.Parallel()
	got := proc.Env([]string{"A=1", "B=2", "AWS_PROFILE=dev", "C=3=3"}, map[string]string{"B": "x", "D": "4"}, "AWS_PROFILE")
	assert.Equal(t, []string{"A=1", "C=3=3", "B=x", "D=4"}, got)
	assert.Equal(t, []string{"D=4"}, proc.Env([]string{}, map[string]string{"D": "4"}), "an empty base stays empty")
	got = proc.Env(nil, map[string]string{"PROC_ENV_TEST": "1"})
	assert.Contains(t, got, "PATH="+os.Getenv("PATH"), "no base: this process's environment")
	assert.Equal(t, "PROC_ENV_TEST=1", got[len(got)-1])
}

func TestTerraformEnv(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, ".tf"), 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(root, ".tf", "cli.tfrc"), nil, 0o600))
	env, err := proc.TerraformEnv([]string{"HOME=/h"}, root)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"HOME=/h", "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1",
		"TF_CLI_CONFIG_FILE=" + filepath.Join(root, ".tf", "cli.tfrc"), "TF_PLUGIN_CACHE_DIR=" + filepath.Join(root, ".tf", "plugin-cache")}, env)
	assert.DirExists(t, filepath.Join(root, ".tf", "plugin-cache"))

	// What the caller set stays; a CLI config file that does not exist is replaced.
	mine := filepath.Join(root, "mine.tfrc")
	require.NoError(t, os.WriteFile(mine, nil, 0o600))
	env, err = proc.TerraformEnv([]string{"TF_CLI_CONFIG_FILE=" + mine, "TF_PLUGIN_CACHE_DIR=/cache", "TF_IN_AUTOMATION=0", "CHECKPOINT_DISABLE=0"}, root)
	require.NoError(t, err)
	assert.Equal(t, []string{"TF_CLI_CONFIG_FILE=" + mine, "TF_PLUGIN_CACHE_DIR=/cache", "TF_IN_AUTOMATION=0", "CHECKPOINT_DISABLE=0"}, env)
	env, err = proc.TerraformEnv([]string{"TF_CLI_CONFIG_FILE=/root/.terraformrc-missing"}, root)
	require.NoError(t, err)
	assert.Contains(t, env, "TF_CLI_CONFIG_FILE="+filepath.Join(root, ".tf", "cli.tfrc"))
	assert.NotContains(t, env, "TF_CLI_CONFIG_FILE=/root/.terraformrc-missing")
}

package proc_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/proc"
)

func TestLookAndTool(t *testing.T) {
	t.Parallel()
	_, err := proc.Look("no-such-program-proc-test", "install it")
	assert.EqualError(t, err, "no-such-program-proc-test is not installed: install it")
	_, err = proc.Look("terraform; touch x", "hint")
	assert.EqualError(t, err, `"terraform; touch x" is not installed: hint`)
	_, err = proc.Look("a\nb", "hint")
	assert.ErrorContains(t, err, "control characters")
	p, err := proc.Look("sh", "hint")
	require.NoError(t, err)
	assert.True(t, filepath.IsAbs(p))

	root := t.TempDir()
	_, err = proc.Tool(root, "tflint")
	assert.ErrorContains(t, err, "tflint is not installed in "+filepath.Join(root, ".tools", "bin")+": run make tools")
	bin := filepath.Join(root, ".tools", "bin")
	require.NoError(t, os.MkdirAll(bin, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(bin, "tflint"), []byte("data"), 0o644))
	_, err = proc.Tool(root, "tflint")
	assert.Error(t, err, "not executable")
	require.NoError(t, os.Chmod(filepath.Join(bin, "tflint"), 0o755))
	got, err := proc.Tool(root, "tflint")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(bin, "tflint"), got)
}

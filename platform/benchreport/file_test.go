package benchreport

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteFile(t *testing.T) {
	t.Parallel()
	t.Run("replaces the file and leaves no temporary file", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		path := filepath.Join(dir, "benchmarks.md")
		require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))
		require.NoError(t, WriteFile(path, []byte("new"), 0o644))
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, "new", string(b))
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm())
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		assert.Len(t, entries, 1)
	})
	t.Run("creates the directory", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "docs", "benchmarks.md")
		require.NoError(t, WriteFile(path, []byte("x"), 0o644))
		assert.FileExists(t, path)
	})
	t.Run("a failed rename keeps the old file and cleans up", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		path := filepath.Join(dir, "out")
		require.NoError(t, os.Mkdir(path, 0o755)) // a directory cannot be replaced by a file
		require.NoError(t, os.WriteFile(filepath.Join(path, "keep"), []byte("k"), 0o644))
		err := WriteFile(path, []byte("new"), 0o644)
		require.ErrorContains(t, err, "rename")
		assert.FileExists(t, filepath.Join(path, "keep"))
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		assert.Len(t, entries, 1, "the temporary file is removed")
	})
}

package lambdarun

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type zipEntry struct {
	name string
	mode os.FileMode
	data string
}

// writeZip writes entries, in order, into a zip file in a temporary directory and returns its path.
func writeZip(t *testing.T, entries ...zipEntry) string {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		h.SetMode(e.mode)
		f, err := w.CreateHeader(h)
		require.NoError(t, err)
		_, err = f.Write([]byte(e.data))
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	p := filepath.Join(t.TempDir(), "fn.zip")
	require.NoError(t, os.WriteFile(p, buf.Bytes(), 0o600))
	return p
}

func TestUnzip(t *testing.T) {
	t.Parallel()

	t.Run("extracts the tree; bootstrap and executable entries are runnable", func(t *testing.T) {
		t.Parallel()
		zipPath := writeZip(t,
			zipEntry{name: "bootstrap", mode: 0o644, data: "#!/bin/sh\n"},
			zipEntry{name: "lib/", mode: os.ModeDir | 0o755},
			zipEntry{name: "lib/tool", mode: 0o700, data: "tool"},
			zipEntry{name: "lib/data.json", mode: 0o640, data: "{}"},
		)
		dst := t.TempDir()
		require.NoError(t, unzip(zipPath, dst, 1<<20))

		for name, want := range map[string]string{"bootstrap": "#!/bin/sh\n", "lib/tool": "tool", "lib/data.json": "{}"} {
			b, err := os.ReadFile(filepath.Join(dst, name))
			require.NoError(t, err, name)
			assert.Equal(t, want, string(b), name)
		}
		for name, exec := range map[string]bool{"bootstrap": true, "lib/tool": true, "lib/data.json": false} {
			st, err := os.Stat(filepath.Join(dst, name))
			require.NoError(t, err, name)
			assert.Equal(t, exec, st.Mode().Perm()&0o100 != 0, "%s is executable: mode %v", name, st.Mode())
		}
	})

	t.Run("an entry naming a path outside the task root is refused", func(t *testing.T) {
		t.Parallel()
		outside := t.TempDir()
		dst := filepath.Join(t.TempDir(), "root")
		require.NoError(t, os.Mkdir(dst, 0o750))
		rel, err := filepath.Rel(dst, filepath.Join(outside, "evil"))
		require.NoError(t, err)
		zipPath := writeZip(t, zipEntry{name: filepath.ToSlash(rel), mode: 0o644, data: "x"})

		err = unzip(zipPath, dst, 1<<20)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "escapes the task root")
		assert.NoFileExists(t, filepath.Join(outside, "evil"))
	})

	t.Run("a symlink inside the task root does not lead an entry outside it", func(t *testing.T) {
		t.Parallel()
		outside := t.TempDir()
		dst := t.TempDir()
		require.NoError(t, os.Symlink(outside, filepath.Join(dst, "lib")))
		zipPath := writeZip(t, zipEntry{name: "lib/evil", mode: 0o644, data: "x"})

		require.Error(t, unzip(zipPath, dst, 1<<20))
		assert.NoFileExists(t, filepath.Join(outside, "evil"))
	})

	t.Run("an entry expanding beyond the limit is refused", func(t *testing.T) {
		t.Parallel()
		zipPath := writeZip(t, zipEntry{name: "bootstrap", mode: 0o755, data: strings.Repeat("a", 1001)})

		err := unzip(zipPath, t.TempDir(), 1000)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "unzipped package")
	})

	t.Run("entries each under the limit but over it together are refused", func(t *testing.T) {
		t.Parallel()
		zipPath := writeZip(t,
			zipEntry{name: "bootstrap", mode: 0o755, data: strings.Repeat("a", 600)},
			zipEntry{name: "data", mode: 0o644, data: strings.Repeat("b", 600)},
		)

		err := unzip(zipPath, t.TempDir(), 1000)
		require.Error(t, err)
		assert.Contains(t, err.Error(), `entry "data"`)
	})

	t.Run("exactly the limit is accepted", func(t *testing.T) {
		t.Parallel()
		zipPath := writeZip(t,
			zipEntry{name: "bootstrap", mode: 0o755, data: strings.Repeat("a", 600)},
			zipEntry{name: "data", mode: 0o644, data: strings.Repeat("b", 400)},
		)

		require.NoError(t, unzip(zipPath, t.TempDir(), 1000))
	})
}

func TestLogSinksKeepFunctionLogsInTheirDir(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	l := newLogSinks(filepath.Join(base, "logs"), &bytes.Buffer{})
	t.Cleanup(l.close)

	_, err := l.get("crawler")
	require.NoError(t, err)
	assert.FileExists(t, filepath.Join(base, "logs", "crawler.log"))

	_, err = l.get("../escaped")
	require.Error(t, err, "a function name naming a path outside the log dir")
	assert.NoFileExists(t, filepath.Join(base, "escaped.log"))
}

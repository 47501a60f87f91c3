package localenv

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		want    map[string]string
		wantErr string
	}{
		{
			name: "the lines make up writes",
			content: "# written by make up\nAPI_URL=http://127.0.0.1:4567/abc/v1\nexport API_KEY=\"k3y=with=equals\"\n\n" +
				"AWS_ENDPOINT_URL='http://127.0.0.1:4566'\n  AWS_REGION = us-east-1  \n",
			want: map[string]string{
				"API_URL": "http://127.0.0.1:4567/abc/v1", "API_KEY": "k3y=with=equals",
				"AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "AWS_REGION": "us-east-1",
			},
		},
		{name: "empty file", content: "", want: map[string]string{}},
		{name: "a line without =", content: "API_URL=x\nnonsense\n", wantErr: ":2: not KEY=VALUE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "env")
			require.NoError(t, os.WriteFile(path, []byte(tc.content), 0o600))
			got, err := ReadFile(path)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	t.Run("missing file", func(t *testing.T) {
		t.Parallel()
		_, err := ReadFile(filepath.Join(t.TempDir(), "absent"))
		require.ErrorIs(t, err, os.ErrNotExist)
	})
}

func TestRepoRoot(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "terraform", "workload"), 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(root, "go.mod"), []byte("module x\n"), 0o600))
	deep := filepath.Join(root, "test", "bench")
	require.NoError(t, os.MkdirAll(deep, 0o750))
	// A go.mod without terraform/workload (a nested module such as tools/) is not the root.
	nested := filepath.Join(root, "tools")
	require.NoError(t, os.MkdirAll(nested, 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(nested, "go.mod"), []byte("module y\n"), 0o600))

	for _, dir := range []string{root, deep, nested} {
		got, err := RepoRoot(dir)
		require.NoError(t, err, dir)
		assert.Equal(t, root, got, dir)
	}
	_, err := RepoRoot(t.TempDir())
	require.ErrorContains(t, err, "no repository root")
}

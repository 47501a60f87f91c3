package build_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/build"
	"github.com/webhealth/webhealth/platform/proc"
)

// fakeModule is a product-shaped module whose functions print the version they were built with.
func fakeModule(t *testing.T, functions ...string) string {
	t.Helper()
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "go.mod"), []byte("module github.com/webhealth/webhealth\n\ngo 1.26\n"), 0o600))
	for _, fn := range functions {
		dir := filepath.Join(root, "cmd", fn)
		require.NoError(t, os.MkdirAll(dir, 0o750))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(
			"package main\n\nimport \"fmt\"\n\nvar version string\n\nfunc main() { fmt.Println(\""+fn+"\", version) }\n"), 0o600))
	}
	return root
}

func TestBuildIsReproducible(t *testing.T) {
	t.Parallel()
	goBin, err := exec.LookPath("go")
	require.NoError(t, err)
	root := fakeModule(t, "alpha", "beta")
	var out bytes.Buffer
	opts := build.Options{Root: root, Arch: runtime.GOARCH, Version: "1.4.0-rc.1", Go: goBin, Functions: []string{"alpha", "beta"},
		Runner: proc.Exec{}, Env: os.Environ(), Stdout: &out, Stderr: &out}
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skipf("builds for arm64/amd64 only, this machine is %s", runtime.GOARCH)
	}
	require.NoError(t, build.Build(context.Background(), opts), out.String())
	zipPath := filepath.Join(root, "build", runtime.GOARCH, "alpha.zip")
	first, err := os.ReadFile(zipPath)
	require.NoError(t, err)
	assert.Contains(t, out.String(), "built "+zipPath)
	st1, err := os.Stat(zipPath)
	require.NoError(t, err)

	out.Reset()
	require.NoError(t, build.Build(context.Background(), opts), out.String())
	second, err := os.ReadFile(zipPath)
	require.NoError(t, err)
	assert.Equal(t, sha256.Sum256(first), sha256.Sum256(second), "a rebuild writes the same bytes")
	assert.NotContains(t, out.String(), "built ", "an unchanged zip is not rewritten")
	st2, err := os.Stat(zipPath)
	require.NoError(t, err)
	assert.Equal(t, st1.ModTime(), st2.ModTime())

	zr, err := zip.NewReader(bytes.NewReader(first), int64(len(first)))
	require.NoError(t, err)
	require.Len(t, zr.File, 1)
	f := zr.File[0]
	assert.Equal(t, "bootstrap", f.Name)
	assert.Equal(t, os.FileMode(0o755), f.Mode().Perm())
	assert.True(t, f.Mode().IsRegular())
	assert.Equal(t, build.EntryTime, f.Modified.UTC())
	assert.Empty(t, f.Extra, "no extra fields (timestamps, uid/gid)")

	// The zipped binary is the bootstrap built with the version stamped in.
	rc, err := f.Open()
	require.NoError(t, err)
	bin, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	onDisk, err := os.ReadFile(filepath.Join(root, "build", runtime.GOARCH, "alpha", "bootstrap"))
	require.NoError(t, err)
	assert.Equal(t, onDisk, bin)
	run, err := exec.Command(filepath.Join(root, "build", runtime.GOARCH, "alpha", "bootstrap")).Output()
	require.NoError(t, err)
	assert.Equal(t, "alpha 1.4.0-rc.1\n", string(run))
}

func TestZipIsDeterministic(t *testing.T) {
	t.Parallel()
	a, err := build.Zip([]byte("binary"))
	require.NoError(t, err)
	time.Sleep(1100 * time.Millisecond) // a wall-clock time in the zip would now differ
	b, err := build.Zip([]byte("binary"))
	require.NoError(t, err)
	assert.Equal(t, a, b)
	c, err := build.Zip([]byte("other"))
	require.NoError(t, err)
	assert.NotEqual(t, a, c)
}

// recorder is a Runner that records commands and runs none.
type recorder struct{ cmds []proc.Cmd }

func (r *recorder) Run(_ context.Context, c proc.Cmd) error {
	r.cmds = append(r.cmds, c)
	return nil
}

func TestBuildRefusesBadOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, arch, version, want string
	}{
		{"unknown arch", "x86_64", "1.0.0", `architecture: "x86_64" is not arm64 or amd64`},
		{"empty arch", "", "1.0.0", `architecture: "" is not arm64 or amd64`},
		{"leading v", "arm64", "v1.0.0", `version "v1.0.0" has a leading v: write 1.0.0`},
		{"one number", "arm64", "1", `version "1" is not a release version`},
		{"four numbers", "arm64", "1.0.0.1", `version "1.0.0.1" is not a release version`},
		{"shell in version", "arm64", "1.0.0;id", `is not a release version`},
		{"empty version", "arm64", "", `version "" is not a release version`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &recorder{}
			root := t.TempDir()
			err := build.Build(context.Background(), build.Options{Root: root, Arch: tc.arch, Version: tc.version, Runner: r})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, r.cmds, "go never runs")
			assert.NoDirExists(t, filepath.Join(root, "build"))
		})
	}
}

func TestBuildCommand(t *testing.T) {
	t.Parallel()
	r := &recorder{}
	root := t.TempDir()
	// The fake go writes no binary: the build stops at reading it, after the one go build.
	err := build.Build(context.Background(), build.Options{Root: root, Arch: "arm64", Version: "dev", Go: "go", Runner: r,
		Env: []string{"GOARCH=amd64", "HOME=/h"}, Functions: []string{"crawler"}})
	require.Error(t, err)
	require.Len(t, r.cmds, 1)
	c := r.cmds[0]
	assert.Equal(t, "go", c.Path)
	assert.Equal(t, []string{"build", "-trimpath", "-tags", "lambda.norpc", "-ldflags", "-s -w -buildid= -X main.version=dev",
		"-o", filepath.Join(root, "build", "arm64", "crawler", "bootstrap"), "./cmd/crawler"}, c.Args)
	assert.Equal(t, root, c.Dir)
	assert.Equal(t, []string{"HOME=/h", "CGO_ENABLED=0", "GOARCH=arm64", "GOOS=linux"}, c.Env)
}

func TestFindRoot(t *testing.T) {
	t.Parallel()
	root := fakeModule(t, "x")
	deep := filepath.Join(root, "terraform", "workload")
	require.NoError(t, os.MkdirAll(deep, 0o750))
	// A nested module (platform/, test/) is not the root.
	require.NoError(t, os.MkdirAll(filepath.Join(root, "platform"), 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(root, "platform", "go.mod"), []byte("module github.com/webhealth/webhealth/platform\n"), 0o600))
	for _, dir := range []string{root, deep, filepath.Join(root, "platform")} {
		got, err := build.FindRoot(dir)
		require.NoError(t, err)
		assert.Equal(t, root, got)
	}
	_, err := build.FindRoot(t.TempDir())
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "not inside the webhealth repository"), err.Error())
}

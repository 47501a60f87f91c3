//go:build bench

package bench

import (
	"archive/zip"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// artifactFunctions are the Lambda functions `make build` zips.
var artifactFunctions = []string{"crawler", "alarmlogger", "urlapi", "notifier"}

// artifactDirEnv overrides where BenchmarkArtifact reads the zips (default <repo>/build/arm64).
const artifactDirEnv = "BENCH_ARTIFACT_DIR"

// BenchmarkArtifact reports the size of each function's deployment package as `make build` writes
// it: zip-MB, the zip file, and bootstrap-MB, the uncompressed size of its bootstrap entry (MB = 1e6
// bytes; targets: zip <= 3.5, bootstrap <= 8.5, arm64). Each iteration opens the zip and finds the
// entry; a zip without an executable bootstrap at its root fails the benchmark. It reads
// <repo>/build/arm64/<fn>.zip, or $BENCH_ARTIFACT_DIR/<fn>.zip, and skips, saying so, when the zip
// has not been built.
func BenchmarkArtifact(b *testing.B) {
	dir := os.Getenv(artifactDirEnv)
	if dir == "" {
		root, err := benchRepoRoot()
		if err != nil {
			b.Fatal(err)
		}
		dir = filepath.Join(root, "build", "arm64")
	}
	for _, fn := range artifactFunctions {
		b.Run("fn="+fn, func(b *testing.B) {
			path := filepath.Join(dir, fn+".zip")
			if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
				b.Skipf("%s is missing: run `make build ARCH=arm64` first (or point %s at a directory of <function>.zip)", path, artifactDirEnv)
			}
			var zipBytes, bootstrapBytes uint64
			for b.Loop() {
				var err error
				zipBytes, bootstrapBytes, err = artifactSizes(path)
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(zipBytes)/1e6, "zip-MB")
			b.ReportMetric(float64(bootstrapBytes)/1e6, "bootstrap-MB")
		})
	}
}

// artifactSizes returns the size of the zip at path and the uncompressed size of its bootstrap,
// which must sit at the root and be executable (Lambda's provided runtimes exec it).
func artifactSizes(path string) (zipBytes, bootstrapBytes uint64, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, 0, err
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		return 0, 0, fmt.Errorf("open %s: %w", path, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name != "bootstrap" {
			continue
		}
		if f.Mode()&0o111 == 0 {
			return 0, 0, fmt.Errorf("%s: bootstrap is not executable (mode %v)", path, f.Mode())
		}
		return uint64(st.Size()), f.UncompressedSize64, nil
	}
	return 0, 0, fmt.Errorf("%s has no bootstrap at its root", path)
}

// benchRepoRoot is the module root, two levels above this package (go test runs in the package's
// directory).
func benchRepoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	root := filepath.Clean(filepath.Join(wd, "..", ".."))
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", fmt.Errorf("repository root %s: %w", root, err)
	}
	return root, nil
}

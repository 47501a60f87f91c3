// Package localenv finds the repository and reads the .local/env file `make up` writes, for the
// suites that run against the local stack (test/ and test/bench).
package localenv

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// RepoRoot is the repository root: the nearest directory at or above dir holding go.mod next to
// terraform/workload.
func RepoRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if exists(filepath.Join(d, "go.mod")) && exists(filepath.Join(d, "terraform", "workload")) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no repository root (go.mod next to terraform/workload) at or above %s", dir)
		}
	}
}

// ReadFile reads KEY=VALUE lines (the format of .local/env, sourceable by a shell): an optional
// "export " prefix and quotes around the value are dropped; blank lines and # comments are skipped.
func ReadFile(path string) (map[string]string, error) {
	f, err := os.Open(path) // #nosec G304 -- the caller names the env file of its own stack
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only: nothing to lose on close
	vals := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok {
			return nil, fmt.Errorf("%s:%d: not KEY=VALUE: %q", path, n, line)
		}
		vals[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"'`)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return vals, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

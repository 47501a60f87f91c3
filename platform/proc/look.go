package proc

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Look finds a program: name as given when it contains a slash, else in PATH. hint says how to get it.
func Look(name, hint string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("no program named: %s", hint)
	}
	if strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", fmt.Errorf("%q is not a program name (control characters): %s", name, hint)
	}
	p, err := exec.LookPath(name)
	if err != nil {
		shown := name
		if strings.ContainsFunc(name, func(r rune) bool { return !strings.ContainsRune(plainNameChars, r) }) {
			shown = fmt.Sprintf("%q", name)
		}
		return "", fmt.Errorf("%s is not installed: %s", shown, hint)
	}
	return p, nil
}

// plainNameChars are shown unquoted in a message about a program name.
const plainNameChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+"

// Tool is a pinned tool of .tools/bin (tools/go.mod), which `make tools` installs.
func Tool(root, name string) (string, error) {
	p := filepath.Join(root, ".tools", "bin", name)
	info, err := os.Stat(p)
	if err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%s is not installed in %s: run make tools (versions in tools/go.mod)", name, filepath.Dir(p))
	}
	return p, nil
}

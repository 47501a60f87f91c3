package tfcheck

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// providerPattern is a provider address as a mirror lays it out: <hostname>/<namespace>/<type>.
var providerPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*/[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9_-]*$`)

// mirrorPathChars are the characters of a mirror path: it is written into an HCL string, and a path
// with quotes, escapes, template sequences or shell syntax in it is far more likely an attack than a
// directory.
const mirrorPathChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+~@,: "

func checkMirrorPath(p string) error {
	bad := strings.ContainsFunc(p, func(r rune) bool { return !strings.ContainsRune(mirrorPathChars, r) })
	if p == "" || bad || !filepath.IsAbs(p) {
		return fmt.Errorf("TF_PROVIDER_MIRROR=%q: expected an absolute directory path of letters, digits, spaces and the characters /._-+~@,: only", p)
	}
	return nil
}

// MirrorProviders lists the providers a filesystem mirror holds (<hostname>/<namespace>/<type>),
// sorted; ok is false when there is no mirror directory.
func MirrorProviders(mirror string) (providers []string, ok bool, err error) {
	info, err := os.Stat(mirror)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("provider mirror: %w", err)
	}
	if !info.IsDir() {
		return nil, false, fmt.Errorf("provider mirror %s is not a directory", mirror)
	}
	matches, err := filepath.Glob(filepath.Join(mirror, "*", "*", "*"))
	if err != nil {
		return nil, false, fmt.Errorf("provider mirror: %w", err)
	}
	for _, m := range matches {
		if fi, err := os.Stat(m); err != nil || !fi.IsDir() {
			continue
		}
		rel, err := filepath.Rel(mirror, m)
		if err != nil {
			return nil, false, err
		}
		rel = filepath.ToSlash(rel)
		if !providerPattern.MatchString(rel) {
			return nil, false, fmt.Errorf("provider mirror %s: %q is not a <hostname>/<namespace>/<type> provider directory", mirror, rel)
		}
		providers = append(providers, rel)
	}
	slices.Sort(providers)
	return providers, true, nil
}

// CLIConfigText is the Terraform CLI config: the providers the mirror holds come from it (offline),
// every other provider from its registry. Without a mirror, everything comes from the registries.
func CLIConfigText(mirror string, providers []string, haveMirror bool) string {
	var b strings.Builder
	b.WriteString("# Written by platform tf cli-config (make tf-cli-config); do not edit.\n")
	if !haveMirror {
		fmt.Fprintf(&b, "# No provider mirror at %s: providers are installed from their registries.\n", mirror)
		return b.String()
	}
	quoted := make([]string, len(providers))
	for i, p := range providers {
		quoted[i] = `"` + p + `"`
	}
	list := strings.Join(quoted, ",")
	fmt.Fprintf(&b, "# Providers present in %s come from there (offline); all others from their registry.\n", mirror)
	fmt.Fprintf(&b, "provider_installation {\n  filesystem_mirror {\n    path    = \"%s\"\n    include = [%s]\n  }\n", mirror, list)
	fmt.Fprintf(&b, "  direct {\n    exclude = [%s]\n  }\n}\n", list)
	return b.String()
}

// CLIConfig writes .tf/cli.tfrc (only when its content changes) and creates the plugin cache and the
// data dirs the checks use.
func (c *Checker) CLIConfig() error {
	mirror := c.Mirror
	if mirror == "" {
		mirror = DefaultMirror
	}
	if err := checkMirrorPath(mirror); err != nil {
		return err
	}
	providers, ok, err := MirrorProviders(mirror)
	if err != nil {
		return err
	}
	for _, d := range []string{filepath.Join(c.Root, ".tf", "plugin-cache"), filepath.Join(c.Root, ".tf", "data")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return fmt.Errorf("terraform dirs: %w", err)
		}
	}
	want := []byte(CLIConfigText(mirror, providers, ok))
	path := c.cliConfigPath()
	have, err := os.ReadFile(path) // #nosec G304 -- the repository's .tf/cli.tfrc
	if err == nil && bytes.Equal(have, want) {
		return nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, want, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	fmt.Fprintf(c.Out, "wrote %s\n", path)
	return nil
}

package deps

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/proc"
)

// machine fakes the installed programs and records the commands run.
type machine struct {
	have       []string
	calls      []string
	foreground []string // the calls run in the terminal's foreground
	fail       func(call string) bool
}

func (m *machine) look(name string) (string, error) {
	if slices.Contains(m.have, name) {
		return "/usr/bin/" + name, nil
	}
	return "", errors.New("not found")
}

func (m *machine) run(_ context.Context, c proc.Cmd) error {
	call := strings.TrimSpace(strings.Join(c.Env, " ") + " " + c.Path + " " + strings.Join(c.Args, " "))
	m.calls = append(m.calls, call)
	if c.Foreground {
		m.foreground = append(m.foreground, call)
	}
	if m.fail != nil && m.fail(call) {
		return proc.Exited(c, 100)
	}
	return nil
}

func (m *machine) ran(prefix string) []string {
	var out []string
	for _, c := range m.calls {
		if strings.HasPrefix(c, prefix) || strings.Contains(c, " "+prefix) {
			out = append(out, c)
		}
	}
	return out
}

var everything = []string{"git", "python3", "curl", "jq", "terraform", "moto_server", "apt-get", "sudo"}

func without(names ...string) []string {
	return slices.DeleteFunc(slices.Clone(everything), func(s string) bool { return slices.Contains(names, s) })
}

func installer(t *testing.T, m *machine, base string) *Installer {
	t.Helper()
	var out bytes.Buffer
	return &Installer{Root: t.TempDir(), TerraformVersion: "1.11.4", TerraformBase: base, MotoVersion: "5.2.1",
		GOOS: "linux", GOARCH: "amd64", AsRoot: true, Look: m.look, Runner: proc.RunFunc(m.run), Env: []string{}, HTTP: http.DefaultClient, Stdout: &out, Stderr: &out}
}

func TestDebian(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		have    []string
		asRoot  bool
		want    []string
		wantErr string
	}{
		{name: "nothing missing, nothing run", have: everything, asRoot: true},
		{name: "only the missing packages, as root", have: without("curl", "jq"), asRoot: true, want: []string{
			"DEBIAN_FRONTEND=noninteractive apt-get update -qq", "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl jq"}},
		{name: "through sudo otherwise", have: without("git"), want: []string{
			"sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq", "sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq git"}},
		{name: "no sudo and not root", have: without("git", "sudo"), wantErr: "missing git: installing them needs root, and sudo is not installed"},
		{name: "not Debian", have: without("jq", "apt-get"), asRoot: true, wantErr: "missing jq, and this machine has no apt-get"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := &machine{have: tc.have}
			in := installer(t, m, "http://unused")
			in.AsRoot = tc.asRoot
			err := in.debian(context.Background())
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				assert.Empty(t, m.calls)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, m.calls)
			assert.Equal(t, tc.want, m.foreground, "apt-get in the foreground: sudo may ask for a password")
		})
	}
}

// release serves a Terraform release: the zip of linux_amd64 and its SHA256SUMS (sums may lie).
func release(t *testing.T, zipEntries map[string]string, sums func(zipSHA string) string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range zipEntries {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = w.Write([]byte(content))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	sha := fmt.Sprintf("%x", sha256.Sum256(buf.Bytes()))
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		switch r.URL.Path {
		case "/1.11.4/terraform_1.11.4_SHA256SUMS":
			_, _ = fmt.Fprint(w, sums(sha))
		case "/1.11.4/terraform_1.11.4_linux_amd64.zip":
			_, _ = w.Write(buf.Bytes())
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &requests
}

func honest(sha string) string {
	return "0000000000000000000000000000000000000000000000000000000000000000  terraform_1.11.4_darwin_arm64.zip\n" +
		sha + "  terraform_1.11.4_linux_amd64.zip\n"
}

func TestTerraform(t *testing.T) {
	t.Parallel()
	tfBinary := map[string]string{"LICENSE.txt": "MPL", "terraform": "#!/bin/sh\necho Terraform v1.11.4\n"}
	tests := []struct {
		name    string
		have    []string
		tf      string
		entries map[string]string
		sums    func(string) string
		version string
		wantErr string
		noFetch bool
	}{
		{name: "downloaded, checked and installed into .tools/bin", have: without("terraform"), entries: tfBinary, sums: honest},
		{name: "installed already: nothing fetched", have: everything, entries: tfBinary, sums: honest, noFetch: true},
		{name: "a zip that does not match SHA256SUMS is not installed", have: without("terraform"), entries: tfBinary,
			sums:    func(string) string { return honest(strings.Repeat("ab", 32)) },
			wantErr: "does not match the release's SHA256SUMS"},
		{name: "no release for this platform", have: without("terraform"), entries: tfBinary,
			sums: func(string) string { return "" }, wantErr: "SHA256SUMS lists no terraform_1.11.4_linux_amd64.zip"},
		{name: "a zip without terraform", have: without("terraform"), entries: map[string]string{"README": "x"}, sums: honest,
			wantErr: "no terraform in the zip"},
		{name: "unreachable releases", have: without("terraform"), entries: tfBinary, sums: honest, version: "9.9.9",
			wantErr: "404 Not Found"},
		{name: "a version that would change the URL", have: without("terraform"), entries: tfBinary, sums: honest,
			version: "1.11.4/../../evil", wantErr: `TERRAFORM_VERSION="1.11.4/../../evil": expected a version`, noFetch: true},
		{name: "another TF is not replaced by a download", have: without("terraform"), tf: "/opt/tf/terraform-1.12", entries: tfBinary,
			sums: honest, wantErr: `TF="/opt/tf/terraform-1.12" is not installed`, noFetch: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, requests := release(t, tc.entries, tc.sums)
			m := &machine{have: tc.have}
			in := installer(t, m, srv.URL)
			in.TF = tc.tf
			if tc.version != "" {
				in.TerraformVersion = tc.version
			}
			err := in.terraform(context.Background())
			dest := filepath.Join(in.Root, ".tools", "bin", "terraform")
			if tc.noFetch {
				assert.Zero(t, requests.Load(), "nothing downloaded")
			}
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				assert.NoFileExists(t, dest)
				entries, _ := os.ReadDir(filepath.Dir(dest))
				assert.Empty(t, entries, "no partial download left")
				return
			}
			require.NoError(t, err)
			if slices.Contains(tc.have, "terraform") {
				assert.NoFileExists(t, dest)
				return
			}
			b, err := os.ReadFile(dest)
			require.NoError(t, err)
			assert.Equal(t, tfBinary["terraform"], string(b))
			info, err := os.Stat(dest)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o755), info.Mode().Perm())

			// A second run finds it there even without .tools/bin on PATH.
			before := requests.Load()
			require.NoError(t, in.terraform(context.Background()))
			assert.Equal(t, before, requests.Load())
		})
	}
}

func TestMoto(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		have    []string
		fail    bool
		version string
		want    []string
		wantErr string
	}{
		{name: "installed: nothing run", have: everything},
		{name: "pinned version from PyPI", have: without("moto_server"), want: []string{"python3 -m pip install -q moto[server]==5.2.1"}},
		{name: "pip fails: say how to install it", have: without("moto_server"), fail: true,
			wantErr: "pip could not install it (python3 -m pip install -q \"moto[server]==5.2.1\" exited with status 100): install it by hand: pip install 'moto[server]==5.2.1'"},
		{name: "no python3", have: without("moto_server", "python3"), wantErr: "python3 is not installed"},
		{name: "a version that is a pip option", have: without("moto_server"), version: "5.2.1 --index-url=http://x", wantErr: `MOTO_VERSION="5.2.1 --index-url=http://x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := &machine{have: tc.have, fail: func(string) bool { return tc.fail }}
			in := installer(t, m, "http://unused")
			if tc.version != "" {
				in.MotoVersion = tc.version
			}
			err := in.moto(context.Background())
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, m.calls)
		})
	}
}

func TestInstallGoesOnAfterAFailure(t *testing.T) {
	t.Parallel()
	m := &machine{have: without("jq", "moto_server"), fail: func(c string) bool { return strings.Contains(c, "apt-get install") }}
	in := installer(t, m, "http://unused")
	err := in.Install(context.Background())
	assert.ErrorContains(t, err, "apt-get install jq")
	assert.Len(t, m.ran("python3 -m pip"), 1, "moto is still installed")
	assert.Len(t, m.ran("go mod download"), len(Modules), "every module's dependencies are still downloaded")
}

func TestCheckVersion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		v  string
		ok bool
	}{{"1.11.4", true}, {"5.2.1", true}, {"1.11", false}, {"v1.11.4", false}, {"1.11.4;id", false}, {"1.11.4\n", false}, {"", false}} {
		t.Run(tc.v, func(t *testing.T) {
			t.Parallel()
			err := CheckVersion("TERRAFORM_VERSION", tc.v)
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, "expected a version <major>.<minor>.<patch>")
			}
		})
	}
}

// Package deps installs what a fresh machine lacks to build, test and run webhealth: the Debian
// packages of the commands it calls, Terraform (checked against HashiCorp's SHA256SUMS) and moto
// (from PyPI), each only where it is missing, and the Go modules of every module. What cannot be had
// is named with how to install it by hand. The pinned Go tools are the Makefile's (make tools).
package deps

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/webhealth/webhealth/platform/proc"
)

// Defaults of the settings.
const (
	DefaultTerraformVersion = "1.11.4"
	DefaultMotoVersion      = "5.2.1"
	DefaultTerraformBase    = "https://releases.hashicorp.com/terraform"
	maxTerraformZip         = 200 << 20
	maxTerraformBinary      = 500 << 20
)

// Debian maps each command the project calls to the Debian package that provides it: git (go build
// stamps the checkout's VCS state and fails without it), python3 (moto), curl and jq (the README's
// walk-through).
var Debian = []struct{ Command, Package string }{
	{"git", "git"}, {"python3", "python3"}, {"curl", "curl"}, {"jq", "jq"},
}

// Modules are the Go modules whose dependencies are downloaded, relative to the repository root.
var Modules = []string{".", "platform", "test", "tools"}

var versionPattern = regexp.MustCompile(`^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$`)

// CheckVersion refuses a version that is not <major>.<minor>.<patch> (it becomes part of a URL and a pip
// requirement).
func CheckVersion(name, v string) error {
	if !versionPattern.MatchString(v) {
		return fmt.Errorf("%s=%q: expected a version <major>.<minor>.<patch>, e.g. 1.11.4", name, v)
	}
	return nil
}

// Installer installs the missing dependencies.
type Installer struct {
	Root             string // repository root; Terraform goes to <Root>/.tools/bin
	TF               string // the terraform program; installed only when it is the default and missing
	TerraformVersion string
	TerraformBase    string // where the releases are (DefaultTerraformBase)
	MotoVersion      string
	GOOS, GOARCH     string
	AsRoot           bool // running as root: apt-get without sudo
	// Look finds a program (exec.LookPath), Runner runs one (proc.Exec), HTTP downloads Terraform.
	Look   func(string) (string, error)
	Runner proc.Runner
	Env    []string // the environment of the commands (nil: this process's)
	HTTP   *http.Client
	Stdout io.Writer
	Stderr io.Writer
}

// Install runs every step; it goes on after a failed one and returns them all.
func (in *Installer) Install(ctx context.Context) error {
	return errors.Join(in.debian(ctx), in.terraform(ctx), in.moto(ctx), in.goModules(ctx))
}

func (in *Installer) have(cmd string) bool {
	_, err := in.Look(cmd)
	return err == nil
}

// run runs c with the installer's streams and, unless c has its own, environment.
func (in *Installer) run(ctx context.Context, c proc.Cmd) error {
	c.Stdout, c.Stderr = in.Stdout, in.Stderr
	if c.Env == nil {
		c.Env = in.Env
	}
	return in.Runner.Run(ctx, c)
}

// debian installs the packages of the missing commands with apt-get.
func (in *Installer) debian(ctx context.Context) error {
	var missing []string
	for _, d := range Debian {
		if !in.have(d.Command) {
			missing = append(missing, d.Package)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	list := strings.Join(missing, " ")
	if !in.have("apt-get") {
		return fmt.Errorf("missing %s, and this machine has no apt-get: install them with its package manager", list)
	}
	if !in.AsRoot && !in.have("sudo") {
		return fmt.Errorf("missing %s: installing them needs root, and sudo is not installed: apt-get install %s", list, list)
	}
	fmt.Fprintf(in.Stdout, "deps: installing %s (Debian)\n", list)
	// In the foreground: sudo may ask for a password on the terminal.
	aptCmd := func(args ...string) proc.Cmd {
		if in.AsRoot {
			return proc.Cmd{Path: "apt-get", Args: args, Env: proc.Env(in.Env, map[string]string{"DEBIAN_FRONTEND": "noninteractive"}), Foreground: true}
		}
		return proc.Cmd{Path: "sudo", Args: append([]string{"DEBIAN_FRONTEND=noninteractive", "apt-get"}, args...), Foreground: true}
	}
	if err := in.run(ctx, aptCmd("update", "-qq")); err != nil {
		return fmt.Errorf("apt-get update: %w", err)
	}
	if err := in.run(ctx, aptCmd(append([]string{"install", "-y", "-qq"}, missing...)...)); err != nil {
		return fmt.Errorf("apt-get install %s: %w", list, err)
	}
	return nil
}

// terraform downloads the pinned Terraform release into .tools/bin when no terraform is installed.
func (in *Installer) terraform(ctx context.Context) error {
	tf := in.TF
	if tf == "" {
		tf = "terraform"
	}
	if in.have(tf) {
		return nil
	}
	if _, err := proc.Tool(in.Root, "terraform"); err == nil && tf == "terraform" {
		return nil // installed by an earlier run; the Makefile puts .tools/bin on PATH
	}
	if tf != "terraform" {
		return fmt.Errorf("TF=%q is not installed: install it or leave TF unset for the pinned Terraform %s", tf, in.TerraformVersion)
	}
	if err := CheckVersion("TERRAFORM_VERSION", in.TerraformVersion); err != nil {
		return err
	}
	fmt.Fprintf(in.Stdout, "deps: installing Terraform %s from %s\n", in.TerraformVersion, in.TerraformBase)
	if err := in.downloadTerraform(ctx); err != nil {
		return fmt.Errorf("terraform %s is missing and could not be installed (%w): install it by hand (https://developer.hashicorp.com/terraform/install)",
			in.TerraformVersion, err)
	}
	return nil
}

func (in *Installer) downloadTerraform(ctx context.Context) error {
	v := in.TerraformVersion
	name := fmt.Sprintf("terraform_%s_%s_%s.zip", v, in.GOOS, in.GOARCH)
	base := strings.TrimSuffix(in.TerraformBase, "/") + "/" + v + "/"
	sums, err := in.get(ctx, base+"terraform_"+v+"_SHA256SUMS", 1<<20)
	if err != nil {
		return err
	}
	want, err := checksum(sums, name)
	if err != nil {
		return err
	}
	archive, err := in.get(ctx, base+name, maxTerraformZip)
	if err != nil {
		return err
	}
	got := sha256.Sum256(archive)
	if hex.EncodeToString(got[:]) != want {
		return fmt.Errorf("%s: SHA-256 %x does not match the release's SHA256SUMS (%s)", name, got, want)
	}
	bin, err := terraformFromZip(archive)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	dir := filepath.Join(in.Root, ".tools", "bin")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".terraform-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // gone after the rename; cleans up after a failure
	if _, err := tmp.Write(bin); err != nil {
		return errors.Join(err, tmp.Close())
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	err = os.Chmod(tmp.Name(), 0o755) // #nosec G302 -- terraform is an executable for everyone, like its install
	if err != nil {
		return err
	}
	dest := filepath.Join(dir, "terraform")
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return err
	}
	fmt.Fprintf(in.Stdout, "deps: installed %s (SHA-256 checked)\n", dest)
	return nil
}

// get downloads url, at most limit bytes.
func (in *Installer) get(ctx context.Context, url string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := in.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download %s: %s", url, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", url, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("download %s: larger than %d bytes", url, limit)
	}
	return b, nil
}

// checksum is the SHA-256 that a SHA256SUMS file lists for name.
func checksum(sums []byte, name string) (string, error) {
	sc := bufio.NewScanner(bytes.NewReader(sums))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 2 && fields[1] == name {
			if len(fields[0]) != 64 {
				return "", fmt.Errorf("SHA256SUMS: %q is not a SHA-256", fields[0])
			}
			return strings.ToLower(fields[0]), nil
		}
	}
	return "", fmt.Errorf("SHA256SUMS lists no %s (no release for this platform?)", name)
}

// terraformFromZip is the terraform executable of a release zip.
func terraformFromZip(archive []byte) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		return nil, fmt.Errorf("read zip: %w", err)
	}
	for _, f := range zr.File {
		if f.Name != "terraform" {
			continue
		}
		if f.UncompressedSize64 > maxTerraformBinary {
			return nil, fmt.Errorf("terraform in the zip is larger than %d bytes", maxTerraformBinary)
		}
		r, err := f.Open()
		if err != nil {
			return nil, err
		}
		defer r.Close()
		b, err := io.ReadAll(io.LimitReader(r, maxTerraformBinary+1))
		if err != nil {
			return nil, err
		}
		if len(b) > maxTerraformBinary {
			return nil, fmt.Errorf("terraform in the zip is larger than %d bytes", maxTerraformBinary)
		}
		return b, nil
	}
	return nil, errors.New("no terraform in the zip")
}

// moto installs moto's server with pip when moto_server is missing.
func (in *Installer) moto(ctx context.Context) error {
	if in.have("moto_server") {
		return nil
	}
	if err := CheckVersion("MOTO_VERSION", in.MotoVersion); err != nil {
		return err
	}
	req := "moto[server]==" + in.MotoVersion
	hint := fmt.Sprintf("install it by hand: pip install '%s'", req)
	if !in.have("python3") {
		return fmt.Errorf("moto_server is missing and python3 is not installed: %s", hint)
	}
	fmt.Fprintf(in.Stdout, "deps: installing %s (PyPI)\n", req)
	if err := in.run(ctx, proc.Cmd{Path: "python3", Args: []string{"-m", "pip", "install", "-q", req}}); err != nil {
		return fmt.Errorf("moto_server is missing and pip could not install it (%w): %s", err, hint)
	}
	return nil
}

// goModules downloads the dependencies of every Go module.
func (in *Installer) goModules(ctx context.Context) error {
	var errs []error
	for _, m := range Modules {
		if err := in.run(ctx, proc.Cmd{Dir: filepath.Join(in.Root, m), Path: "go", Args: []string{"mod", "download"}}); err != nil {
			errs = append(errs, fmt.Errorf("go mod download in %s: %w", m, err))
		}
	}
	return errors.Join(errs...)
}

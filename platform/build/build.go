// Package build builds the Lambda zips of the functions: build/<arch>/<function>.zip with one entry,
// bootstrap, at the root. The bytes depend on the sources, the Go toolchain, the architecture and the
// version only (trimmed paths, no build id, a fixed entry time, no extra fields), so a rebuild writes the
// same zip and its SHA-256 is what Terraform's filebase64sha256 and Lambda's CodeSha256 report.
package build

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/webhealth/webhealth/platform/proc"
	"github.com/webhealth/webhealth/platform/release"
)

// EntryTime is the modification time of every zip entry and bootstrap file.
var EntryTime = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// EntryMode is bootstrap's mode in the zip (Lambda runs it).
const EntryMode os.FileMode = 0o755

// DevVersion is the version of a build that is no release.
const DevVersion = "dev"

// Options of Build.
type Options struct {
	Root      string // repository root (the product module), absolute
	BuildDir  string // default <Root>/build
	Arch      string // arm64 or amd64
	Version   string // a release version (semantic, no leading v) or dev
	Go        string // go command (default go)
	Functions []string
	Runner    proc.Runner
	Env       []string // the environment of go build (CGO_ENABLED, GOOS and GOARCH are set over it)
	Stdout    io.Writer
	Stderr    io.Writer
}

// CheckVersion says whether v may be built: dev, or a release version (the tag grammar's).
func CheckVersion(v string) error {
	if v == DevVersion {
		return nil
	}
	if err := release.CheckVersion(v); err != nil {
		return fmt.Errorf("%w, or %s", err, DevVersion)
	}
	return nil
}

// Build checks the options, then builds each function and writes its zip (replaced only when its bytes
// change; "built <zip>" is printed then). Nothing runs when an option is bad.
func Build(ctx context.Context, o Options) error {
	if err := release.CheckArch(o.Arch); err != nil {
		return fmt.Errorf("architecture: %w", err)
	}
	if err := CheckVersion(o.Version); err != nil {
		return err
	}
	if o.Root == "" || !filepath.IsAbs(o.Root) {
		return fmt.Errorf("build root %q is not an absolute path", o.Root)
	}
	if o.BuildDir == "" {
		o.BuildDir = filepath.Join(o.Root, "build")
	}
	if o.Go == "" {
		o.Go = "go"
	}
	if o.Functions == nil {
		o.Functions = release.Functions
	}
	env := proc.Env(o.Env, map[string]string{"CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": o.Arch})
	for _, fn := range o.Functions {
		dir := filepath.Join(o.BuildDir, o.Arch, fn)
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("build %s: %w", fn, err)
		}
		bootstrap := filepath.Join(dir, "bootstrap")
		err := o.Runner.Run(ctx, proc.Cmd{
			Path: o.Go,
			Args: []string{"build", "-trimpath", "-tags", "lambda.norpc",
				"-ldflags", "-s -w -buildid= -X main.version=" + o.Version,
				"-o", bootstrap, "./cmd/" + fn},
			Dir: o.Root, Env: env, Stdout: o.Stdout, Stderr: o.Stderr,
		})
		if err != nil {
			return fmt.Errorf("build %s: %w", fn, err)
		}
		if err := os.Chtimes(bootstrap, EntryTime, EntryTime); err != nil {
			return fmt.Errorf("build %s: %w", fn, err)
		}
		zipPath := filepath.Join(o.BuildDir, o.Arch, fn+".zip")
		changed, err := WriteZip(bootstrap, zipPath)
		if err != nil {
			return fmt.Errorf("build %s: %w", fn, err)
		}
		if changed {
			fmt.Fprintf(o.Stdout, "built %s\n", zipPath)
		}
	}
	return nil
}

// Zip returns the deterministic zip of a bootstrap binary.
func Zip(bootstrap []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(EntryMode)
	// The MS-DOS time fields, not Modified: Modified makes archive/zip add an extended-timestamp extra
	// field, and the entry is to carry none.
	//lint:ignore SA1019 the DOS fields are the only way to set a time without an extra field
	h.ModifiedDate, h.ModifiedTime = dosDateTime(EntryTime)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(bootstrap); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func dosDateTime(t time.Time) (date, clock uint16) {
	date = uint16(t.Day() + int(t.Month())<<5 + (t.Year()-1980)<<9) // #nosec G115 -- a fixed 2020 date
	clock = uint16(t.Second()/2 + t.Minute()<<5 + t.Hour()<<11)     // #nosec G115 -- within 16 bits
	return date, clock
}

// WriteZip zips the bootstrap file into dest, replacing dest only when the bytes differ; it says
// whether it did.
func WriteZip(bootstrap, dest string) (bool, error) {
	bin, err := os.ReadFile(bootstrap) // #nosec G304 -- the binary go build just wrote
	if err != nil {
		return false, err
	}
	z, err := Zip(bin)
	if err != nil {
		return false, fmt.Errorf("zip %s: %w", bootstrap, err)
	}
	old, err := os.ReadFile(dest) // #nosec G304 -- the zip it replaces
	if err == nil && bytes.Equal(old, z) {
		return false, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".tmp*")
	if err != nil {
		return false, err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // already gone after the rename
	if _, err := tmp.Write(z); err != nil {
		return false, errors.Join(err, tmp.Close())
	}
	if err := tmp.Chmod(0o644); err != nil {
		return false, errors.Join(err, tmp.Close())
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	return true, os.Rename(tmp.Name(), dest)
}

// ProductModule is the module path of the repository root's go.mod.
const ProductModule = "github.com/webhealth/webhealth"

// FindRoot is dir or its nearest parent holding the product module's go.mod.
func FindRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		b, err := os.ReadFile(filepath.Join(d, "go.mod")) // #nosec G304 -- a go.mod above the working directory
		if err == nil && modulePath(b) == ProductModule {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("%s is not inside the webhealth repository (no go.mod of %s above it)", dir, ProductModule)
		}
	}
}

func modulePath(gomod []byte) string {
	for line := range bytes.SplitSeq(gomod, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(bytes.TrimSpace(line), []byte("module ")); ok {
			return string(bytes.Trim(bytes.TrimSpace(rest), `"`))
		}
	}
	return ""
}

package lambdarun

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// ErrNoArtifact means no local zip has the CodeSha256 that moto reports for a deployed function:
// what would run is not provably what was deployed, so the runtime refuses to run anything.
var ErrNoArtifact = errors.New("no local artifact matches the deployed code")

// ArtifactError explains a refused function: which function, which hash, where we looked.
type ArtifactError struct {
	Function   string
	Version    string
	CodeSha256 string
	Pattern    string
	Candidates map[string]string // path -> CodeSha256
}

func (e *ArtifactError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "function %s (version %s): no local artifact matches the deployed CodeSha256 %s; looked in %s",
		e.Function, e.Version, e.CodeSha256, e.Pattern)
	if len(e.Candidates) == 0 {
		b.WriteString(" (no zips found)")
	} else {
		paths := make([]string, 0, len(e.Candidates))
		for p := range e.Candidates {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		b.WriteString(" (found")
		for _, p := range paths {
			fmt.Fprintf(&b, " %s=%s", p, e.Candidates[p])
		}
		b.WriteString(")")
	}
	b.WriteString("; build the zips for this machine (make build ARCH=<host arch>) and re-apply so the deployed code is the local build")
	return b.String()
}

func (e *ArtifactError) Unwrap() error { return ErrNoArtifact }

// Artifacts finds local Lambda zips (<root>/*/*.zip, the layout `make build` writes) by the
// base64 SHA-256 that Lambda reports as CodeSha256, and extracts them.
type Artifacts struct {
	root  string
	state string

	mu     sync.Mutex
	hashes map[string]fileHash // path -> hash, revalidated by size and mtime
}

type fileHash struct {
	size  int64
	mtime time.Time
	sum   string
}

// NewArtifacts searches root/*/*.zip and extracts matches under stateDir/code.
func NewArtifacts(root, stateDir string) *Artifacts {
	return &Artifacts{root: root, state: stateDir, hashes: map[string]fileHash{}}
}

// Pattern is where artifacts are searched, for messages.
func (a *Artifacts) Pattern() string { return filepath.Join(a.root, "*", "*.zip") }

// CodeSha256 is how Lambda reports a deployment package: base64 of its SHA-256.
func CodeSha256(b []byte) string {
	sum := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// Find returns the path of the zip whose CodeSha256 is sha.
func (a *Artifacts) Find(function, version, sha string) (string, error) {
	paths, err := filepath.Glob(a.Pattern())
	if err != nil {
		return "", fmt.Errorf("search artifacts %s: %w", a.Pattern(), err)
	}
	sort.Strings(paths)
	candidates := map[string]string{}
	for _, p := range paths {
		sum, err := a.hash(p)
		if err != nil {
			return "", err
		}
		if sum == sha {
			return p, nil
		}
		candidates[p] = sum
	}
	return "", &ArtifactError{Function: function, Version: version, CodeSha256: sha, Pattern: a.Pattern(), Candidates: candidates}
}

func (a *Artifacts) hash(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("stat artifact %s: %w", path, err)
	}
	a.mu.Lock()
	h, ok := a.hashes[path]
	a.mu.Unlock()
	if ok && h.size == st.Size() && h.mtime.Equal(st.ModTime()) {
		return h.sum, nil
	}
	f, err := os.Open(path) // #nosec G304 -- a zip found in the operator's -artifacts directory; reading it is the point
	if err != nil {
		return "", fmt.Errorf("open artifact %s: %w", path, err)
	}
	defer f.Close()
	d := sha256.New()
	if _, err := io.Copy(d, f); err != nil {
		return "", fmt.Errorf("hash artifact %s: %w", path, err)
	}
	sum := base64.StdEncoding.EncodeToString(d.Sum(nil))
	a.mu.Lock()
	a.hashes[path] = fileHash{size: st.Size(), mtime: st.ModTime(), sum: sum}
	a.mu.Unlock()
	return sum, nil
}

// Extract unpacks the zip with CodeSha256 sha (found at path) into a directory named after the
// hash, once; the result is the function's task root (LAMBDA_TASK_ROOT) holding bootstrap.
func (a *Artifacts) Extract(path, sha string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(sha)
	if err != nil {
		return "", fmt.Errorf("decode CodeSha256 %q: %w", sha, err)
	}
	dir := filepath.Join(a.state, "code", hex.EncodeToString(raw))
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err == nil {
		return dir, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o750); err != nil {
		return "", fmt.Errorf("create code dir: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".extract-")
	if err != nil {
		return "", fmt.Errorf("create code dir: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := unzip(path, tmp, maxUnzipped); err != nil {
		return "", fmt.Errorf("extract %s: %w", path, err)
	}
	if _, err := os.Stat(filepath.Join(tmp, "bootstrap")); err != nil {
		return "", fmt.Errorf("extract %s: no bootstrap at the root of the zip (the provided.al2023 runtime runs ./bootstrap)", path)
	}
	if err := os.WriteFile(filepath.Join(tmp, ".complete"), []byte(sha+"\n"), 0o600); err != nil {
		return "", err
	}
	_ = os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		return "", fmt.Errorf("install code dir: %w", err)
	}
	return dir, nil
}

// maxUnzipped is Lambda's quota on the unzipped size of a function's deployment package (250 MB): a
// zip that expands beyond it is refused, as Lambda refuses it, instead of filling the disk.
const maxUnzipped = 262_144_000

// unzip extracts the zip at path into dst, at most limit bytes in all. The entries are written
// through an os.Root at dst, so none can land outside it (neither by its name nor by a symlink).
func unzip(path, dst string, limit int64) error {
	r, err := zip.OpenReader(path)
	if err != nil {
		return err
	}
	defer r.Close()
	root, err := os.OpenRoot(dst)
	if err != nil {
		return err
	}
	defer root.Close()
	left := limit
	for _, f := range r.File {
		name := filepath.FromSlash(f.Name)
		if !filepath.IsLocal(name) {
			return fmt.Errorf("entry %q escapes the task root", f.Name)
		}
		if f.FileInfo().IsDir() {
			if err := root.MkdirAll(name, 0o750); err != nil {
				return err
			}
			continue
		}
		if err := root.MkdirAll(filepath.Dir(name), 0o750); err != nil {
			return err
		}
		mode := f.Mode().Perm()
		if name == "bootstrap" || mode&0o100 != 0 {
			mode |= 0o755
		}
		if mode == 0 {
			mode = 0o644
		}
		n, err := writeEntry(root, f, name, mode, left)
		if err != nil {
			return err
		}
		left -= n
	}
	return nil
}

// writeEntry writes the zip entry f to name under root, failing once it would exceed limit bytes.
// It returns the bytes written.
func writeEntry(root *os.Root, f *zip.File, name string, mode os.FileMode, limit int64) (int64, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	out, err := root.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, io.LimitReader(rc, limit+1))
	if err == nil && n > limit {
		err = fmt.Errorf("entry %q: the zip expands beyond Lambda's %d-byte limit on an unzipped package", f.Name, maxUnzipped)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return n, err
}

package release

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// snapshotExcluded are the paths a release snapshot leaves out (relative, slash-separated): the git
// history, Terraform working directories, per-release state and plans, tools, local stack and reports.
// The snapshot keeps the sources, build/<arch> zips and build/release/tag, what the drift check needs.
var snapshotExcluded = []string{
	".git", "build/tfdata", "build/plans", "build/tools", "build/release/snapshot.zip",
	"build/emulator-deployed", ".tools", ".tf", ".local", "reports",
}

// snapshotSkips says whether rel (slash-separated, relative to the root) stays out of the snapshot.
func snapshotSkips(rel string) bool {
	for _, x := range snapshotExcluded {
		if rel == x || strings.HasPrefix(rel, x+"/") {
			return true
		}
	}
	// Terraform working directories anywhere (.terraform, and names ending in it).
	for seg := range strings.SplitSeq(rel, "/") {
		if strings.HasSuffix(seg, ".terraform") {
			return true
		}
	}
	return false
}

// WriteSnapshot zips the repository at root into dest (the release snapshot): regular files with their
// modes and times, symbolic links to files as the files they name; dest itself is never included.
func WriteSnapshot(root, dest string) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(dest), ".snapshot-*.zip")
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name()) // a partial snapshot is never left behind
		}
	}()
	zw := zip.NewWriter(tmp)
	destAbs, _ := filepath.Abs(dest)
	tmpAbs, _ := filepath.Abs(tmp.Name())
	walkErr := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if abs, _ := filepath.Abs(path); abs == destAbs || abs == tmpAbs || snapshotSkips(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		info, err := os.Stat(path) // follows a symbolic link
		if err != nil || !info.Mode().IsRegular() {
			return nil // a dangling link, a link to a directory, a socket: not part of the sources
		}
		return addFile(zw, path, rel, info)
	})
	if err := errors.Join(walkErr, zw.Close(), tmp.Close()); err != nil {
		return fmt.Errorf("snapshot of %s: %w", root, err)
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	return nil
}

func addFile(zw *zip.Writer, path, name string, info fs.FileInfo) error {
	h, err := zip.FileInfoHeader(info)
	if err != nil {
		return err
	}
	h.Name, h.Method = name, zip.Deflate
	w, err := zw.CreateHeader(h)
	if err != nil {
		return err
	}
	f, err := os.Open(path) // #nosec G304 -- a file of the repository being snapshotted
	if err != nil {
		return err
	}
	_, err = io.Copy(w, f)
	return errors.Join(err, f.Close())
}

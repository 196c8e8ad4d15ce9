// Package atomicfile writes files that matter so that a crash or a power
// cut leaves either the old file or the new one, never a part of either.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// Write writes b to path, mode 0600: a temporary file in the same
// directory, fsync, rename over path, fsync of the directory (the rename
// is durable only once the directory is). On any error path is as it was
// and the temporary file is gone.
func Write(path string, b []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("atomicfile.Write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("atomicfile.Write %s: %w", path, err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("atomicfile.Write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("atomicfile.Write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("atomicfile.Write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("atomicfile.Write %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("atomicfile.Write %s: sync directory: %w", path, err)
	}
	return nil
}

// syncDir fsyncs a directory (a variable so a test can see it is called
// after the rename).
var syncDir = func(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

package titles

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// copyBuf is the size of one read while installing: large enough for few
// system calls, small enough for the station's memory budget.
const copyBuf = 1 << 20

// copyInto copies src to dst (a temporary file in dst's directory, synced,
// renamed over dst, the directory synced) and returns SHA-256 of the bytes
// copied.
func copyInto(ctx context.Context, src, dst string) ([]byte, error) {
	in, err := os.Open(src)
	if err != nil {
		return nil, fmt.Errorf("titles.Add: %w", err)
	}
	defer in.Close()
	out, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("titles.Add: %w", err)
	}
	tmp := out.Name()
	defer os.Remove(tmp) // no-op after the rename
	h := sha256.New()
	if err := copyHashing(ctx, io.MultiWriter(out, h), in); err != nil {
		out.Close()
		return nil, fmt.Errorf("titles.Add: copying %s: %w", src, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return nil, fmt.Errorf("titles.Add: %w", err)
	}
	if err := out.Close(); err != nil {
		return nil, fmt.Errorf("titles.Add: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return nil, fmt.Errorf("titles.Add: %w", err)
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// hashFile returns SHA-256 of the file at path.
func hashFile(ctx context.Context, path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("titles.Add: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if err := copyHashing(ctx, h, f); err != nil {
		return nil, fmt.Errorf("titles.Add: hashing %s: %w", path, err)
	}
	return h.Sum(nil), nil
}

// copyHashing copies r to w (the hash among its writers) a buffer at a time, stopping when ctx ends.
func copyHashing(ctx context.Context, w io.Writer, r io.Reader) error {
	buf := make([]byte, copyBuf)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// sameFile reports whether a and b are the same file.
func sameFile(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}

// readBounded reads a record file, refusing one larger than maxRecord.
func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxRecord+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxRecord {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrRecord, path, maxRecord)
	}
	return b, nil
}

// syncDir makes a rename or removal in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("titles: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("titles: syncing %s: %w", dir, err)
	}
	return nil
}

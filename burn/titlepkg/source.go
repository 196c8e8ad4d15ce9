package titlepkg

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// pageSize is the alignment of a direct read (source_linux.go): the
// largest logical block size of the disks a station uses.
const pageSize = 4096

// directSlack is what ChunkBufSize adds to a chunk and its tag so that a
// direct read fits: the chunk's first and last bytes rounded out to whole
// pages of the file.
const directSlack = 2 * pageSize

// source is where FetchChunk gets a chunk's bytes: the n bytes at file
// offset off, read into buf (at least n bytes) and returned as a slice of
// buf that need not start at buf[0]. The chunk's layout (offset, length,
// tag) is computed once, in FetchChunk; a source only moves bytes, always
// into the caller's private buffer, so what GCM authenticates is what it
// decrypts even if the file changes meanwhile.
type source interface {
	fetch(buf []byte, off, n int64) ([]byte, error)
}

// readerSource reads through io.ReaderAt: a package opened with
// OpenReader (a synthetic package, any reader that is not a file), or a
// file whose file system does not take direct reads.
type readerSource struct{ r io.ReaderAt }

func (s readerSource) fetch(buf []byte, off, n int64) ([]byte, error) {
	if _, err := s.r.ReadAt(buf[:n], off); err != nil {
		return nil, shortRead(err)
	}
	return buf[:n], nil
}

// shortRead names a read that ended before the chunk did: the file is
// shorter than the manifest authenticated when it was opened said.
func shortRead(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: the file ends before the chunk does (truncated after it was opened)", ErrPackageChanged)
	}
	return err
}

// openSource returns the source for a package file: direct reads where
// the platform and the file system allow them, else the file itself, and
// what to close with the package.
func openSource(f *os.File) (source, io.Closer) {
	if d := openDirect(f); d != nil {
		return d, d
	}
	return readerSource{f}, nil
}

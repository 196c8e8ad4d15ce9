package udf

import (
	"fmt"
	"io"
)

func (f File) dir() bool { return f.Data == nil && f.Reader == nil }

func (f File) size() int64 {
	if f.Reader != nil {
		return f.Size
	}
	return int64(len(f.Data))
}

// StreamTo writes the image so far to w and makes Add write every later
// block there, so a large file passes through without being held; Image
// is then nil.
func (u *Tree) StreamTo(w io.Writer) error {
	if _, err := w.Write(u.img); err != nil {
		return fmt.Errorf("udf.StreamTo: %w", err)
	}
	u.img, u.w = nil, w
	return nil
}

// maxExtent is the largest file Add writes as one extent: an extent
// length is 30 bits, and a whole number of blocks keeps the next one
// aligned.
const maxExtent = 1<<30 - udfBlock

// appendData writes a file's nblk blocks, from Data or from Reader.
func (u *Tree) appendData(f File, nblk int) error {
	if f.Reader == nil {
		for i := range nblk {
			u.appendBlock(f.Data[i*udfBlock : min(len(f.Data), (i+1)*udfBlock)])
		}
		return nil
	}
	buf := make([]byte, udfBlock)
	left := f.Size
	for range nblk {
		n := min(left, udfBlock)
		if _, err := io.ReadFull(f.Reader, buf[:n]); err != nil {
			return fmt.Errorf("%w: reading the file's %d bytes: %v", ErrImage, f.Size, err)
		}
		u.appendBlock(buf[:n])
		left -= n
	}
	return nil
}

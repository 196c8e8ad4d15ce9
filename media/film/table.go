package film

import (
	"bytes"
	"fmt"
)

// Table is a film's digest table in memory: for each forensic segment,
// where it is and the video digests of its two variants (docs/tracing.md,
// "Variants in the video stream"). It has no file format of its own: the
// title's trace record (tracing/digests, version 2) carries the same
// digests and is what the issuer keeps and the ledger commits to.
type Table struct {
	Title    string
	Segments []SegmentDigests
}

// SegmentDigests is one segment's entry.
type SegmentDigests struct {
	// Start and Sectors place the segment in the image (as the title
	// package's segment table does).
	Start   uint64
	Sectors uint32
	// FirstFrame and Frames place its GOP in the video (frame numbers
	// from 0).
	FirstFrame int
	Frames     int
	// A and B are the GOP digests (media/h264 GOP.Digest) of the
	// variants.
	A []byte
	B []byte
}

// check holds a table to what tracing needs: 1 to 4096 segments, two
// different 32-byte digests each, no digest used twice.
func (t *Table) check() error {
	if len(t.Segments) == 0 || len(t.Segments) > 4096 {
		return fmt.Errorf("%w: %d segments, want 1 to 4096", ErrTable, len(t.Segments))
	}
	seen := map[string]bool{}
	for i, s := range t.Segments {
		if len(s.A) != 32 || len(s.B) != 32 || bytes.Equal(s.A, s.B) {
			return fmt.Errorf("%w: segment %d needs two different 32-byte digests", ErrTable, i)
		}
		for _, d := range [][]byte{s.A, s.B} {
			if seen[string(d)] {
				return fmt.Errorf("%w: segment %d repeats a digest", ErrTable, i)
			}
			seen[string(d)] = true
		}
	}
	return nil
}

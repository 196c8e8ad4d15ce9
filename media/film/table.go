package film

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// TableVersion is the digest table format this package writes and reads.
const TableVersion = 1

// MaxTable bounds a digest table file (4096 segments at about 250 bytes).
const MaxTable = 2 << 20

// Table is a title's digest table: for each forensic segment, where it
// is and the digests of its two variants (docs/tracing.md, "Variants in
// the video stream"). It holds no secret: the digests tell the variants
// apart, not which copy holds which.
type Table struct {
	Version  int              `json:"version"`
	Title    string           `json:"title"`
	Segments []SegmentDigests `json:"segments"`
}

// SegmentDigests is one segment's entry.
type SegmentDigests struct {
	// Start and Sectors place the segment in the image (as the title
	// package's segment table does).
	Start   uint64 `json:"start_sector"`
	Sectors uint32 `json:"sectors"`
	// FirstFrame and Frames place its GOP in the video (frame numbers
	// from 0).
	FirstFrame int `json:"first_frame"`
	Frames     int `json:"frames"`
	// A and B are the GOP digests (media/h264 GOP.Digest) of the
	// variants.
	A []byte `json:"a"`
	B []byte `json:"b"`
}

// Marshal encodes the table as JSON (digests in base64, as encoding/json
// writes byte slices).
func (t *Table) Marshal() ([]byte, error) { return json.MarshalIndent(t, "", " ") }

// ReadTable reads and checks a digest table: the version, at most 4096
// segments, 32-byte digests, A and B different, no digest used twice.
func ReadTable(r io.Reader) (*Table, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxTable+1))
	if err != nil {
		return nil, fmt.Errorf("film.ReadTable: %w", err)
	}
	if len(b) > MaxTable {
		return nil, fmt.Errorf("film.ReadTable: %w: longer than %d bytes", ErrTable, MaxTable)
	}
	var t Table
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("film.ReadTable: %w: %v", ErrTable, err)
	}
	if t.Version != TableVersion {
		return nil, fmt.Errorf("film.ReadTable: %w: version %d, this build reads %d", ErrTable, t.Version, TableVersion)
	}
	if err := t.check(); err != nil {
		return nil, fmt.Errorf("film.ReadTable: %w", err)
	}
	return &t, nil
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

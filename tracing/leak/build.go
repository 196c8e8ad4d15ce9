package leak

import (
	"cmp"
	"crypto/sha256"
	"fmt"
	"io"
	"slices"

	"copystation/burn/titlepkg"
	"copystation/tracing/digests"
	"copystation/tracing/tardos"
)

// Build makes a title's trace record at packaging: variant A's digest is
// hashed from the original image (streamed once, as Hash does), variant
// B's from the variant's bytes. It refuses (digests.ErrSpec) fewer segments
// than the parameters need, a segment the image does not hold, and a
// segment whose two variants are identical.
func Build(titleID string, p tardos.Params, image io.Reader, variants []titlepkg.Variant) (*digests.Record, error) {
	code, err := p.Code()
	if err != nil {
		return nil, fmt.Errorf("leak.Build: %w: %w", digests.ErrSpec, err)
	}
	if len(variants) < code.M {
		return nil, fmt.Errorf("leak.Build: %w: %d forensic segments, the parameters (N=%d, C=%d, Eps1=%g) need %d",
			digests.ErrSpec, len(variants), p.N, p.C, p.Eps1, code.M)
	}
	vs := slices.Clone(variants)
	slices.SortStableFunc(vs, func(a, b titlepkg.Variant) int { return cmp.Compare(a.Start, b.Start) })
	rec := &digests.Record{TitleID: titleID, Params: p, Entries: make([]digests.Entry, len(vs))}
	spans := make([]Span, len(vs))
	var next uint64
	for i, v := range vs {
		if len(v.B) == 0 || len(v.B)%titlepkg.SectorSize != 0 || len(v.B)/titlepkg.SectorSize > titlepkg.MaxSegmentSectors || v.Start < next {
			return nil, fmt.Errorf("leak.Build: %w: variant at sector %d is %d bytes or overlaps the one before", digests.ErrSpec, v.Start, len(v.B))
		}
		n := uint32(len(v.B) / titlepkg.SectorSize)
		spans[i] = Span{Start: v.Start, Sectors: n}
		rec.Entries[i] = digests.Entry{Start: v.Start, Sectors: n, B: sha256.Sum256(v.B)}
		next = v.Start + uint64(n)
	}
	found, err := Hash(image, spans)
	if err != nil {
		return nil, fmt.Errorf("leak.Build: %w", err)
	}
	for i, f := range found {
		if !f.Present {
			return nil, fmt.Errorf("leak.Build: %w: the image ends before segment %d (sector %d)", digests.ErrSpec, i, spans[i].Start)
		}
		rec.Entries[i].A = f.Digest
	}
	if err := rec.Check(); err != nil {
		return nil, fmt.Errorf("leak.Build: %w", err)
	}
	return rec, nil
}

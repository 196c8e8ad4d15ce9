package custody

import "fmt"

// DealFile is the public part of a deal, as the issuer carries it from
// packaging to registration: the title it was dealt for, each node's root
// and sealed shares. Nothing in it opens a key without a node's custody key.
type DealFile struct {
	Title Title
	Roots [][32]byte
	Blobs [][]byte
}

const dealFileMagic = "copystation deal v1"

// Public is the deal's public part for title (the keys stay with the
// caller, to package with and wipe).
func (d *Dealt) Public(title Title) *DealFile {
	return &DealFile{Title: title, Roots: d.Roots, Blobs: d.Blobs}
}

// MarshalBinary: magic ‖ u16-prefixed chain ID ‖ u16-prefixed title ID ‖
// u32 S ‖ u16 n ‖ n × (root (32) ‖ sealed shares, exactly
// SealedSharesLen(S) bytes).
func (f *DealFile) MarshalBinary() ([]byte, error) {
	if err := f.Title.check("custody.DealFile.MarshalBinary"); err != nil {
		return nil, err
	}
	b := appendMagic(nil, dealFileMagic)
	b = appendField(b, []byte(f.Title.ChainID))
	b = appendField(b, []byte(f.Title.TitleID))
	b = appendU32(b, f.Title.Segments)
	b = appendU16(b, len(f.Roots))
	for i := range f.Roots {
		b = append(b, f.Roots[i][:]...)
		b = append(b, f.Blobs[i]...)
	}
	return b, nil
}

// UnmarshalDealFile decodes a deal file, bounding every count and size
// before it allocates: at most MaxNodes nodes and MaxSegments segments,
// every blob exactly SealedSharesLen(S).
func UnmarshalDealFile(b []byte) (*DealFile, error) {
	r := &reader{op: "custody.UnmarshalDealFile", b: b}
	r.magic(dealFileMagic)
	f := &DealFile{}
	f.Title.ChainID = string(r.field(1, MaxLabelField, "chain ID"))
	f.Title.TitleID = string(r.field(1, MaxLabelField, "title ID"))
	f.Title.Segments = r.u32("segment count")
	if r.err == nil {
		if err := f.Title.check(r.op); err != nil {
			r.err = fmt.Errorf("%w: %w", ErrEncoding, err)
		}
	}
	n := r.count(1, MaxNodes, "node count")
	if r.err == nil && len(r.b) != n*(32+SealedSharesLen(f.Title.Segments)) {
		r.fail("%d bytes of roots and shares, want %d for %d nodes", len(r.b), n*(32+SealedSharesLen(f.Title.Segments)), n)
	}
	if r.err != nil {
		return nil, r.err
	}
	f.Roots, f.Blobs = make([][32]byte, n), make([][]byte, n)
	for i := range n {
		copy(f.Roots[i][:], r.bytes(32, "root"))
		f.Blobs[i] = r.bytes(SealedSharesLen(f.Title.Segments), "sealed shares")
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	return f, nil
}

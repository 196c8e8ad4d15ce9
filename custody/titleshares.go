package custody

import "fmt"

// TitleShares is node Node's share vector of one title: y_k for the 1+2S
// keys k (KeyIndex), 32-byte big-endian scalars. It lives sealed: in the
// registration (HPKE to the node's custody key) and in the node's vault
// (MarshalBinary is what the vault seals).
type TitleShares struct {
	Node     int
	Segments int
	y        [][ScalarLen]byte
}

const titleSharesMagic = "copystation title shares v1"

// MarshalBinary: magic ‖ u16(node) ‖ u32(S) ‖ (1+2S) × 32-byte scalars in key
// order. The caller seals it and clears the slice.
func (ts *TitleShares) MarshalBinary() ([]byte, error) {
	// The exact size: a buffer that grew would leave a copy of the shares
	// behind, uncleared.
	b := appendMagic(make([]byte, 0, 2+len(titleSharesMagic)+2+4+ScalarLen*len(ts.y)), titleSharesMagic)
	b = appendU16(b, ts.Node)
	b = appendU32(b, ts.Segments)
	for i := range ts.y {
		b = append(b, ts.y[i][:]...)
	}
	return b, nil
}

// UnmarshalTitleShares decodes a share vector, checking every scalar is
// canonical.
func UnmarshalTitleShares(b []byte) (*TitleShares, error) {
	r := &reader{op: "custody.UnmarshalTitleShares", b: b}
	r.magic(titleSharesMagic)
	ts := &TitleShares{Node: r.count(0, MaxNodes-1, "node index")}
	ts.Segments = r.u32("segment count")
	if r.err == nil && (ts.Segments < 1 || ts.Segments > MaxSegments) {
		r.fail("%d segments, want 1 to %d", ts.Segments, MaxSegments)
	}
	if r.err == nil && len(r.b) != ScalarLen*(1+2*ts.Segments) {
		r.fail("%d bytes of shares, want %d", len(r.b), ScalarLen*(1+2*ts.Segments))
	}
	if r.err != nil {
		return nil, r.err
	}
	ts.y = make([][ScalarLen]byte, 1+2*ts.Segments)
	for k := 0; k < len(ts.y) && r.err == nil; k++ {
		copy(ts.y[k][:], r.bytes(ScalarLen, "share"))
		checkScalar(r, ts.y[k][:], fmt.Sprintf("share %d", k))
	}
	if err := r.done(); err != nil {
		ts.Wipe()
		return nil, err
	}
	return ts, nil
}

// root is the Merkle root over this vector's leaves, in key order.
func (ts *TitleShares) root(titleID string) [32]byte {
	leaves := make([][32]byte, len(ts.y))
	for k := range ts.y {
		leaves[k] = leafHash(titleID, ts.Node, k, ts.y[k][:])
	}
	return merkleRoot(leaves)
}

// Wipe clears the shares.
func (ts *TitleShares) Wipe() {
	if ts == nil {
		return
	}
	for k := range ts.y {
		clear(ts.y[k][:])
	}
}

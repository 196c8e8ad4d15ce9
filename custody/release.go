package custody

import (
	"fmt"
)

// Release is what node Node returns to a station for one copy: its share of
// K_0 and, for each segment s, its share of the variant the codeword selects
// with the leaf hash of the other variant's share — enough to recompute the
// node's Merkle root, nothing that opens the other variant.
type Release struct {
	Node     int
	Base     [ScalarLen]byte
	Selected [][ScalarLen]byte // [segment]
	Siblings [][32]byte        // [segment]: leaf hash of the unselected share
	// Codeword is the codeword the node selected for: the station, which
	// cannot derive a Tardos codeword (it does not know the title's
	// biases), learns it here, and VerifyRelease holds it to the shares.
	Codeword Codeword
}

// releaseMagic: v2 carries the codeword (docs/key-custody.md, "Release
// rounds").
const releaseMagic = "copystation release v2"

// Release selects this node's shares for a copy with codeword cw. The caller
// has checked the copy's signature (ReleaseFor does both).
func (ts *TitleShares) Release(titleID string, cw Codeword) (*Release, error) {
	if cw.N != ts.Segments {
		return nil, fmt.Errorf("custody.TitleShares.Release: %w: codeword has %d bits, title has %d segments", ErrCodeword, cw.N, ts.Segments)
	}
	r := &Release{Node: ts.Node, Base: ts.y[0], Codeword: cw.clone(),
		Selected: make([][ScalarLen]byte, ts.Segments), Siblings: make([][32]byte, ts.Segments)}
	for s := 0; s < ts.Segments; s++ {
		c := cw.Bit(s)
		r.Selected[s] = ts.y[KeyIndex(s, c)]
		other := KeyIndex(s, 1-c)
		r.Siblings[s] = leafHash(titleID, ts.Node, other, ts.y[other][:])
	}
	return r, nil
}

// ReleaseFor is the node's whole decision for a copy: it checks the
// station's σ_copy against the group key and the label the node built from
// its own ledger (so the station cannot choose the codeword), derives the
// codeword with derive (custody's uniform bits, DeriveCodeword, or a
// title's Tardos codeword from σ's seed) and selects the shares.
func (ts *TitleShares) ReleaseFor(titleID string, g *Group, label []byte, sig Signature,
	derive func(Signature, int) (Codeword, error)) (*Release, error) {
	if err := Verify(g.Key(), label, sig); err != nil {
		return nil, fmt.Errorf("custody.TitleShares.ReleaseFor: %w", err)
	}
	if derive == nil {
		derive = DeriveCodeword
	}
	cw, err := derive(sig, ts.Segments)
	if err != nil {
		return nil, fmt.Errorf("custody.TitleShares.ReleaseFor: %w", err)
	}
	return ts.Release(titleID, cw)
}

// Wipe clears the shares in the release.
func (r *Release) Wipe() {
	clear(r.Base[:])
	for s := range r.Selected {
		clear(r.Selected[s][:])
	}
}

// MarshalBinary: magic ‖ u16(node) ‖ u32(S) ‖ codeword (⌈S/8⌉ bytes, most
// significant bit first, padding bits zero) ‖ 32-byte base share ‖ S ×
// (32-byte selected share ‖ 32-byte sibling leaf hash). Sealed to the station
// before it leaves the node.
func (r *Release) MarshalBinary() ([]byte, error) {
	if r.Codeword.N != len(r.Selected) || len(r.Codeword.bits) != (len(r.Selected)+7)/8 {
		return nil, fmt.Errorf("custody.Release.MarshalBinary: %w: codeword of %d bits for %d segments", ErrCodeword, r.Codeword.N, len(r.Selected))
	}
	b := appendMagic(make([]byte, 0, ReleaseLen(len(r.Selected))), releaseMagic)
	b = appendU16(b, r.Node)
	b = appendU32(b, len(r.Selected))
	b = append(b, r.Codeword.bits...)
	b = append(b, r.Base[:]...)
	for s := range r.Selected {
		b = append(b, r.Selected[s][:]...)
		b = append(b, r.Siblings[s][:]...)
	}
	return b, nil
}

// ReleaseLen is the encoded size of a release for S segments.
func ReleaseLen(segments int) int {
	return 2 + len(releaseMagic) + 2 + 4 + (segments+7)/8 + ScalarLen + segments*(ScalarLen+32)
}

// UnmarshalRelease decodes a release opened by the station; shares must be
// canonical scalars. Whether they are the node's committed shares is
// VerifyRelease's job.
func UnmarshalRelease(b []byte) (*Release, error) {
	r := &reader{op: "custody.UnmarshalRelease", b: b}
	r.magic(releaseMagic)
	rel := &Release{Node: r.count(0, MaxNodes-1, "node index")}
	segs := r.u32("segment count")
	if r.err == nil && (segs < 1 || segs > MaxSegments) {
		r.fail("%d segments, want 1 to %d", segs, MaxSegments)
	}
	if r.err == nil && len(r.b) != (segs+7)/8+ScalarLen+segs*(ScalarLen+32) {
		r.fail("%d bytes of codeword and shares, want %d", len(r.b), (segs+7)/8+ScalarLen+segs*(ScalarLen+32))
	}
	if r.err != nil {
		return nil, r.err
	}
	cw, err := CodewordFromBits(r.bytes((segs+7)/8, "codeword"), segs)
	if err != nil {
		return nil, fmt.Errorf("custody.UnmarshalRelease: %w", err)
	}
	rel.Codeword = cw
	copy(rel.Base[:], r.bytes(ScalarLen, "base share"))
	checkScalar(r, rel.Base[:], "base share")
	rel.Selected = make([][ScalarLen]byte, segs)
	rel.Siblings = make([][32]byte, segs)
	for s := 0; s < segs && r.err == nil; s++ {
		copy(rel.Selected[s][:], r.bytes(ScalarLen, "share"))
		checkScalar(r, rel.Selected[s][:], "share")
		copy(rel.Siblings[s][:], r.bytes(32, "sibling hash"))
	}
	if err := r.done(); err != nil {
		rel.Wipe()
		return nil, err
	}
	return rel, nil
}

func checkScalar(r *reader, b []byte, what string) {
	if r.err == nil && suite.G1().Scalar().UnmarshalBinary(b) != nil {
		r.fail("%s: not a canonical scalar", what)
	}
}

// VerifyRelease checks a node's release for a copy against the node's root
// from the title manifest; a mismatch is a *NodeError wrapping ErrBadShare.
func VerifyRelease(title Title, root [32]byte, r *Release, cw Codeword) error {
	bad := func(why string) error {
		return fmt.Errorf("custody.VerifyRelease: %w", &NodeError{Node: r.Node, Err: fmt.Errorf("%w: %s", ErrBadShare, why)})
	}
	if cw.N != title.Segments || len(r.Selected) != title.Segments || len(r.Siblings) != title.Segments {
		return bad(fmt.Sprintf("release has %d segments, codeword %d, title %d", len(r.Selected), cw.N, title.Segments))
	}
	if !cw.Equal(r.Codeword) {
		return bad("the release names another codeword")
	}
	leaves := make([][32]byte, 1+2*title.Segments)
	leaves[0] = leafHash(title.TitleID, r.Node, 0, r.Base[:])
	for s := 0; s < title.Segments; s++ {
		c := cw.Bit(s)
		leaves[KeyIndex(s, c)] = leafHash(title.TitleID, r.Node, KeyIndex(s, c), r.Selected[s][:])
		leaves[KeyIndex(s, 1-c)] = r.Siblings[s]
	}
	if merkleRoot(leaves) != root {
		return bad("shares do not hash to the node's root")
	}
	return nil
}

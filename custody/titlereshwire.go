package custody

import (
	"fmt"

	"go.dedis.ch/kyber/v4"
	dkg "go.dedis.ch/kyber/v4/share/dkg/pedersen"
)

const titleReshareMagic = "copystation title reshare deal v1"

// TitleReshareDeal is one old node's resharing deal of its shares of one
// title (docs/key-custody.md, "Resharing"): Feldman commitments to f_{i,k}
// for every key and, per new node, the evaluations sealed to its custody
// key. It is public; the decoder only parses, CombineTitleReshare checks.
type TitleReshareDeal struct {
	Dealer   int // old index
	NewN     int
	NewT     int
	Segments int
	ChainID  string
	TitleID  string
	Commits  []kyber.Point // (1+2S)·NewT G1 points: key-major, a_0 first
	Sealed   [][]byte      // NewN HPKE ciphertexts, new order
	Nonce    []byte
	Sig      []byte // Schnorr on G2 under the dealer's DKG key over signed
	signed   []byte
}

// sealedSharesLen is the size of an HPKE-sealed TitleShares vector of S
// segments: X25519 enc (32) ‖ plaintext ‖ AES-GCM tag (16).
func sealedSharesLen(segments int) int {
	return 32 + 2 + len(titleSharesMagic) + 2 + 4 + ScalarLen*(1+2*segments) + 16
}

// commitsFor is key k's commitments.
func (d *TitleReshareDeal) commitsFor(k int) []kyber.Point {
	return d.Commits[k*d.NewT : (k+1)*d.NewT]
}

// encodeSigned is every field before the signature.
func (d *TitleReshareDeal) encodeSigned() ([]byte, error) {
	b := appendMagic(nil, titleReshareMagic)
	b = appendU16(b, d.Dealer)
	b = appendU16(b, d.NewN)
	b = appendU16(b, d.NewT)
	b = appendU32(b, d.Segments)
	b = appendField(b, []byte(d.ChainID))
	b = appendField(b, []byte(d.TitleID))
	for _, c := range d.Commits {
		cb, err := c.MarshalBinary()
		if err != nil {
			return nil, err
		}
		b = append(b, cb...)
	}
	for _, s := range d.Sealed {
		b = appendU32(b, len(s))
		b = append(b, s...)
	}
	return appendField(b, d.Nonce), nil
}

// DecodeTitleReshareDeal parses a deal file. Counts are bounded (S to
// MaxSegments, nodes to MaxNodes) and every length checked against the
// bytes present before anything is allocated for it.
func DecodeTitleReshareDeal(b []byte) (*TitleReshareDeal, error) {
	r := &reader{op: "custody.DecodeTitleReshareDeal", b: b}
	r.magic(titleReshareMagic)
	d := &TitleReshareDeal{Dealer: r.count(0, MaxNodes-1, "dealer index")}
	d.NewN = r.count(1, MaxNodes, "new node count")
	d.NewT = r.count(1, MaxNodes, "new threshold")
	d.Segments = r.u32("segment count")
	if r.err == nil && (d.Segments < 1 || d.Segments > MaxSegments) {
		r.fail("%d segments, want 1 to %d", d.Segments, MaxSegments)
	}
	d.ChainID = string(r.field(1, MaxLabelField, "chain ID"))
	d.TitleID = string(r.field(1, MaxLabelField, "title ID"))
	nc := (1 + 2*d.Segments) * d.NewT
	if r.err == nil && len(r.b) < nc*G1Len {
		r.fail("%d commitments need %d bytes, have %d", nc, nc*G1Len, len(r.b))
	}
	if r.err == nil {
		d.Commits = make([]kyber.Point, 0, nc)
	}
	for i := 0; i < nc && r.err == nil; i++ {
		d.Commits = append(d.Commits, r.g1("commitment"))
	}
	want := sealedSharesLen(d.Segments)
	for i := 0; i < d.NewN && r.err == nil; i++ {
		if n := r.u32("sealed length"); r.err == nil && n != want {
			r.fail("sealed shares for new node %d are %d bytes, want %d", i, n, want)
		}
		d.Sealed = append(d.Sealed, r.bytes(want, "sealed shares"))
	}
	d.Nonce = r.field(dkg.NonceLength, dkg.NonceLength, "session ID")
	d.signed = b[:len(b)-len(r.b)]
	d.Sig = r.pointed(sigLen, "signature")
	if err := r.done(); err != nil {
		return nil, err
	}
	return d, nil
}

// g1 reads a compressed G1 point; circl checks curve and subgroup.
func (r *reader) g1(what string) kyber.Point {
	b := r.bytes(G1Len, what)
	if r.err != nil {
		return nil
	}
	p, err := ParseG1(b)
	if err != nil {
		r.fail("%s: %v", what, err)
		return nil
	}
	return p
}

// reshareInfo is the HPKE info of dealer's evaluations for new node to.
func (t Title) reshareInfo(dealer, to int, nonce []byte) []byte {
	b := []byte("copystation title reshare v1")
	b = appendField(b, []byte(t.ChainID))
	b = appendField(b, []byte(t.TitleID))
	b = appendU16(b, dealer)
	b = appendU16(b, to)
	return appendField(b, nonce)
}

func (d *TitleReshareDeal) String() string {
	return fmt.Sprintf("title reshare deal of dealer %d for %q", d.Dealer, d.TitleID)
}

package custody

import (
	"fmt"
	"sort"

	"go.dedis.ch/kyber/v4"
	"go.dedis.ch/kyber/v4/share"
	"go.dedis.ch/kyber/v4/sign/tbls"
)

// scheme is threshold BLS (Boldyreva) with signatures on G1, keys on G2,
// hashing to G1 with the RFC 9380 suite BLS12381G1_XMD:SHA-256_SSWU_RO_ and
// the DST "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_" (kyber's circl G1).
var scheme = tbls.NewThresholdSchemeOnG1(suite)

// Signature is a group BLS signature x·H1(label), compressed G1. BLS
// signatures are unique: one label, one signature, whichever t nodes made it.
type Signature [G1Len]byte

// Partial is node Node's signature x_i·H1(label) on a label.
type Partial struct {
	Node int
	Sig  [G1Len]byte
}

// PartialLen is the size of an encoded Partial.
const PartialLen = 2 + G1Len

// MarshalBinary: u16(node) ‖ 48-byte compressed G1 (kyber's tbls SigShare).
func (p Partial) MarshalBinary() ([]byte, error) {
	return append(appendU16(make([]byte, 0, PartialLen), p.Node), p.Sig[:]...), nil
}

// UnmarshalPartial decodes a partial from the wire; the point is checked by
// VerifyPartial, which every partial goes through before use.
func UnmarshalPartial(b []byte) (Partial, error) {
	r := &reader{op: "custody.UnmarshalPartial", b: b}
	var p Partial
	p.Node = r.count(0, MaxNodes-1, "node index")
	copy(p.Sig[:], r.bytes(G1Len, "signature"))
	return p, r.done()
}

// PartialSign makes node ks.Node's partial signature on label. Nodes sign
// only labels they build themselves from committed ledger state.
func PartialSign(ks *KeyShare, label []byte) (Partial, error) {
	raw, err := scheme.Sign(ks.priShare(), label)
	if err != nil {
		return Partial{}, fmt.Errorf("custody.PartialSign: %w", err)
	}
	p := Partial{Node: ks.Node}
	copy(p.Sig[:], raw[2:])
	return p, nil
}

// VerifyPartial checks p against node p.Node's public share; a failure is a
// *NodeError wrapping ErrBadPartial.
func VerifyPartial(g *Group, label []byte, p Partial) error {
	bad := func(why string) error {
		return fmt.Errorf("custody.VerifyPartial: %w", &NodeError{Node: p.Node, Err: fmt.Errorf("%w: %s", ErrBadPartial, why)})
	}
	if p.Node < 0 || p.Node >= g.n {
		return bad(fmt.Sprintf("index outside 0..%d", g.n-1))
	}
	if !signaturePoint(p.Sig[:]) {
		return bad("not a compressed G1 point other than the identity")
	}
	// kyber's VerifyPartial re-evaluates the public polynomial each time;
	// the same BLS check against the cached public share is cheaper.
	if err := scheme.VerifyRecovered(g.pub[p.Node], label, p.Sig[:]); err != nil {
		return bad(err.Error())
	}
	return nil
}

// Combine verifies partials in node order until it has t valid ones from
// distinct nodes, interpolates the group signature and checks it against the
// group key. rejected names every node whose partial failed; err wraps
// ErrNotEnoughShares (joined with rejected) when fewer than t were valid.
func Combine(g *Group, label []byte, partials []Partial) (sig Signature, rejected []*NodeError, err error) {
	ps := append([]Partial(nil), partials...)
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Node < ps[j].Node })
	var shares []*share.PubShare
	seen := map[int]bool{}
	for _, p := range ps {
		if len(shares) == g.T() {
			break
		}
		if seen[p.Node] {
			continue
		}
		if err := VerifyPartial(g, label, p); err != nil {
			rejected = append(rejected, &NodeError{Node: p.Node, Err: fmt.Errorf("%w", ErrBadPartial)})
			continue
		}
		pt, err := ParseG1(p.Sig[:])
		if err != nil {
			rejected = append(rejected, &NodeError{Node: p.Node, Err: fmt.Errorf("%w: %v", ErrBadPartial, err)})
			continue
		}
		seen[p.Node] = true
		shares = append(shares, &share.PubShare{I: uint32(p.Node), V: pt})
	}
	if len(shares) < g.T() {
		return sig, rejected, fmt.Errorf("custody.Combine: %w",
			joinNodeErrors(fmt.Errorf("%w: %d valid partials from distinct nodes, need %d", ErrNotEnoughShares, len(shares), g.T()), rejected))
	}
	pt, err := share.RecoverCommit(suite.G1(), shares, uint32(g.T()), uint32(g.n))
	if err != nil {
		return sig, rejected, fmt.Errorf("custody.Combine: %w: %v", ErrNotEnoughShares, err)
	}
	b, _ := pt.MarshalBinary()
	copy(sig[:], b)
	if err := Verify(g.Key(), label, sig); err != nil {
		return Signature{}, rejected, fmt.Errorf("custody.Combine: %w", err)
	}
	return sig, rejected, nil
}

// CombineOptimistic interpolates the group signature from t partials of
// distinct nodes without checking each, and checks only the result against
// the group key: one pairing check instead of t+1. A result that does not
// verify means some partial is wrong: the caller then checks each with
// VerifyPartial to name it. Interpolation is linear, so a wrong partial
// cannot give a signature that verifies (BLS signatures are unique).
func CombineOptimistic(g *Group, label []byte, partials []Partial) (Signature, error) {
	var sig Signature
	if len(partials) != g.T() {
		return sig, fmt.Errorf("custody.CombineOptimistic: %w: %d partials, need exactly %d", ErrNotEnoughShares, len(partials), g.T())
	}
	seen := map[int]bool{}
	shares := make([]*share.PubShare, 0, len(partials))
	for _, p := range partials {
		if p.Node < 0 || p.Node >= g.n || seen[p.Node] || !signaturePoint(p.Sig[:]) {
			return sig, fmt.Errorf("custody.CombineOptimistic: %w", &NodeError{Node: p.Node, Err: fmt.Errorf("%w: index out of range, repeated, or not a compressed point other than the identity", ErrBadPartial)})
		}
		seen[p.Node] = true
		pt, err := ParseG1(p.Sig[:])
		if err != nil {
			return sig, fmt.Errorf("custody.CombineOptimistic: %w", &NodeError{Node: p.Node, Err: fmt.Errorf("%w: %v", ErrBadPartial, err)})
		}
		shares = append(shares, &share.PubShare{I: uint32(p.Node), V: pt})
	}
	pt, err := share.RecoverCommit(suite.G1(), shares, uint32(g.T()), uint32(g.n))
	if err != nil {
		return sig, fmt.Errorf("custody.CombineOptimistic: %w: %v", ErrNotEnoughShares, err)
	}
	b, _ := pt.MarshalBinary()
	copy(sig[:], b)
	if err := Verify(g.Key(), label, sig); err != nil {
		return Signature{}, fmt.Errorf("custody.CombineOptimistic: %w", err)
	}
	return sig, nil
}

// Verify checks a group signature on label against the group key X:
// e(σ, G2) = e(H1(label), X).
func Verify(key kyber.Point, label []byte, sig Signature) error {
	if !signaturePoint(sig[:]) {
		return fmt.Errorf("custody.Verify: %w: not a compressed G1 point other than the identity", ErrBadSignature)
	}
	if err := scheme.VerifyRecovered(key, label, sig[:]); err != nil {
		return fmt.Errorf("custody.Verify: %w: %v", ErrBadSignature, err)
	}
	return nil
}

// signaturePoint reports whether b may be a signature or a partial: a
// compressed point other than the identity. No honest signature is the
// identity (H1(label) is not, and no share is zero). circl before v1.6.5
// normalised the pairing product's points with one batch inversion, so an
// identity among them turned every point to zero and the check into
// 1 = 1: the identity verified for any key and label
// (TestIdentitySignatureRefused). The IETF BLS draft's CoreVerify
// refuses it as well, whatever the pairing library does.
func signaturePoint(b []byte) bool { return compressed(b) && b[0]&0x40 == 0 }

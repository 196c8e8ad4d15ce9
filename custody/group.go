package custody

import (
	"fmt"

	"go.dedis.ch/kyber/v4"
	"go.dedis.ch/kyber/v4/pairing"
	"go.dedis.ch/kyber/v4/pairing/bls12381/circl"
	"go.dedis.ch/kyber/v4/share"
)

// suite is BLS12-381 on cloudflare/circl: signatures on G1, keys on G2.
var suite = circl.NewSuite()

// Sizes of the compressed encodings.
const (
	G1Len     = 48 // a signature or partial signature
	G2Len     = 96 // the group key, a commitment, a DKG public key
	ScalarLen = 32 // a share, big-endian, below the group order
)

// MaxNodes bounds the node count of a network (and every count derived from
// it in a decoder).
const MaxNodes = 256

// MaxFaulty is f, the Byzantine nodes CometBFT tolerates among n: (n-1)/3.
func MaxFaulty(n int) int { return (n - 1) / 3 }

// DefaultThreshold is t = f+1 (docs/key-custody.md, "Threshold and the
// default").
func DefaultThreshold(n int) int { return MaxFaulty(n) + 1 }

// CheckThreshold accepts 1 <= n <= MaxNodes and f+1 <= t <= n: a smaller t
// would let f colluding operators, whom the ledger's model admits, read
// titles.
func CheckThreshold(n, t int) error {
	if n < 1 || n > MaxNodes {
		return fmt.Errorf("%w: %d nodes, want 1 to %d", ErrThreshold, n, MaxNodes)
	}
	if f := MaxFaulty(n); t < f+1 || t > n {
		return fmt.Errorf("%w: t = %d for n = %d, want %d (f+1) to %d", ErrThreshold, t, n, f+1, n)
	}
	return nil
}

// Group is the network's public key material: n, and the public polynomial
// (Feldman commitments A_0..A_{t-1} on G2) whose constant term is the group
// key X = x·G2. Node i (0-based genesis order) holds the share x_i = p(i+1),
// kyber's convention (share index i, evaluation point i+1); its public share
// p(i+1)·G2 verifies its partial signatures.
type Group struct {
	n       int
	commits []kyber.Point
	pub     []kyber.Point // public shares, evaluated once: each costs t-1 G2 multiplications
}

const groupMagic = "copystation group v1"

// NewGroup checks n and t = len(commits) and returns the group.
func NewGroup(n int, commits []kyber.Point) (*Group, error) {
	if err := CheckThreshold(n, len(commits)); err != nil {
		return nil, fmt.Errorf("custody.NewGroup: %w", err)
	}
	if commits[0].Equal(suite.G2().Point().Null()) {
		return nil, fmt.Errorf("custody.NewGroup: %w: group key is the identity", ErrEncoding)
	}
	cs := make([]kyber.Point, len(commits))
	for i, c := range commits {
		cs[i] = c.Clone()
	}
	g := &Group{n: n, commits: cs}
	for _, ps := range g.pubPoly().Shares(uint32(n)) {
		g.pub = append(g.pub, ps.V)
	}
	return g, nil
}

// N is the number of nodes; T the threshold.
func (g *Group) N() int { return g.n }
func (g *Group) T() int { return len(g.commits) }

// Key is the group public key X.
func (g *Group) Key() kyber.Point { return g.commits[0].Clone() }

// KeyBytes is X compressed (96 bytes), as published in genesis.
func (g *Group) KeyBytes() []byte {
	b, _ := g.commits[0].MarshalBinary() // circl points always marshal
	return b
}

// PublicShare is node i's public key share p(i+1)·G2, 0 <= i < N.
func (g *Group) PublicShare(node int) kyber.Point { return g.pub[node].Clone() }

func (g *Group) pubPoly() *share.PubPoly { return share.NewPubPoly(suite.G2(), nil, g.commits) }

// Equal reports whether g and h are the same group.
func (g *Group) Equal(h *Group) bool {
	if g.n != h.n || len(g.commits) != len(h.commits) {
		return false
	}
	for i := range g.commits {
		if !g.commits[i].Equal(h.commits[i]) {
			return false
		}
	}
	return true
}

// MarshalBinary encodes the group: magic ‖ u16(n) ‖ u16(t) ‖ t × 96-byte
// compressed G2 commitments, A_0 (the group key) first.
func (g *Group) MarshalBinary() ([]byte, error) {
	b := appendMagic(make([]byte, 0, 26+G2Len*len(g.commits)), groupMagic)
	b = appendU16(b, g.n)
	b = appendU16(b, len(g.commits))
	for _, c := range g.commits {
		cb, err := c.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("custody.Group.MarshalBinary: %w", err)
		}
		b = append(b, cb...)
	}
	return b, nil
}

// UnmarshalGroup decodes and checks a group: n and t as CheckThreshold
// demands, every commitment a point of the G2 subgroup, the key not the
// identity.
func UnmarshalGroup(b []byte) (*Group, error) {
	r := &reader{op: "custody.UnmarshalGroup", b: b}
	r.magic(groupMagic)
	n := r.count(1, MaxNodes, "node count")
	t := r.count(1, MaxNodes, "threshold")
	if r.err == nil {
		if err := CheckThreshold(n, t); err != nil {
			return nil, fmt.Errorf("custody.UnmarshalGroup: %w", err)
		}
	}
	commits := make([]kyber.Point, 0, t)
	for i := 0; i < t && r.err == nil; i++ {
		commits = append(commits, r.g2(fmt.Sprintf("commitment %d", i)))
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	g, err := NewGroup(n, commits)
	if err != nil {
		return nil, fmt.Errorf("custody.UnmarshalGroup: %w", err)
	}
	return g, nil
}

// g2 reads a compressed G2 point; circl checks it is on the curve and in
// the prime-order subgroup.
func (r *reader) g2(what string) kyber.Point {
	b := r.bytes(G2Len, what)
	if r.err != nil {
		return nil
	}
	p, err := ParseG2(b)
	if err != nil {
		r.fail("%s: %v", what, err)
		return nil
	}
	return p
}

// Suite is the pairing suite every point of the project's custody lives
// on (BLS12-381 on circl), for code that pairs, such as IBE.
func Suite() pairing.Suite { return suite }

// ParseG1 and ParseG2 decode a compressed point of G1 (48 bytes) or G2 (96
// bytes), refusing one without the compressed flag before circl sees it;
// circl checks it is on the curve and in the prime-order subgroup.
func ParseG1(b []byte) (kyber.Point, error) { return parsePoint(suite.G1(), G1Len, "G1", b) }

// ParseG2: see ParseG1.
func ParseG2(b []byte) (kyber.Point, error) { return parsePoint(suite.G2(), G2Len, "G2", b) }

func parsePoint(g kyber.Group, n int, name string, b []byte) (kyber.Point, error) {
	switch {
	case len(b) != n:
		return nil, fmt.Errorf("%w: %d bytes, a compressed %s point is %d", ErrPoint, len(b), name, n)
	case !compressed(b):
		return nil, fmt.Errorf("%w: not a compressed point (flags %#x)", ErrPoint, b[0]&0xe0)
	}
	p := g.Point()
	if err := p.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("%w: not a %s point: %v", ErrPoint, name, err)
	}
	return p, nil
}

// scalar reads a 32-byte big-endian scalar below the group order.
func (r *reader) scalar(what string) kyber.Scalar {
	b := r.bytes(ScalarLen, what)
	if r.err != nil {
		return nil
	}
	s := suite.G1().Scalar()
	if err := s.UnmarshalBinary(b); err != nil {
		r.fail("%s: not a canonical scalar", what)
		return nil
	}
	return s
}

// compressed reports whether b's flags mark a compressed point. Only those
// reach circl: v1.6.1's SetBytes panics on a compressed-length buffer whose
// flags say "uncompressed, at infinity" (0x40), slicing past its end.
func compressed(b []byte) bool { return len(b) > 0 && b[0]&0x80 != 0 }

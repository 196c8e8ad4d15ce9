package custody

import (
	"fmt"

	"go.dedis.ch/kyber/v4"
	"go.dedis.ch/kyber/v4/pairing/bls12381/circl"
	dkg "go.dedis.ch/kyber/v4/share/dkg/pedersen"
	"go.dedis.ch/kyber/v4/sign/schnorr"
	"go.dedis.ch/kyber/v4/util/random"
)

// dkgSuite is the group the DKG runs in: G2 of BLS12-381 (kyber's circl
// adapter gives it the hash, XOF and randomness the DKG needs). Shares land
// on G2 commitments, the key group of the signatures.
var dkgSuite = circl.NewSuiteBLS12381()

// dkgAuth signs and checks DKG bundles: Schnorr on G2 under each node's
// long-term DKG key, as drand does.
var dkgAuth = schnorr.NewScheme(dkgSuite)

// DKGKey is a node's long-term DKG key: a scalar, whose G2 public point is
// in the node's descriptor. Deals to the node are encrypted to it (ECIES in
// kyber) and its bundles signed with it. It lives sealed in the vault.
type DKGKey struct {
	secret kyber.Scalar
	public kyber.Point
}

const dkgKeyMagic = "copystation dkg key v1"

// NewDKGKey makes a key from crypto/rand.
func NewDKGKey() *DKGKey {
	s := dkgSuite.Scalar().Pick(random.New())
	return &DKGKey{secret: s, public: dkgSuite.Point().Mul(s, nil)}
}

// Public is the 96-byte compressed G2 public key for the descriptor.
func (k *DKGKey) Public() []byte {
	b, _ := k.public.MarshalBinary()
	return b
}

// MarshalBinary: magic ‖ 32-byte scalar, for the vault to seal.
func (k *DKGKey) MarshalBinary() ([]byte, error) {
	s, err := k.secret.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("custody.DKGKey.MarshalBinary: %w", err)
	}
	defer clear(s)
	return append(appendMagic(nil, dkgKeyMagic), s...), nil
}

// UnmarshalDKGKey decodes a key opened from the vault.
func UnmarshalDKGKey(b []byte) (*DKGKey, error) {
	r := &reader{op: "custody.UnmarshalDKGKey", b: b}
	r.magic(dkgKeyMagic)
	s := r.scalar("secret")
	if err := r.done(); err != nil {
		return nil, err
	}
	return &DKGKey{secret: s, public: dkgSuite.Point().Mul(s, nil)}, nil
}

// Wipe overwrites the secret in place.
func (k *DKGKey) Wipe() {
	if k != nil && k.secret != nil {
		k.secret.Zero()
	}
}

// ParseDKGPublic decodes a descriptor's DKG public key (a G2 point, not the
// identity).
func ParseDKGPublic(b []byte) (kyber.Point, error) {
	r := &reader{op: "custody.ParseDKGPublic", b: b}
	p := r.g2("DKG key")
	if err := r.done(); err != nil {
		return nil, err
	}
	if p.Equal(dkgSuite.Point().Null()) {
		return nil, fmt.Errorf("custody.ParseDKGPublic: %w: identity point", ErrEncoding)
	}
	return p, nil
}

// nodes turns the genesis-ordered DKG keys into kyber's node list: node i
// has DKG index i, the same as its Shamir index.
func nodes(pubs []kyber.Point) []dkg.Node {
	ns := make([]dkg.Node, len(pubs))
	for i, p := range pubs {
		ns[i] = dkg.Node{Index: uint32(i), Public: p}
	}
	return ns
}

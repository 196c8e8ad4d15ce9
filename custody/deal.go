package custody

import (
	"crypto/ecdh"
	"crypto/hpke"
	"fmt"

	"go.dedis.ch/kyber/v4/share"
	"go.dedis.ch/kyber/v4/util/random"
)

// Title names a title being dealt and its forensic segment count S. Its 1+2S
// keys are numbered k: 0 is the base content key K_0, 1+2s and 2+2s the A and
// B variant keys of segment s (0-based).
type Title struct {
	ChainID  string
	TitleID  string
	Segments int
}

// KeyIndex is k for segment s, variant v (0 = A, 1 = B).
func KeyIndex(s, v int) int { return 1 + 2*s + v }

func (t Title) check(op string) error {
	if err := checkLabelField("chain ID", t.ChainID); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := checkLabelField("title ID", t.TitleID); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if t.Segments < 1 || t.Segments > MaxSegments {
		return fmt.Errorf("%s: %w: %d segments, want 1 to %d", op, ErrCodeword, t.Segments, MaxSegments)
	}
	return nil
}

// sharesInfo is the HPKE info binding node's sealed shares to the title:
// "copystation title shares v1" ‖ u16-prefixed chain ID ‖ u16-prefixed title
// ID ‖ u16(node).
func (t Title) sharesInfo(node int) []byte {
	b := []byte("copystation title shares v1")
	b = appendField(b, []byte(t.ChainID))
	b = appendField(b, []byte(t.TitleID))
	return appendU16(b, node)
}

// The HPKE suite for title shares: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
// AES-256-GCM.
var (
	sharesKDF  = hpke.HKDFSHA256()
	sharesAEAD = hpke.AES256GCM()
)

// TitleKeys are the issuer's keys for a title, to package with and then wipe.
type TitleKeys struct {
	Base     [32]byte
	Variants [][2][32]byte // [segment][variant]
}

// Wipe clears the keys.
func (k *TitleKeys) Wipe() {
	clear(k.Base[:])
	for i := range k.Variants {
		clear(k.Variants[i][0][:])
		clear(k.Variants[i][1][:])
	}
}

// Dealt is what Deal returns: for node i, Blobs[i] (its shares sealed to its
// custody key) and Roots[i] (the Merkle root over its share leaves), both
// public and carried in the registration; and the issuer's Keys.
type Dealt struct {
	Blobs [][]byte
	Roots [][32]byte
	Keys  *TitleKeys
}

// Deal makes the title's 1+2S keys, splits each key's scalar by Shamir (t of
// n = len(custody), node i's share at x = i+1), seals each node's share vector
// to its custody key and commits to it with a Merkle root.
func Deal(title Title, t int, custody []*ecdh.PublicKey) (*Dealt, error) {
	const op = "custody.Deal"
	if err := title.check(op); err != nil {
		return nil, err
	}
	n := len(custody)
	if err := CheckThreshold(n, t); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	nk := 1 + 2*title.Segments
	vecs := make([]*TitleShares, n)
	for i := range vecs {
		vecs[i] = &TitleShares{Node: i, Segments: title.Segments, y: make([][ScalarLen]byte, nk)}
	}
	defer func() {
		for _, v := range vecs {
			v.Wipe()
		}
	}()
	keys := &TitleKeys{Variants: make([][2][32]byte, title.Segments)}
	stream := random.New()
	for k := 0; k < nk; k++ {
		poly := share.NewPriPoly(suite.G1(), uint32(t), nil, stream)
		sb, _ := poly.Secret().MarshalBinary()
		key := titleKey(sb)
		clear(sb)
		if k == 0 {
			keys.Base = key
		} else {
			keys.Variants[(k-1)/2][(k-1)%2] = key
		}
		for i := 0; i < n; i++ {
			ev := poly.Eval(uint32(i)).V
			yb, _ := ev.MarshalBinary()
			copy(vecs[i].y[k][:], yb)
			clear(yb)
			ev.Zero()
		}
		for _, c := range poly.Coefficients() {
			c.Zero()
		}
	}
	d := &Dealt{Blobs: make([][]byte, n), Roots: make([][32]byte, n), Keys: keys}
	for i, pub := range custody {
		d.Roots[i] = vecs[i].root(title.TitleID)
		blob, err := vecs[i].seal(title, pub)
		if err != nil {
			keys.Wipe()
			return nil, fmt.Errorf("%s: node %d: %w", op, i, err)
		}
		d.Blobs[i] = blob
	}
	return d, nil
}

func (ts *TitleShares) seal(title Title, pub *ecdh.PublicKey) ([]byte, error) {
	if pub == nil || pub.Curve() != ecdh.X25519() {
		return nil, fmt.Errorf("%w: custody key is not X25519", ErrBadDeal)
	}
	return ts.sealInfo(pub, title.sharesInfo(ts.Node))
}

// OpenShares is the node side of a registration: it opens node's sealed
// shares with its custody key and checks every leaf against root. Any
// failure wraps ErrBadDeal: the node refuses the registration.
func OpenShares(priv ecdh.KeyExchanger, title Title, node int, blob []byte, root [32]byte) (*TitleShares, error) {
	const op = "custody.OpenShares"
	if err := title.check(op); err != nil {
		return nil, err
	}
	hpriv, err := hpke.NewDHKEMPrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: custody key: %v", op, ErrBadDeal, err)
	}
	pt, err := hpke.Open(hpriv, sharesKDF, sharesAEAD, title.sharesInfo(node), blob)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: blob does not open for node %d of %q: %v", op, ErrBadDeal, node, title.TitleID, err)
	}
	defer clear(pt)
	ts, err := UnmarshalTitleShares(pt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", op, ErrBadDeal, err)
	}
	if ts.Node != node || ts.Segments != title.Segments {
		ts.Wipe()
		return nil, fmt.Errorf("%s: %w: shares are for node %d with %d segments, want node %d with %d", op, ErrBadDeal, ts.Node, ts.Segments, node, title.Segments)
	}
	if ts.root(title.TitleID) != root {
		ts.Wipe()
		return nil, fmt.Errorf("%s: %w: shares do not match the issuer's root", op, ErrBadDeal)
	}
	return ts, nil
}

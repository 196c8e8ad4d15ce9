package custody

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hpke"
	"fmt"

	"go.dedis.ch/kyber/v4"
	"go.dedis.ch/kyber/v4/share"
	dkg "go.dedis.ch/kyber/v4/share/dkg/pedersen"
	"go.dedis.ch/kyber/v4/util/random"
)

// TitleReshareConfig is the public description of one title's resharing:
// the title, the old set's DKG keys (old order; they sign the deals) and
// threshold, the new set's custody keys (new order) and threshold, and the
// session's 32-byte nonce.
type TitleReshareConfig struct {
	Title        Title
	OldNodes     []kyber.Point
	OldThreshold int
	NewCustody   []*ecdh.PublicKey
	NewThreshold int
	Nonce        []byte
}

func (c TitleReshareConfig) check(op string) error {
	if err := c.Title.check(op); err != nil {
		return err
	}
	if err := CheckThreshold(len(c.OldNodes), c.OldThreshold); err != nil {
		return fmt.Errorf("%s: old set: %w", op, err)
	}
	if err := CheckThreshold(len(c.NewCustody), c.NewThreshold); err != nil {
		return fmt.Errorf("%s: new set: %w", op, err)
	}
	if len(c.Nonce) != dkg.NonceLength {
		return fmt.Errorf("%s: %w: nonce is %d bytes, want %d", op, ErrReshare, len(c.Nonce), dkg.NonceLength)
	}
	for j, k := range c.NewCustody {
		if k == nil || k.Curve() != ecdh.X25519() {
			return fmt.Errorf("%s: %w: new node %d's custody key is not X25519", op, ErrReshare, j)
		}
	}
	return nil
}

// DealTitleReshare is old node old.Node's deal of its shares of the title:
// per key k a fresh polynomial f_k of degree t_new−1 with f_k(0) = y_k,
// its Feldman commitments on G1, and per new node j the vector (f_k(j+1))_k
// sealed to j's custody key; signed with the node's DKG key.
func DealTitleReshare(cfg TitleReshareConfig, key *DKGKey, old *TitleShares) ([]byte, error) {
	const op = "custody.DealTitleReshare"
	if err := cfg.check(op); err != nil {
		return nil, err
	}
	if old == nil || old.Segments != cfg.Title.Segments || old.Node >= len(cfg.OldNodes) || !cfg.OldNodes[old.Node].Equal(key.public) {
		return nil, fmt.Errorf("%s: %w: shares and DKG key are not one old node's shares of this title", op, ErrReshare)
	}
	nk, newN, newT := len(old.y), len(cfg.NewCustody), cfg.NewThreshold
	d := &TitleReshareDeal{Dealer: old.Node, NewN: newN, NewT: newT, Segments: cfg.Title.Segments,
		ChainID: cfg.Title.ChainID, TitleID: cfg.Title.TitleID, Nonce: bytes.Clone(cfg.Nonce),
		Commits: make([]kyber.Point, 0, nk*newT)}
	vecs := make([]*TitleShares, newN)
	for j := range vecs {
		vecs[j] = &TitleShares{Node: j, Segments: cfg.Title.Segments, y: make([][ScalarLen]byte, nk)}
	}
	defer func() {
		for _, v := range vecs {
			v.Wipe()
		}
	}()
	stream := random.New()
	g := suite.G1()
	for k := 0; k < nk; k++ {
		y := g.Scalar()
		if err := y.UnmarshalBinary(old.y[k][:]); err != nil {
			return nil, fmt.Errorf("%s: %w: share %d: %v", op, ErrReshare, k, err)
		}
		poly := share.NewPriPoly(g, uint32(newT), y, stream)
		_, commits := poly.Commit(g.Point().Base()).Info()
		d.Commits = append(d.Commits, commits...)
		for j := range vecs {
			ev := poly.Eval(uint32(j)).V
			yb, _ := ev.MarshalBinary()
			copy(vecs[j].y[k][:], yb)
			clear(yb)
			ev.Zero()
		}
		for _, c := range poly.Coefficients() {
			c.Zero()
		}
	}
	for j, pub := range cfg.NewCustody {
		blob, err := vecs[j].sealInfo(pub, cfg.Title.reshareInfo(old.Node, j, cfg.Nonce))
		if err != nil {
			return nil, fmt.Errorf("%s: new node %d: %w", op, j, err)
		}
		d.Sealed = append(d.Sealed, blob)
	}
	signed, err := d.encodeSigned()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	sig, err := dkgAuth.Sign(key.secret, signed)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: signing: %v", op, ErrReshare, err)
	}
	return appendField(signed, sig), nil
}

// sealInfo seals the vector to pub under the HPKE info given.
func (ts *TitleShares) sealInfo(pub *ecdh.PublicKey, info []byte) ([]byte, error) {
	hpub, err := hpke.NewDHKEMPublicKey(pub)
	if err != nil {
		return nil, err
	}
	pt, err := ts.MarshalBinary()
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	return hpke.Seal(hpub, sharesKDF, sharesAEAD, info, pt)
}

// TitleReshared is a new node's outcome for one title: its new shares (to
// wipe after use), the same sealed to its own custody key in the issuer's
// blob format (so OpenShares and release read it unchanged), its new
// Merkle root, the old dealers combined, and the dealers rejected.
type TitleReshared struct {
	Shares   *TitleShares
	Blob     []byte
	Root     [32]byte
	Dealers  []int
	Rejected []*NodeError
}

// CombineTitleReshare is new node j's side: it checks every dealer's file
// (signature, session, title and sets; the constant terms' consistency,
// naming a dealer off the others' polynomial), takes the first t_old
// consistent dealers in old order, checks its own values from each
// against the dealer's commitments and combines them with Lagrange
// coefficients at 0. A bad value or blob from a dealer it needs is a
// NodeError wrapping ErrBadReshare, and no share is made.
func CombineTitleReshare(cfg TitleReshareConfig, j int, priv ecdh.KeyExchanger, deals [][]byte) (*TitleReshared, error) {
	const op = "custody.CombineTitleReshare"
	if err := cfg.check(op); err != nil {
		return nil, err
	}
	if j < 0 || j >= len(cfg.NewCustody) || priv == nil || !priv.PublicKey().Equal(cfg.NewCustody[j]) {
		return nil, fmt.Errorf("%s: %w: the custody key given is not new node %d's", op, ErrReshare, j)
	}
	out := &TitleReshared{}
	good := cfg.acceptDeals(deals, &out.Rejected)
	w := newReshareWeights(1 + 2*cfg.Title.Segments)
	consistent, err := w.consistent(good, cfg.OldThreshold, &out.Rejected)
	if err != nil {
		return out, fmt.Errorf("%s: %w", op, joinNodeErrors(err, out.Rejected))
	}
	use := consistent[:cfg.OldThreshold]
	vals := make([]*TitleShares, len(use))
	defer func() {
		for _, v := range vals {
			v.Wipe()
		}
	}()
	for n, d := range use {
		v, err := cfg.openValues(d, j, priv, w)
		if err != nil {
			bad := &NodeError{Node: d.Dealer, Err: err}
			out.Rejected = append(out.Rejected, bad)
			return out, fmt.Errorf("%s: %w", op, joinNodeErrors(fmt.Errorf("%w: old node %d's deal cannot be used; rerun the session without it", ErrReshare, d.Dealer), []*NodeError{bad}))
		}
		vals[n] = v
		out.Dealers = append(out.Dealers, d.Dealer)
	}
	ts := combineVectors(j, cfg.Title.Segments, use, vals)
	out.Shares = ts
	out.Root = ts.root(cfg.Title.TitleID)
	if out.Blob, err = ts.seal(cfg.Title, cfg.NewCustody[j]); err != nil {
		ts.Wipe()
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// acceptDeals decodes the files, keeping those signed by the old node they
// name for this session, title and new set; a dealer with two files is
// dropped altogether. Returned in old index order.
func (c TitleReshareConfig) acceptDeals(files [][]byte, bad *[]*NodeError) []*TitleReshareDeal {
	byDealer := map[int]*TitleReshareDeal{}
	twice := map[int]bool{}
	for i, f := range files {
		d, err := DecodeTitleReshareDeal(f)
		if err != nil {
			*bad = append(*bad, &NodeError{Node: -1, Err: fmt.Errorf("%w: file %d: %v", ErrBadBundle, i, err)})
			continue
		}
		why := ""
		switch {
		case d.Dealer >= len(c.OldNodes):
			why = "dealer is not in the old set"
		case dkgAuth.Verify(c.OldNodes[d.Dealer], d.signed, d.Sig) != nil:
			why = "not signed by the old node it names"
		case !bytes.Equal(d.Nonce, c.Nonce) || d.ChainID != c.Title.ChainID || d.TitleID != c.Title.TitleID || d.Segments != c.Title.Segments:
			why = "for another session or title"
		case d.NewN != len(c.NewCustody) || d.NewT != c.NewThreshold:
			why = "for another new set or threshold"
		}
		if why != "" {
			*bad = append(*bad, &NodeError{Node: d.Dealer, Err: fmt.Errorf("%w: file %d: %s", ErrBadBundle, i, why)})
			continue
		}
		if prev := byDealer[d.Dealer]; prev != nil {
			// the same file given twice is one deal; two different ones
			// from one dealer are equivocation
			twice[d.Dealer] = twice[d.Dealer] || !bytes.Equal(prev.signed, d.signed) || !bytes.Equal(prev.Sig, d.Sig)
			continue
		}
		byDealer[d.Dealer] = d
	}
	var out []*TitleReshareDeal
	for i := range c.OldNodes {
		if d := byDealer[i]; d != nil && !twice[i] {
			out = append(out, d)
		} else if twice[i] {
			*bad = append(*bad, &NodeError{Node: i, Err: fmt.Errorf("%w: two different deals", ErrBadBundle)})
		}
	}
	return out
}

// openValues opens dealer d's evaluations for new node j and checks them
// against d's commitments.
func (c TitleReshareConfig) openValues(d *TitleReshareDeal, j int, priv ecdh.KeyExchanger, w *reshareWeights) (*TitleShares, error) {
	hpriv, err := hpke.NewDHKEMPrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("%w: custody key: %v", ErrReshare, err)
	}
	pt, err := hpke.Open(hpriv, sharesKDF, sharesAEAD, c.Title.reshareInfo(d.Dealer, j, c.Nonce), d.Sealed[j])
	if err != nil {
		return nil, fmt.Errorf("%w: values for new node %d do not open: %v", ErrBadReshare, j, err)
	}
	defer clear(pt)
	v, err := UnmarshalTitleShares(pt)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadReshare, err)
	}
	if v.Node != j || v.Segments != c.Title.Segments {
		v.Wipe()
		return nil, fmt.Errorf("%w: values are for node %d with %d segments, want node %d with %d", ErrBadReshare, v.Node, v.Segments, j, c.Title.Segments)
	}
	if k := w.checkValues(d, j, v); k >= 0 {
		v.Wipe()
		return nil, fmt.Errorf("%w: value of key %d for new node %d does not match the dealer's commitments", ErrBadReshare, k, j)
	}
	return v, nil
}

// combineVectors is y'_{j,k} = Σ λ_i f_{i,k}(j+1) over the dealers used.
func combineVectors(j, segments int, use []*TitleReshareDeal, vals []*TitleShares) *TitleShares {
	g := suite.G1()
	lambda := lagrangeAt0(use)
	defer func() {
		for _, l := range lambda {
			l.Zero()
		}
	}()
	ts := &TitleShares{Node: j, Segments: segments, y: make([][ScalarLen]byte, 1+2*segments)}
	acc, v := g.Scalar(), g.Scalar()
	for k := range ts.y {
		acc.Zero()
		for n, vec := range vals {
			_ = v.UnmarshalBinary(vec.y[k][:]) // canonical: checked when decoded
			acc.Add(acc, v.Mul(v, lambda[n]))
		}
		b, _ := acc.MarshalBinary()
		copy(ts.y[k][:], b)
		clear(b)
	}
	acc.Zero()
	v.Zero()
	return ts
}

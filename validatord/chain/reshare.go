package chain

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"

	"go.dedis.ch/kyber/v4"

	"copystation/custody"
	"copystation/validatord/contract"
	"copystation/validatord/vault"
)

// ErrReshare is a resharing that cannot run: a party's home is missing or
// its vault does not hold what its role needs.
var ErrReshare = errors.New("chain: resharing")

// ReshareHome is one party's home and key-encryption key.
type ReshareHome struct {
	Home string
	KEK  []byte
}

// reshareParty is a party's vault, opened for the session.
type reshareParty struct {
	home    ReshareHome
	sec     *vault.Secrets
	dkg     *custody.DKGKey
	custody *ecdh.PrivateKey
	pub     []byte // DKG public key
}

func (p *reshareParty) wipe() {
	p.dkg.Wipe()
	p.sec.Wipe()
}

// ReshareInProcess runs a whole resharing of the custody in force on app
// (docs/key-custody.md, "Resharing") with every party's home on this
// machine, as the testnet runs the genesis ceremony: the old set's nodes
// deal their share of x and of every title, the new set's combine. Each
// new node's share of the new epoch is sealed into its vault (EpochShares);
// the returned parts (one per title, then the record signed by t new
// shares) are TxCustodyEpoch bodies to submit in order. Old shares stay
// in the vaults until WipeOldShares, once the record commits.
func ReshareInProcess(app *contract.App, homes []ReshareHome, newNodes []contract.CustodyNode, newT int) ([]contract.CustodyEpochBody, error) {
	const op = "chain.ReshareInProcess"
	out, err := reshareInProcess(app, homes, newNodes, newT)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

func reshareInProcess(app *contract.App, homes []ReshareHome, newNodes []contract.CustodyNode, newT int) ([]contract.CustodyEpochBody, error) {
	cur, epoch, err := app.CurrentCustody()
	if err != nil {
		return nil, err
	}
	oldGroup, err := custody.UnmarshalGroup(cur.Group)
	if err != nil {
		return nil, err
	}
	byKey := map[string]*reshareParty{}
	for _, h := range homes {
		p, err := openParty(h)
		if err != nil {
			return nil, err
		}
		defer p.wipe()
		byKey[string(p.pub)] = p
	}
	olds, oldPts, err := partiesOf(byKey, cur.Nodes)
	if err != nil {
		return nil, err
	}
	news, newPts, err := partiesOf(byKey, newNodes)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, 32)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	shares, group, err := reshareGroup(custody.ReshareConfig{OldNodes: oldPts, NewNodes: newPts, OldGroup: oldGroup, NewThreshold: newT, Nonce: nonce}, olds, news, epoch)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, s := range shares {
			s.Wipe()
		}
	}()
	rec := &custody.EpochRecord{ChainID: app.ChainID(), Epoch: epoch + 1, Group: group}
	var parts []contract.CustodyEpochBody
	ids, err := app.TitleIDs()
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		ts, roots, err := reshareTitle(app, id, epoch, cur, oldPts, olds, news, newT, nonce)
		if err != nil {
			return nil, fmt.Errorf("title %s: %w", id, err)
		}
		rec.Titles = append(rec.Titles, custody.EpochTitle{TitleID: id, Roots: roots})
		parts = append(parts, contract.CustodyEpochBody{Epoch: epoch + 1, Titles: []contract.EpochTitleShares{ts}})
	}
	// each new node signs the record as it would on its own machine; the
	// combine step is the one the multi-operator command uses
	var ps []EpochPartial
	for _, s := range shares {
		p, err := SignEpochRecord(rec, s)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	final, err := CombineEpochPartials(newNodes, ps)
	if err != nil {
		return nil, err
	}
	for j, p := range news {
		b, err := shares[j].MarshalBinary()
		if err != nil {
			return nil, err
		}
		p.sec.EpochShares = append(p.sec.EpochShares, vault.EpochShare{Epoch: epoch + 1, Share: b})
		if err := vault.Save(filepath.Join(p.home.Home, FileVault), p.home.KEK, p.sec, nil); err != nil {
			return nil, err
		}
	}
	return append(parts, *final), nil
}

func openParty(h ReshareHome) (*reshareParty, error) {
	sec, err := vault.Load(filepath.Join(h.Home, FileVault), h.KEK)
	if err != nil {
		return nil, err
	}
	p := &reshareParty{home: h, sec: sec}
	if p.dkg, err = custody.UnmarshalDKGKey(sec.DKGKey); err != nil {
		sec.Wipe()
		return nil, fmt.Errorf("%w: %s has no DKG key: %w", ErrReshare, h.Home, err)
	}
	if p.custody, err = ecdh.X25519().NewPrivateKey(sec.CustodyKey); err != nil {
		p.wipe()
		return nil, fmt.Errorf("%w: %s has no custody key: %w", ErrReshare, h.Home, err)
	}
	p.pub = p.dkg.Public()
	return p, nil
}

// partiesOf maps a custody set to the parties' homes, in the set's order.
func partiesOf(byKey map[string]*reshareParty, nodes []contract.CustodyNode) ([]*reshareParty, []kyber.Point, error) {
	var ps []*reshareParty
	var pts []kyber.Point
	for i, n := range nodes {
		p, ok := byKey[string(n.DKGKey)]
		if !ok || !bytes.Equal(p.custody.PublicKey().Bytes(), n.CustodyKey) {
			return nil, nil, fmt.Errorf("%w: no home given for custody node %d (%s)", ErrReshare, i, n.Name)
		}
		pt, err := custody.ParseDKGPublic(n.DKGKey)
		if err != nil {
			return nil, nil, err
		}
		ps, pts = append(ps, p), append(pts, pt)
	}
	return ps, pts, nil
}

// shareOf is a party's share of the group secret at epoch e.
func (p *reshareParty) shareOf(e uint32) (*custody.KeyShare, error) {
	b := p.sec.CustodyShare
	if e > 0 {
		b = nil
		for _, es := range p.sec.EpochShares {
			if es.Epoch == e {
				b = es.Share
			}
		}
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: %s holds no custody share of epoch %d", ErrReshare, p.home.Home, e)
	}
	return custody.UnmarshalKeyShare(b)
}

// reshareGroup reshares x: old parties deal, new ones combine; the shares
// come back in new order.
func reshareGroup(rc custody.ReshareConfig, olds, news []*reshareParty, epoch uint32) ([]*custody.KeyShare, *custody.Group, error) {
	var parties []custody.ReshareParty
	var who []*reshareParty
	for _, p := range olds {
		sh, err := p.shareOf(epoch)
		if err != nil {
			return nil, nil, err
		}
		defer sh.Wipe()
		parties, who = append(parties, custody.ReshareParty{Key: p.dkg, Share: sh}), append(who, p)
	}
	for _, p := range news {
		if !containsParty(olds, p) {
			parties, who = append(parties, custody.ReshareParty{Key: p.dkg}), append(who, p)
		}
	}
	res, err := custody.RunReshareInProcess(rc, parties)
	if err != nil {
		return nil, nil, err
	}
	shares := make([]*custody.KeyShare, len(news))
	var g *custody.Group
	for k, r := range res {
		if r == nil {
			continue
		}
		for j, p := range news {
			if p == who[k] {
				shares[j], g = r.Share, r.Group
			}
		}
	}
	return shares, g, nil
}

func containsParty(ps []*reshareParty, p *reshareParty) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// reshareTitle reshares one title's shares from the old set to the new:
// each old node deals (dealTitle), each new node combines (combineTitle),
// as each would on its own machine.
func reshareTitle(app *contract.App, id string, epoch uint32, cur *contract.Custody, oldPts []kyber.Point,
	olds, news []*reshareParty, newT int, nonce []byte) (contract.EpochTitleShares, [][32]byte, error) {
	out := contract.EpochTitleShares{Title: id}
	t, err := app.Title(id)
	if err != nil {
		return out, nil, err
	}
	roots, err := titleRoots(app, t, epoch)
	if err != nil {
		return out, nil, err
	}
	var pubs []*ecdh.PublicKey
	for _, p := range news {
		pubs = append(pubs, p.custody.PublicKey())
	}
	tc := titleSession(app.ChainID(), t, cur.Threshold, oldPts, pubs, newT, nonce)
	var deals [][]byte
	for i, p := range olds {
		var blob []byte
		if t.Epoch < epoch {
			blob, err = app.EpochTitleShares(id, epoch, i)
		} else {
			blob, err = app.TitleShares(id, i)
		}
		if err != nil {
			return out, nil, err
		}
		d, err := dealTitle(tc, i, p, blob, roots[i])
		if err != nil {
			return out, nil, err
		}
		deals = append(deals, d)
	}
	var newRoots [][32]byte
	for j, p := range news {
		blob, root, err := combineTitle(tc, j, p, deals)
		if err != nil {
			return out, nil, err
		}
		out.Shares, newRoots = append(out.Shares, blob), append(newRoots, root)
	}
	return out, newRoots, nil
}

// titleSession is one title's resharing config, which every party builds
// alike from public state and the session nonce: one nonce per title
// session, bound to the title (the deals' HPKE info and signatures name
// the nonce).
func titleSession(chainID string, t *contract.Title, oldT int, oldPts []kyber.Point, newPubs []*ecdh.PublicKey, newT int, nonce []byte) custody.TitleReshareConfig {
	ct := custody.Title{ChainID: chainID, TitleID: t.ID, Segments: len(t.Segments)}
	tn := sha256.Sum256(append(append([]byte("copystation title reshare nonce\x00"), nonce...), t.ID...))
	return custody.TitleReshareConfig{Title: ct, OldNodes: oldPts, OldThreshold: oldT, NewCustody: newPubs, NewThreshold: newT, Nonce: tn[:]}
}

// dealTitle is old node i's deal of its shares of one title: its sealed
// blob of the epoch in force, opened and checked against its root.
func dealTitle(tc custody.TitleReshareConfig, i int, p *reshareParty, blob []byte, root [32]byte) ([]byte, error) {
	ts, err := custody.OpenShares(p.custody, tc.Title, i, blob, root)
	if err != nil {
		return nil, err
	}
	defer ts.Wipe()
	return custody.DealTitleReshare(tc, p.dkg, ts)
}

// combineTitle is new node j's side: its new shares of the title, sealed
// to its custody key, and their root.
func combineTitle(tc custody.TitleReshareConfig, j int, p *reshareParty, deals [][]byte) ([]byte, [32]byte, error) {
	tr, err := custody.CombineTitleReshare(tc, j, p.custody, deals)
	if err != nil {
		return nil, [32]byte{}, err
	}
	tr.Shares.Wipe()
	return tr.Blob, tr.Root, nil
}

// titleRoots is the title's roots at epoch e: its own if dealt at or
// after e, else e's record's.
func titleRoots(app *contract.App, t *contract.Title, e uint32) ([][32]byte, error) {
	if t.Epoch >= e {
		var rs [][32]byte
		for _, r := range t.ShareRoots {
			rs = append(rs, [32]byte(r))
		}
		return rs, nil
	}
	ce, err := app.CustodyEpoch()
	if err != nil {
		return nil, err
	}
	rec, err := custody.UnmarshalEpochRecord(ce.Record)
	if err != nil {
		return nil, err
	}
	rs, ok := rec.Roots(t.ID)
	if !ok {
		return nil, fmt.Errorf("%w: title %s is not in epoch %d's record", ErrReshare, t.ID, e)
	}
	return rs, nil
}

// WipeOldShares, once epoch e's record has committed, zeroes and drops
// the node's shares of earlier epochs from its vault (vault.WipeBefore).
func WipeOldShares(h ReshareHome, e uint32) error {
	path := filepath.Join(h.Home, FileVault)
	sec, err := vault.Load(path, h.KEK)
	if err != nil {
		return fmt.Errorf("chain.WipeOldShares: %w", err)
	}
	defer sec.Wipe()
	sec.WipeBefore(e)
	if err := vault.Save(path, h.KEK, sec, nil); err != nil {
		return fmt.Errorf("chain.WipeOldShares: %w", err)
	}
	return nil
}

// TitleSession is titleSession for the multi-operator resharing
// (genesis.ReshareTitle): every node builds the same config from the
// ledger and the session file's nonce.
func TitleSession(chainID string, t *contract.Title, oldT int, oldPts []kyber.Point, newPubs []*ecdh.PublicKey, newT int, nonce []byte) custody.TitleReshareConfig {
	return titleSession(chainID, t, oldT, oldPts, newPubs, newT, nonce)
}

package validatord

import (
	"context"
	"crypto/ecdh"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"go.dedis.ch/kyber/v4"

	"copystation/atomicfile"
	"copystation/custody"
	"copystation/validatord/chain"
	"copystation/validatord/contract"
	"copystation/validatord/genesis"
	"copystation/validatord/ledger"
	"copystation/validatord/vault"
)

// partsGlob names the tx 26 parts `reshare run` writes to the exchange
// directory: titles first, the record last, in the order of the number.
const partsGlob = "epoch-*-part-*.json"

func partName(e uint32, i int) string { return fmt.Sprintf("epoch-%d-part-%05d.json", e, i) }

// cmdReshareRun is one node's side of a resharing (docs/key-custody.md,
// "Running a session"): the group secret, each title, then the record,
// through the exchange directory; a new node's share of the new epoch is
// sealed into its vault and the tx 26 parts written beside the exchange's
// files for `reshare submit`.
func cmdReshareRun(e *env, args []string) error {
	x := e.exchangeFlags(true, "session", "the session file (reshare assemble)", "dir")
	if err := x.parse(e, args, "session", "dir"); err != nil {
		return err
	}
	b, err := e.backend()
	if err != nil {
		return err
	}
	s, err := readReshareSession(*x.file)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(e.ctx, *x.timeout)
	defer cancel()
	dir := *x.dir
	n, err := reshareRun(ctx, b, s, e.home, x.kek, dir)
	if err != nil {
		return fmt.Errorf("reshare run: %w", err)
	}
	e.print(map[string]any{"epoch": s.Epoch, "parts": n, "dir": dir},
		fmt.Sprintf("resharing to epoch %d done: %d tx 26 parts in %s; submit them with validatord reshare submit --session %s", s.Epoch, n, dir, *x.file))
	return nil
}

func reshareRun(ctx context.Context, b *ledger.Remote, s *genesis.ReshareSession, home string, kek []byte, dir string) (int, error) {
	sec, err := vault.Load(filepath.Join(home, chain.FileVault), kek)
	if err != nil {
		return 0, err
	}
	defer sec.Wipe()
	dkg, err := custody.UnmarshalDKGKey(sec.DKGKey)
	if err != nil {
		return 0, fmt.Errorf("%s has no DKG key: %w", home, err)
	}
	defer dkg.Wipe()
	ck, err := ecdh.X25519().NewPrivateKey(sec.CustodyKey)
	if err != nil {
		return 0, fmt.Errorf("%s has no custody key: %w", home, err)
	}
	chainID, err := b.ChainID(ctx)
	if err != nil {
		return 0, err
	}
	oldGroup, epoch, err := b.CustodyGroup(ctx)
	if err != nil {
		return 0, err
	}
	var cur contract.Custody
	var rec0 *custody.EpochRecord // the record in force, for the roots of titles dealt before it
	if epoch == 0 {
		err = b.Query(ctx, "/custody", &cur)
	} else {
		var ce *contract.CustodyEpoch
		if ce, err = b.Epochs(ctx).CustodyEpoch(); err == nil {
			cur = ce.Custody
			rec0, err = custody.UnmarshalEpochRecord(ce.Record)
		}
	}
	if err != nil {
		return 0, err
	}
	oldIdx, newIdx, err := s.Role(chainID, epoch, cur.Nodes, dkg.Public())
	if err != nil {
		return 0, err
	}
	var share *custody.KeyShare
	if oldIdx >= 0 {
		if share, err = shareOfEpoch(sec, epoch); err != nil {
			return 0, err
		}
		defer share.Wipe()
	}
	res, err := genesis.ReshareGroup(ctx, genesis.GroupReshare{Session: s, ChainID: chainID, Epoch: epoch, Old: cur.Nodes,
		OldGroup: oldGroup, Key: dkg, Share: share, Exchange: dir})
	if err != nil {
		return 0, err
	}
	if res != nil {
		defer res.Share.Wipe()
	}
	parties := genesis.ReshareParties(cur.Nodes, s)
	order := genesis.NewOrder(parties, s)
	oldPts, newPubs, err := reshareKeys(cur.Nodes, s.NewNodes())
	if err != nil {
		return 0, err
	}
	var ids []string
	if err := b.Query(ctx, "/titles", &ids); err != nil {
		return 0, err
	}
	rec := &custody.EpochRecord{ChainID: chainID, Epoch: s.Epoch}
	var parts []contract.CustodyEpochBody
	for i, id := range ids {
		var t contract.Title
		if err := b.Query(ctx, "/title/"+id, &t); err != nil {
			return 0, err
		}
		tr := genesis.TitleReshare{Config: chain.TitleSession(chainID, &t, cur.Threshold, oldPts, newPubs, s.Threshold, s.Nonce),
			Index: i, Parties: parties, OldIdx: oldIdx, NewIdx: newIdx, NewOrder: order, Key: dkg, Custody: ck, Exchange: dir}
		if oldIdx >= 0 {
			if tr.Blob, tr.Root, err = oldBlob(ctx, b, &t, rec0, epoch, oldIdx); err != nil {
				return 0, fmt.Errorf("title %s: %w", id, err)
			}
		}
		out, err := genesis.ReshareTitle(ctx, tr)
		if err != nil {
			return 0, err
		}
		rec.Titles = append(rec.Titles, custody.EpochTitle{TitleID: id, Roots: out.Roots})
		parts = append(parts, contract.CustodyEpochBody{Epoch: s.Epoch, Titles: []contract.EpochTitleShares{{Title: id, Shares: out.Blobs}}})
	}
	rr := genesis.RecordReshare{Parties: parties, Key: dkg.Public(), NewOrder: order, NewNodes: s.NewNodes(), Exchange: dir}
	if res != nil {
		rec.Group = res.Group
		rr.Record, rr.Share = rec, res.Share
	}
	final, err := genesis.ReshareRecord(ctx, rr)
	if err != nil {
		return 0, err
	}
	if res != nil {
		// sealed before the parts are written: once they commit, this
		// node must already hold its share of the new epoch
		sb, err := res.Share.MarshalBinary()
		if err != nil {
			return 0, err
		}
		sec.EpochShares = append(sec.EpochShares, vault.EpochShare{Epoch: s.Epoch, Share: sb})
		if err := vault.Save(filepath.Join(home, chain.FileVault), kek, sec, nil); err != nil {
			return 0, err
		}
	}
	parts = append(parts, *final)
	for i, p := range parts {
		js, err := json.Marshal(p)
		if err != nil {
			return 0, err
		}
		if err := atomicfile.Write(filepath.Join(dir, partName(s.Epoch, i)), js); err != nil {
			return 0, err
		}
	}
	return len(parts), nil
}

// shareOfEpoch is the vault's share of the group secret at epoch e: the
// ceremony's at 0, else the sealed epoch share.
func shareOfEpoch(sec *vault.Secrets, e uint32) (*custody.KeyShare, error) {
	bs := sec.CustodyShare
	if e > 0 {
		bs = nil
		for _, es := range sec.EpochShares {
			if es.Epoch == e {
				bs = es.Share
			}
		}
	}
	if len(bs) == 0 {
		return nil, fmt.Errorf("%w: the vault holds no custody share of epoch %d, the one in force", chain.ErrReshare, e)
	}
	return custody.UnmarshalKeyShare(bs)
}

// reshareKeys are the old set's DKG points and the new set's custody keys.
func reshareKeys(old, nw []contract.CustodyNode) ([]kyber.Point, []*ecdh.PublicKey, error) {
	var pts []kyber.Point
	for i, n := range old {
		p, err := custody.ParseDKGPublic(n.DKGKey)
		if err != nil {
			return nil, nil, fmt.Errorf("DKG key of old node %d: %w", i, err)
		}
		pts = append(pts, p)
	}
	var pubs []*ecdh.PublicKey
	for j, n := range nw {
		k, err := ecdh.X25519().NewPublicKey(n.CustodyKey)
		if err != nil {
			return nil, nil, fmt.Errorf("custody key of new node %d: %w", j, err)
		}
		pubs = append(pubs, k)
	}
	return pts, pubs, nil
}

// oldBlob is old node i's sealed shares of a title at epoch e and their
// root: the issuer's deal if dealt at or after e, else e's resealing.
func oldBlob(ctx context.Context, b *ledger.Remote, t *contract.Title, rec *custody.EpochRecord, e uint32, i int) ([]byte, [32]byte, error) {
	var blob []byte
	if t.Epoch >= e {
		if i >= len(t.ShareRoots) || len(t.ShareRoots[i]) != 32 {
			return nil, [32]byte{}, fmt.Errorf("%w: the title has no share root for node %d", chain.ErrReshare, i)
		}
		err := b.Query(ctx, fmt.Sprintf("/title-shares/%s/%d", t.ID, i), &blob)
		return blob, [32]byte(t.ShareRoots[i]), err
	}
	rs, ok := rec.Roots(t.ID)
	if !ok || i >= len(rs) {
		return nil, [32]byte{}, fmt.Errorf("%w: title %s is not in epoch %d's record", chain.ErrReshare, t.ID, e)
	}
	err := b.Query(ctx, fmt.Sprintf("/epoch-shares/%s/%d/%d", t.ID, e, i), &blob)
	return blob, rs[i], err
}

// ErrNoEpoch: `reshare finish` found no committed custody epoch on the
// ledger: the parts have not been submitted (or not committed) yet.
var ErrNoEpoch = errors.New("no custody epoch committed")

// cmdReshareFinish is each operator's last step, once the epoch record has
// committed: the node's vault keeps only the share of the epoch in force
// (older shares, the ceremony's included, zeroed and dropped). Every old
// custodian must do it: a resharing does not revoke old shares, which stay
// valid while t_old old holders keep theirs (docs/key-custody.md). The
// running node already signs with the new share (it reads it from its
// vault once the record is in force).
func cmdReshareFinish(e *env, args []string) error {
	e.nodeFlags()
	if err := e.parse(args, "home"); err != nil {
		return err
	}
	kek, err := e.kek()
	if err != nil {
		return err
	}
	b, err := e.backend()
	if err != nil {
		return err
	}
	_, epoch, err := b.CustodyGroup(e.ctx)
	if err != nil {
		return fmt.Errorf("reshare finish: %w", err)
	}
	if epoch == 0 {
		return fmt.Errorf("reshare finish: %w: the ledger is at the genesis custody; submit the parts (validatord reshare submit) and wait for them to commit", ErrNoEpoch)
	}
	if err := chain.WipeOldShares(chain.ReshareHome{Home: e.home, KEK: kek}, epoch); err != nil {
		return fmt.Errorf("reshare finish: %w", err)
	}
	e.print(map[string]any{"epoch": epoch},
		fmt.Sprintf("the vault keeps only epoch %d's share; the running node signs with it already (a restart also drops the old share from its memory)", epoch))
	return nil
}

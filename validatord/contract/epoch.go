package contract

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"copystation/custody"
)

// Custody epochs (docs/key-custody.md, "The epoch record"; docs/contract.md,
// "Custody epochs"): after a resharing the operators record the new custody
// set, its group (same key X) and every title's new roots, signed by the
// group under X, with each new node's resealed title shares. Epoch 0 is the
// genesis custody and the issuers' deals; nothing changes until a record
// commits.
const TxCustodyEpoch TxType = 26

// Refusals of a custody epoch.
const (
	CodeBadEpochSignature Code = 51
	CodeStaleEpoch        Code = 52
	CodeEpochMembership   Code = 53
	CodeEpochTitle        Code = 54
)

const keyEpoch = "p/epoch"

// keyEpochRecord holds epoch e's committed CustodyEpoch (the history).
func keyEpochRecord(e uint32) string { return fmt.Sprintf("e/%08x", e) }

// keyEpochShares holds new node j's resealed shares of a title for epoch e.
func keyEpochShares(title string, e uint32, j int) string {
	return fmt.Sprintf("z/%s/%08x/%d", title, e, j)
}

// CustodyEpochBody is TxCustodyEpoch's body. A resharing's title shares may
// exceed one transaction (MaxTxBytes), so they go in parts: any number of
// parts with Titles only, then the final one with Record, Sig and Nodes
// (and possibly Titles too). Each part is signed by an operator; a part's
// shares for a title replace those an earlier part gave for the same
// epoch, until the record commits.
type CustodyEpochBody struct {
	Epoch  uint32             `json:"epoch"`
	Titles []EpochTitleShares `json:"titles,omitempty"`
	// Record is the custody.EpochRecord encoding; Sig the group signature
	// on its label under X, made by t of the new shares.
	Record []byte `json:"record,omitempty"`
	Sig    []byte `json:"sig,omitempty"`
	// Nodes is the new custody set in new order (its share indices).
	Nodes []CustodyNode `json:"nodes,omitempty"`
}

// EpochTitleShares is one title's resealed shares, Shares[j] new node j's
// (custody.TitleReshared.Blob).
type EpochTitleShares struct {
	Title  string   `json:"title"`
	Shares [][]byte `json:"shares"`
}

// CustodyEpoch is a committed epoch: the custody set, threshold and group
// from its height on, and the signed record (with every title's new roots).
type CustodyEpoch struct {
	Epoch   uint32  `json:"epoch"`
	Height  int64   `json:"height"`
	Custody Custody `json:"custody"`
	Record  []byte  `json:"record"`
	Sig     []byte  `json:"sig"`
}

// currentCustody is the custody set issuers deal to and nodes release
// from: the last committed epoch's, or the genesis one (epoch 0).
func currentCustody(v *view) (*Custody, uint32, bool, error) {
	var ce CustodyEpoch
	if found, err := v.getJSON(keyEpoch, &ce); err != nil || found {
		return &ce.Custody, ce.Epoch, found, err
	}
	var c Custody
	found, err := v.getJSON(keyCustody, &c)
	return &c, 0, found, err
}

func (e *execEnv) custodyEpoch(v *view, t *Tx) (*refusal, error) {
	if r, err := e.requireOperator(v, t); r != nil || err != nil {
		return r, err
	}
	var b CustodyEpochBody
	if r := decodeBody(t, &b); r != nil {
		return r, nil
	}
	cur, epoch, found, err := currentCustody(v)
	if err != nil {
		return nil, err
	}
	if !found {
		return refuse(CodeBadField, "the network has no custody group in its genesis to reshare"), nil
	}
	if b.Epoch != epoch+1 {
		return refuse(CodeStaleEpoch, "epoch %d, the network is at epoch %d: the next is %d", b.Epoch, epoch, epoch+1), nil
	}
	for _, ts := range b.Titles {
		if r, err := putEpochShares(v, b.Epoch, ts); r != nil || err != nil {
			return r, err
		}
	}
	if b.Record == nil {
		if len(b.Titles) == 0 {
			return refuse(CodeBadField, "a custody epoch part carries title shares, the record, or both"), nil
		}
		return nil, nil
	}
	rec, r := e.checkEpochRecord(cur, &b)
	if r != nil {
		return r, nil
	}
	if r, err := checkEpochMembers(v, b.Nodes); r != nil || err != nil {
		return r, err
	}
	if r, err := checkEpochTitles(v, rec); r != nil || err != nil {
		return r, err
	}
	ce := CustodyEpoch{Epoch: b.Epoch, Height: e.height, Record: b.Record, Sig: b.Sig,
		Custody: Custody{Threshold: rec.Group.T(), Group: mustGroupBytes(rec.Group), Nodes: b.Nodes}}
	if err := v.putJSON(keyEpochRecord(b.Epoch), ce); err != nil {
		return nil, err
	}
	return nil, v.putJSON(keyEpoch, ce)
}

func mustGroupBytes(g *custody.Group) []byte {
	p, _ := g.MarshalBinary() // a group that decoded encodes
	return p
}

// putEpochShares stages one title's resealed shares for epoch e: the title
// is registered and each blob is the exact size of a sealed share vector.
func putEpochShares(v *view, e uint32, ts EpochTitleShares) (*refusal, error) {
	var ti Title
	if found, err := v.getJSON(keyTitle(ts.Title), &ti); err != nil || !found {
		return refuse(CodeEpochTitle, "title %q is not registered", ts.Title), err
	}
	if len(ts.Shares) == 0 || len(ts.Shares) > custody.MaxNodes {
		return refuse(CodeBadField, "title %s: %d sealed shares, want one per new custody node", ts.Title, len(ts.Shares)), nil
	}
	want := custody.SealedSharesLen(len(ti.Segments))
	for j, s := range ts.Shares {
		if len(s) != want {
			return refuse(CodeBadField, "title %s: sealed shares for new node %d are %d bytes, want %d for %d segments", ts.Title, j, len(s), want, len(ti.Segments)), nil
		}
		v.put(keyEpochShares(ts.Title, e, j), s)
	}
	return nil, nil
}

// checkEpochRecord checks what the record says against the body and the
// network: this chain, the body's epoch, the current group key, as many
// nodes as listed, and the group signature under X on its label.
func (e *execEnv) checkEpochRecord(cur *Custody, b *CustodyEpochBody) (*custody.EpochRecord, *refusal) {
	rec, err := custody.UnmarshalEpochRecord(b.Record)
	if err != nil {
		return nil, refuse(CodeBadEncoding, "epoch record: %v", err)
	}
	old, err := custody.UnmarshalGroup(cur.Group)
	if err != nil {
		return nil, refuse(CodeBadField, "the current custody group does not decode: %v", err)
	}
	switch {
	case rec.ChainID != e.chainID:
		return nil, refuse(CodeWrongChain, "the epoch record names chain %q; this network is %q", rec.ChainID, e.chainID)
	case rec.Epoch != b.Epoch:
		return nil, refuse(CodeStaleEpoch, "the record is of epoch %d, the transaction of epoch %d", rec.Epoch, b.Epoch)
	case !bytes.Equal(rec.Group.KeyBytes(), old.KeyBytes()):
		return nil, refuse(CodeBadEpochSignature, "the record's group key is not the network's group key X: a resharing keeps X")
	case rec.Group.N() != len(b.Nodes):
		return nil, refuse(CodeEpochMembership, "the record's group has %d nodes, the transaction lists %d", rec.Group.N(), len(b.Nodes))
	}
	var sig custody.Signature
	if len(b.Sig) != len(sig) {
		return nil, refuse(CodeBadEpochSignature, "signature of %d bytes, want %d", len(b.Sig), len(sig))
	}
	copy(sig[:], b.Sig)
	label, err := rec.Label()
	if err != nil {
		return nil, refuse(CodeBadEncoding, "epoch record: %v", err)
	}
	if err := custody.Verify(old.Key(), label, sig); err != nil {
		return nil, refuse(CodeBadEpochSignature, "epoch %d: %v", rec.Epoch, err)
	}
	return rec, nil
}

// checkEpochMembers: the new custody set is the validator set. Each node
// is distinct; one whose validator joined (its descriptor names a DKG key)
// must be in it with the descriptor's keys; every other is a genesis
// custody node with the same keys (so a joined node voted out, which has
// neither, cannot stay); and there are as many as validators. A genesis validator has no descriptor, so which
// genesis node a removed genesis validator ran is the operators' to get
// right (docs/contract.md, "Custody epochs").
func checkEpochMembers(v *view, nodes []CustodyNode) (*refusal, error) {
	set, err := getValidators(v)
	if err != nil {
		return nil, err
	}
	var gen Custody
	if _, err := v.getJSON(keyCustody, &gen); err != nil {
		return nil, err
	}
	known := map[string]CustodyNode{}
	for _, n := range gen.Nodes {
		known[string(n.DKGKey)] = n
	}
	joined := map[string]bool{}
	for _, val := range set.Validators {
		if d := val.Descriptor; len(d.DKGKey) > 0 {
			known[string(d.DKGKey)] = CustodyNode{DKGKey: d.DKGKey, CustodyKey: d.CustodyKey}
			joined[string(d.DKGKey)] = true
		}
	}
	if len(nodes) != len(set.Validators) {
		return refuse(CodeEpochMembership, "%d custody nodes for %d validators: the custody set follows the validator set", len(nodes), len(set.Validators)), nil
	}
	seen := map[string]bool{}
	for j, n := range nodes {
		if r := checkText("custody node name", n.Name, MaxNameLen); r != nil {
			return r, nil
		}
		k, ok := known[string(n.DKGKey)]
		switch {
		case seen[string(n.DKGKey)]:
			return refuse(CodeEpochMembership, "new node %d (%s) is listed twice", j, n.Name), nil
		case !ok:
			return refuse(CodeEpochMembership, "new node %d (%s) is neither a genesis custody node nor a current validator's descriptor", j, n.Name), nil
		case !bytes.Equal(k.CustodyKey, n.CustodyKey):
			return refuse(CodeEpochMembership, "new node %d (%s) has another custody key than its record", j, n.Name), nil
		}
		seen[string(n.DKGKey)] = true
		delete(joined, string(n.DKGKey))
	}
	if len(joined) > 0 {
		return refuse(CodeEpochMembership, "%d joined validators are not in the new custody set", len(joined)), nil
	}
	return nil, nil
}

// checkEpochTitles: the record names every registered title and no other,
// and each new node's shares of each are staged for the epoch.
func checkEpochTitles(v *view, rec *custody.EpochRecord) (*refusal, error) {
	ids, err := v.keysWithPrefix("t/")
	if err != nil {
		return nil, err
	}
	if len(ids) != len(rec.Titles) {
		return refuse(CodeEpochTitle, "the record names %d titles, %d are registered: a record names every title (reshare again with the titles registered since)", len(rec.Titles), len(ids)), nil
	}
	for i, t := range rec.Titles {
		if strings.TrimPrefix(ids[i], "t/") != t.TitleID {
			return refuse(CodeEpochTitle, "title %q is not registered, or a registered one is missing", t.TitleID), nil
		}
		for j := range rec.Group.N() {
			if p, err := v.get(keyEpochShares(t.TitleID, rec.Epoch, j)); err != nil || p == nil {
				return refuse(CodeEpochTitle, "title %s: no sealed shares for new node %d in epoch %d; send them in a part first", t.TitleID, j, rec.Epoch), err
			}
		}
	}
	return nil, nil
}

// CustodyEpoch returns the current committed custody epoch (ErrNotFound at
// epoch 0, when the genesis custody and the issuers' deals are in force).
func (a *App) CustodyEpoch() (*CustodyEpoch, error) {
	var ce CustodyEpoch
	return &ce, wrapQuery("custody epoch", "", a.committed(keyEpoch, &ce))
}

// EpochTitleShares returns new node j's sealed shares of a title for
// epoch e (a query error wrapping ErrNotFound if there are none).
func (a *App) EpochTitleShares(titleID string, e uint32, j int) ([]byte, error) {
	p, err := a.db.Get([]byte(keyEpochShares(titleID, e, j)))
	if err != nil {
		return nil, fmt.Errorf("contract: read epoch %d shares of %s for node %d: %w", e, titleID, j, err)
	}
	if p == nil {
		return nil, wrapQuery("epoch title shares", fmt.Sprintf("%s/%d/%d", titleID, e, j), ErrNotFound)
	}
	return p, nil
}

// keysWithPrefix lists the state keys under pfx, committed, staged or
// written in this view, sorted.
func (v *view) keysWithPrefix(pfx string) ([]string, error) {
	end := []byte(pfx)
	end[len(end)-1]++
	it, err := v.db.Iterator([]byte(pfx), end)
	if err != nil {
		return nil, fmt.Errorf("contract: list %q: %w", pfx, err)
	}
	defer it.Close()
	set := map[string]bool{}
	for ; it.Valid(); it.Next() {
		set[string(it.Key())] = true
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("contract: list %q: %w", pfx, err)
	}
	for _, m := range []map[string][]byte{v.staged, v.writes} {
		for k := range m {
			if strings.HasPrefix(k, pfx) {
				set[k] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out, nil
}

// CurrentCustody returns the committed custody in force and its epoch:
// the last epoch's, or the genesis custody at epoch 0.
func (a *App) CurrentCustody() (*Custody, uint32, error) {
	ce, err := a.CustodyEpoch()
	if err == nil {
		return &ce.Custody, ce.Epoch, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, 0, err
	}
	c, err := a.Custody()
	return c, 0, err
}

func (a *App) epochSharesQuery(titleID, epoch, node string) ([]byte, error) {
	var e uint32
	var j int
	if _, err := fmt.Sscanf(epoch+" "+node, "%d %d", &e, &j); err != nil || j < 0 || j >= custody.MaxNodes ||
		fmt.Sprint(e) != epoch || fmt.Sprint(j) != node {
		return nil, wrapQuery("epoch title shares", titleID+"/"+epoch+"/"+node, ErrNotFound)
	}
	return a.EpochTitleShares(titleID, e, j)
}

// TitleIDs lists the committed titles' IDs, sorted: what a resharing
// reshares.
func (a *App) TitleIDs() ([]string, error) {
	v := &view{db: a.db}
	keys, err := v.keysWithPrefix("t/")
	if err != nil {
		return nil, err
	}
	for i, k := range keys {
		keys[i] = strings.TrimPrefix(k, "t/")
	}
	return keys, nil
}

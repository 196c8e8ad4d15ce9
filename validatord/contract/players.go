package contract

import (
	"errors"
	"fmt"
	"slices"

	"copystation/custody/playertree"
)

// Players are licensed disc players, leaves of a player tree whose node
// keys the validation nodes extract together (docs/key-custody.md,
// "Players: Complete Subtree over IBE"). An operator records a maker's
// enrollment of one leaf (TxEnrollPlayer); t nodes then each extract the
// leaf's path keys for that maker only once the enrollment is final on
// their own ledger. An operator revokes a leaf (TxRevokePlayer) from a
// height on: a disc whose spend is at or after that height carries a key
// block the player cannot open.

// MaxRevokedPlayers bounds a tree's revoked leaves: they travel in every
// copy's release, and 2,048 revoked leaves of 2^20 already make a cover of
// about 17,000 nodes (a 2.8 MB key block). A tree with more starts anew.
const MaxRevokedPlayers = 2048

// DefaultPlayerTree is the player tree's ID when the genesis names none.
const DefaultPlayerTree = "players-1"

// Players is the network's player tree: the one tree stations write key
// blocks for and enrollments name.
func (p *Params) Players() playertree.Tree {
	t := playertree.Tree{ID: p.PlayerTree, Depth: p.PlayerDepth}
	if t.ID == "" {
		t.ID = DefaultPlayerTree
	}
	if t.Depth == 0 {
		t.Depth = playertree.DefaultDepth
	}
	return t
}

// makerKeyLen is an X25519 public key (the maker's HPKE recipient key).
const makerKeyLen = 32

// Player is one enrolled leaf (state key p/<tree>/<leaf>).
type Player struct {
	Tree  string `json:"tree"`
	Depth uint8  `json:"depth"`
	Leaf  uint32 `json:"leaf"`
	Maker string `json:"maker"`
	// MakerKey is the X25519 public key the nodes seal the leaf's partial
	// extractions to.
	MakerKey      []byte `json:"maker_key"`
	Height        int64  `json:"height"`
	RevokedFrom   int64  `json:"revoked_from,omitempty"` // 0: not revoked
	RevokedReason string `json:"revoked_reason,omitempty"`
}

// RevokedLeaf is one revoked leaf and the height its revocation starts.
type RevokedLeaf struct {
	Leaf uint32 `json:"leaf"`
	From int64  `json:"from"`
}

// RevokedPlayers is a tree's revoked leaves, sorted (state key v/<tree>).
type RevokedPlayers struct {
	Tree   string        `json:"tree"`
	Leaves []RevokedLeaf `json:"leaves"`
}

// At lists the leaves revoked at height h: every leaf whose revocation
// starts at or before h.
func (r *RevokedPlayers) At(h int64) []uint32 {
	var out []uint32
	for _, l := range r.Leaves {
		if l.From <= h {
			out = append(out, l.Leaf)
		}
	}
	return out
}

// Bodies of the player transactions.
type (
	EnrollPlayerBody struct {
		Tree     string `json:"tree"`
		Depth    uint8  `json:"depth"`
		Leaf     uint32 `json:"leaf"`
		Maker    string `json:"maker"`
		MakerKey []byte `json:"maker_key"`
	}
	RevokePlayerBody struct {
		Tree string `json:"tree"`
		Leaf uint32 `json:"leaf"`
		// From is the first height the revocation applies to; 0 or a
		// past height means the block that commits it.
		From   int64  `json:"from,omitempty"`
		Reason string `json:"reason"`
	}
)

func keyPlayer(tree string, leaf uint32) string { return fmt.Sprintf("p/%s/%08x", tree, leaf) }
func keyRevoked(tree string) string             { return "v/" + tree }

func (e *execEnv) enrollPlayer(v *view, t *Tx) (*refusal, error) {
	if r, err := e.requireOperator(v, t); r != nil || err != nil {
		return r, err
	}
	var b EnrollPlayerBody
	if r := decodeBody(t, &b); r != nil {
		return r, nil
	}
	if r := checkTree(b.Tree, b.Depth, b.Leaf); r != nil {
		return r, nil
	}
	p, err := e.params(v)
	if err != nil {
		return nil, err
	}
	if tr := p.Players(); tr.ID != b.Tree || tr.Depth != b.Depth {
		return refuse(CodeBadField, "tree %q of depth %d: this network's player tree is %q of depth %d", b.Tree, b.Depth, tr.ID, tr.Depth), nil
	}
	if r := checkID("maker", b.Maker); r != nil {
		return r, nil
	}
	if r := checkBytes("maker key", b.MakerKey, makerKeyLen, makerKeyLen); r != nil {
		return r, nil
	}
	key := keyPlayer(b.Tree, b.Leaf)
	if p, err := v.get(key); err != nil || p != nil {
		return refuse(CodePlayerExists, "leaf %d of tree %s", b.Leaf, b.Tree), err
	}
	return nil, v.putJSON(key, &Player{Tree: b.Tree, Depth: b.Depth, Leaf: b.Leaf, Maker: b.Maker, MakerKey: b.MakerKey, Height: e.height})
}

func (e *execEnv) revokePlayer(v *view, t *Tx) (*refusal, error) {
	if r, err := e.requireOperator(v, t); r != nil || err != nil {
		return r, err
	}
	var b RevokePlayerBody
	if r := decodeBody(t, &b); r != nil {
		return r, nil
	}
	if r := checkText("reason", b.Reason, MaxNameLen); r != nil {
		return r, nil
	}
	var p Player
	found, err := v.getJSON(keyPlayer(b.Tree, b.Leaf), &p)
	if err != nil || !found {
		return refuse(CodeUnknownPlayer, "leaf %d of tree %q", b.Leaf, b.Tree), err
	}
	if p.RevokedFrom != 0 {
		return refuse(CodePlayerRevoked, "leaf %d of tree %s, from height %d", b.Leaf, b.Tree, p.RevokedFrom), nil
	}
	var rp RevokedPlayers
	if _, err := v.getJSON(keyRevoked(b.Tree), &rp); err != nil {
		return nil, err
	}
	if len(rp.Leaves) >= MaxRevokedPlayers {
		return refuse(CodeBadField, "tree %s already has %d revoked players, the most a release carries; enroll new players in a new tree", b.Tree, len(rp.Leaves)), nil
	}
	from := max(b.From, e.height)
	rp.Tree = b.Tree
	i, _ := slices.BinarySearchFunc(rp.Leaves, b.Leaf, func(l RevokedLeaf, leaf uint32) int { return int(int64(l.Leaf) - int64(leaf)) })
	rp.Leaves = slices.Insert(rp.Leaves, i, RevokedLeaf{Leaf: b.Leaf, From: from})
	p.RevokedFrom, p.RevokedReason = from, b.Reason
	if err := v.putJSON(keyPlayer(b.Tree, b.Leaf), &p); err != nil {
		return nil, err
	}
	return nil, v.putJSON(keyRevoked(b.Tree), &rp)
}

// checkTree checks a tree and leaf as playertree does.
func checkTree(tree string, depth uint8, leaf uint32) *refusal {
	if r := checkID("tree", tree); r != nil {
		return r
	}
	tr := playertree.Tree{ID: tree, Depth: depth}
	if _, err := tr.PathOf(leaf); err != nil {
		return refuse(CodeBadField, "%v", err)
	}
	return nil
}

// Player returns a committed enrollment.
func (a *App) Player(tree string, leaf uint32) (*Player, error) {
	var p Player
	return &p, wrapQuery("player", fmt.Sprintf("%s/%d", tree, leaf), a.committed(keyPlayer(tree, leaf), &p))
}

// RevokedPlayers returns a tree's committed revoked leaves (none if no
// leaf was ever revoked).
func (a *App) RevokedPlayers(tree string) (*RevokedPlayers, error) {
	rp := RevokedPlayers{Tree: tree, Leaves: []RevokedLeaf{}}
	err := a.committed(keyRevoked(tree), &rp)
	if errors.Is(err, ErrNotFound) {
		return &rp, nil
	}
	return &rp, wrapQuery("revoked players", tree, err)
}

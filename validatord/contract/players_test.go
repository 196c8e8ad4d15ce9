package contract

import (
	"bytes"
	"slices"
	"testing"
)

// TestPlayers: an operator enrolls a maker's player at a leaf, once; an
// operator revokes it from a height on, once; the revoked set at a height
// lists exactly the leaves revoked by then; nobody else may do either.
func TestPlayers(t *testing.T) {
	w := newWorld(t)
	mk := bytes.Repeat([]byte{7}, 32)
	enroll := func(leaf uint32) EnrollPlayerBody {
		return EnrollPlayerBody{Tree: DefaultPlayerTree, Depth: 20, Leaf: leaf, Maker: "acme", MakerKey: mk}
	}
	tests := []struct {
		name string
		by   *party
		typ  TxType
		body any
		want Code
	}{
		{"enroll by an issuer", w.issuer, TxEnrollPlayer, enroll(5), CodeNotOperator},
		{"enroll", w.op, TxEnrollPlayer, enroll(5), OK},
		{"enroll again", w.op, TxEnrollPlayer, enroll(5), CodePlayerExists},
		{"enroll another", w.op, TxEnrollPlayer, enroll(6), OK},
		{"leaf outside the tree", w.op, TxEnrollPlayer, EnrollPlayerBody{Tree: DefaultPlayerTree, Depth: 20, Leaf: 1 << 20, Maker: "acme", MakerKey: mk}, CodeBadField},
		{"another tree", w.op, TxEnrollPlayer, EnrollPlayerBody{Tree: "other", Depth: 20, Leaf: 1, Maker: "acme", MakerKey: mk}, CodeBadField},
		{"depth 0", w.op, TxEnrollPlayer, EnrollPlayerBody{Tree: DefaultPlayerTree, Depth: 0, Maker: "acme", MakerKey: mk}, CodeBadField},
		{"short maker key", w.op, TxEnrollPlayer, EnrollPlayerBody{Tree: DefaultPlayerTree, Depth: 20, Leaf: 9, Maker: "acme", MakerKey: mk[:31]}, CodeBadField},
		{"revoke by an issuer", w.issuer, TxRevokePlayer, RevokePlayerBody{Tree: DefaultPlayerTree, Leaf: 5, Reason: "leaked"}, CodeNotOperator},
		{"revoke unknown", w.op, TxRevokePlayer, RevokePlayerBody{Tree: DefaultPlayerTree, Leaf: 7, Reason: "leaked"}, CodeUnknownPlayer},
		{"revoke", w.op, TxRevokePlayer, RevokePlayerBody{Tree: DefaultPlayerTree, Leaf: 5, Reason: "keys leaked"}, OK},
		{"revoke again", w.op, TxRevokePlayer, RevokePlayerBody{Tree: DefaultPlayerTree, Leaf: 5, Reason: "again"}, CodePlayerRevoked},
		{"revoke later", w.op, TxRevokePlayer, RevokePlayerBody{Tree: DefaultPlayerTree, Leaf: 6, From: 1000, Reason: "recall"}, OK},
	}
	var revokedAt int64
	for _, tc := range tests {
		r := w.one(w.gov(tc.by, tc.typ, tc.body))
		if Code(r.Code) != tc.want {
			t.Fatalf("%s = %d (%s), want %d", tc.name, r.Code, r.Log, tc.want)
		}
		if tc.name == "revoke" {
			revokedAt, _ = w.app.LastCommit()
		}
	}
	p, err := w.app.Player(DefaultPlayerTree, 5)
	if err != nil || p.Maker != "acme" || !bytes.Equal(p.MakerKey, mk) || p.RevokedFrom != revokedAt || p.RevokedReason != "keys leaked" {
		t.Fatalf("Player(main, 5) = %+v, %v, want acme's, revoked from %d", p, err, revokedAt)
	}
	rp, err := w.app.RevokedPlayers(DefaultPlayerTree)
	if err != nil || len(rp.Leaves) != 2 {
		t.Fatalf("RevokedPlayers(main) = %+v, %v, want 2 leaves", rp, err)
	}
	for _, tc := range []struct {
		h    int64
		want []uint32
	}{{revokedAt - 1, nil}, {revokedAt, []uint32{5}}, {999, []uint32{5}}, {1000, []uint32{5, 6}}} {
		if got := rp.At(tc.h); !slices.Equal(got, tc.want) {
			t.Errorf("RevokedPlayers.At(%d) = %v, want %v", tc.h, got, tc.want)
		}
	}
	if rp, err := w.app.RevokedPlayers("other"); err != nil || len(rp.Leaves) != 0 {
		t.Errorf("RevokedPlayers(other) = %+v, %v, want none", rp, err)
	}
}

// playerCases are the player transactions' refusals, each on a fresh
// world.
func playerCases() []ruleCase {
	enroll := func(w *world, leaf uint32) []byte {
		return w.gov(w.op, TxEnrollPlayer, EnrollPlayerBody{Tree: DefaultPlayerTree, Depth: 20, Leaf: leaf, Maker: "acme", MakerKey: make([]byte, 32)})
	}
	revoke := func(w *world, leaf uint32) []byte {
		return w.gov(w.op, TxRevokePlayer, RevokePlayerBody{Tree: DefaultPlayerTree, Leaf: leaf, Reason: "leaked"})
	}
	return []ruleCase{
		{name: "enroll player", want: OK, tx: func(w *world) []byte { return enroll(w, 1) }},
		{name: "enroll enrolled player", want: CodePlayerExists, setup: func(w *world) { w.mustOK(enroll(w, 1)) },
			tx: func(w *world) []byte { return enroll(w, 1) }},
		{name: "revoke unknown player", want: CodeUnknownPlayer, tx: func(w *world) []byte { return revoke(w, 1) }},
		{name: "revoke revoked player", want: CodePlayerRevoked, setup: func(w *world) { w.mustOK(enroll(w, 1)); w.mustOK(revoke(w, 1)) },
			tx: func(w *world) []byte { return revoke(w, 1) }},
	}
}

func TestPlayerRules(t *testing.T) { runRules(t, playerCases()) }

// TestGenesisPlayerTree: the genesis names the network's player tree, or
// takes the default; an unusable one is refused at genesis.
func TestGenesisPlayerTree(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tree  string
		depth uint8
		ok    bool
	}{
		{"default", "", 0, true},
		{"named", "players-2", 24, true},
		{"too deep", "players-2", 33, false},
		{"bad ID", "players/2", 20, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Params{PlayerTree: tc.tree, PlayerDepth: tc.depth}
			v := &view{writes: map[string][]byte{}}
			err := applyGenesis(v, &Genesis{Params: p, Operators: [][]byte{newParty(t).pub}})
			if (err == nil) != tc.ok {
				t.Fatalf("applyGenesis(player tree %q, depth %d) = %v, want ok %v", tc.tree, tc.depth, err, tc.ok)
			}
		})
	}
}

package chain

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"

	"copystation/custody"
	"copystation/validatord/contract"
)

// epochFixture is a 4-node group (t = 2) from a real in-process DKG and
// the record its nodes would rebuild after a resharing.
func epochFixture(t *testing.T) ([]*custody.DKGResult, []contract.CustodyNode, *custody.EpochRecord) {
	t.Helper()
	var keys []*custody.DKGKey
	cc := custody.CeremonyConfig{Threshold: 2, Nonce: make([]byte, 32)}
	var nodes []contract.CustodyNode
	for i := range 4 {
		k := custody.NewDKGKey()
		keys = append(keys, k)
		p, err := custody.ParseDKGPublic(k.Public())
		if err != nil {
			t.Fatal(err)
		}
		cc.Nodes = append(cc.Nodes, p)
		nodes = append(nodes, contract.CustodyNode{Name: fmt.Sprintf("n%d", i), DKGKey: k.Public()})
	}
	if _, err := rand.Read(cc.Nonce); err != nil {
		t.Fatal(err)
	}
	res, err := custody.RunInProcess(cc, keys)
	if err != nil {
		t.Fatalf("RunInProcess = %v", err)
	}
	rec := &custody.EpochRecord{ChainID: "epochsign", Epoch: 1, Group: res[0].Group,
		Titles: []custody.EpochTitle{{TitleID: "film", Roots: make([][32]byte, 4)}}}
	return res, nodes, rec
}

func signAll(t *testing.T, res []*custody.DKGResult, rec func(j int) *custody.EpochRecord) []EpochPartial {
	t.Helper()
	var ps []EpochPartial
	for j, r := range res {
		p, err := SignEpochRecord(rec(j), r.Share)
		if err != nil {
			t.Fatalf("SignEpochRecord(node %d) = %v", j, err)
		}
		ps = append(ps, p)
	}
	return ps
}

func TestCombineEpochPartials(t *testing.T) {
	res, nodes, rec := epochFixture(t)
	same := func(int) *custody.EpochRecord { return rec }
	other := *rec
	other.Titles = []custody.EpochTitle{{TitleID: "film", Roots: make([][32]byte, 4)}}
	other.Titles[0].Roots[3][0] = 1 // node 3 combined its title share differently
	differs := func(j int) *custody.EpochRecord {
		if j == 2 {
			return &other
		}
		return rec
	}
	forged := func(ps []EpochPartial) []EpochPartial {
		ps[0].Partial.Sig = ps[1].Partial.Sig // node 0's partial is node 1's
		return ps
	}
	tests := []struct {
		name    string
		ps      func() []EpochPartial
		nodes   []contract.CustodyNode
		want    error
		wantMsg string
	}{
		{name: "all agree", ps: func() []EpochPartial { return signAll(t, res, same) }, nodes: nodes},
		{name: "t of them", ps: func() []EpochPartial { return signAll(t, res[2:], same) }, nodes: nodes},
		{name: "one bad partial, t good left", ps: func() []EpochPartial { return forged(signAll(t, res, same)) }, nodes: nodes},
		{name: "one record differs", ps: func() []EpochPartial { return signAll(t, res, differs) }, nodes: nodes,
			want: ErrEpochRecordMismatch, wantMsg: "new node(s) 2 (n2) built another record than node(s) 0 (n0), 1 (n1), 3 (n3)"},
		{name: "fewer than t valid", ps: func() []EpochPartial { return forged(signAll(t, res[:2], same)) }, nodes: nodes,
			want: custody.ErrNotEnoughShares},
		{name: "none", ps: func() []EpochPartial { return nil }, nodes: nodes, want: custody.ErrNotEnoughShares},
		{name: "set of another size", ps: func() []EpochPartial { return signAll(t, res, same) }, nodes: nodes[:3], want: ErrReshare},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, err := CombineEpochPartials(tc.nodes, tc.ps())
			if tc.want != nil {
				if !errors.Is(err, tc.want) || !strings.Contains(fmt.Sprint(err), tc.wantMsg) {
					t.Fatalf("CombineEpochPartials = %v, want %v containing %q", err, tc.want, tc.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("CombineEpochPartials = %v, want nil", err)
			}
			// the network accepts what the combine gives
			if _, err := custody.AcceptEpoch(res[0].Group, "epochsign", 0, body.Record, custody.Signature(body.Sig)); err != nil {
				t.Fatalf("AcceptEpoch = %v, want nil", err)
			}
			if body.Epoch != 1 || len(body.Nodes) != 4 || body.Nodes[3].Name != "n3" {
				t.Fatalf("body = epoch %d, nodes %v; want epoch 1 and the new set", body.Epoch, body.Nodes)
			}
		})
	}
}

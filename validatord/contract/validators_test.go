package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/ed25519"
)

// validatorCodes are the refusals the validator tests below expect.
var validatorCodes = []Code{CodeUnknownProposal, CodeAlreadyVoted, CodeNoVotingPower, CodeTooFewValidators}

// valNet is an App with four genesis validators of power 10, each governed
// by its own operator, driven block by block as CometBFT would.
type valNet struct {
	*chain
	ops  []*party
	idle *party // a genesis operator governing no validator
	vals [][]byte
	last []abci.ValidatorUpdate // the last block's updates
}

func newValNet(t *testing.T) *valNet {
	t.Helper()
	n := &valNet{}
	g := Genesis{Params: Params{MaxRetries: 3}}
	var updates []abci.ValidatorUpdate
	for range 4 {
		op := newParty(t)
		pub := ed25519.GenPrivKey().PubKey().Bytes()
		n.ops, n.vals = append(n.ops, op), append(n.vals, pub)
		g.Operators = append(g.Operators, op.pub)
		g.Validators = append(g.Validators, GenesisValidator{PubKey: pub, Operator: op.pub})
		updates = append(updates, abci.ValidatorUpdate{Power: 10, PubKeyType: ed25519.KeyType, PubKeyBytes: pub})
	}
	n.idle = newParty(t)
	g.Operators = append(g.Operators, n.idle.pub)
	app, err := New(dbm.NewMemDB(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(g)
	if _, err := app.InitChain(context.Background(), &abci.InitChainRequest{ChainId: testChain, InitialHeight: 1, AppStateBytes: js, Validators: updates}); err != nil {
		t.Fatalf("InitChain() = %v", err)
	}
	n.chain = &chain{t: t, app: app, now: time.Unix(1_800_000_000, 0), nonces: map[string]uint64{}, gen: g, chainID: testChain}
	return n
}

// run executes one transaction in its own block, keeping the updates.
func (n *valNet) run(tx []byte) Code {
	n.t.Helper()
	n.height++
	resp, err := n.app.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{Height: n.height, Time: n.now, Txs: [][]byte{tx}})
	if err != nil {
		n.t.Fatalf("FinalizeBlock(%d) = %v", n.height, err)
	}
	if _, err := n.app.Commit(context.Background(), &abci.CommitRequest{}); err != nil {
		n.t.Fatal(err)
	}
	n.last = resp.ValidatorUpdates
	return Code(resp.TxResults[0].Code)
}

func (n *valNet) set() *ValidatorSet {
	n.t.Helper()
	s, err := n.app.Validators()
	if err != nil {
		n.t.Fatalf("Validators() = %v", err)
	}
	return s
}

// TestValidatorJoinAndLeave: an addition passes only when the approving
// operators govern more than 2/3 of the power (3 of 4), and only then
// does FinalizeBlock return the update; the new operator then votes with
// the others to remove its validator again (power 0), after which it has
// left and can govern nothing.
func TestValidatorJoinAndLeave(t *testing.T) {
	n := newValNet(t)
	newOp := newParty(t)
	newVal := ed25519.GenPrivKey().PubKey().Bytes()
	add := ProposeValidatorBody{ID: "join-5", Kind: ProposeAdd, PubKey: newVal, Power: 10, Operator: newOp.pub,
		Descriptor: NodeDescriptor{Moniker: "node4", P2P: "127.0.0.1:1"}}
	steps := []struct {
		name    string
		tx      []byte
		want    Code
		updates int
	}{
		{"propose (1 of 4)", n.gov(n.ops[0], TxProposeValidator, add), OK, 0},
		{"vote again", n.gov(n.ops[0], TxVoteValidator, VoteValidatorBody{ID: "join-5"}), CodeAlreadyVoted, 0},
		{"not an operator", n.gov(newOp, TxVoteValidator, VoteValidatorBody{ID: "join-5"}), CodeNotOperator, 0},
		{"unknown proposal", n.gov(n.ops[1], TxVoteValidator, VoteValidatorBody{ID: "nope"}), CodeUnknownProposal, 0},
		{"vote 2 of 4 (20/40)", n.gov(n.ops[1], TxVoteValidator, VoteValidatorBody{ID: "join-5"}), OK, 0},
		{"vote 3 of 4 (30/40 > 2/3)", n.gov(n.ops[2], TxVoteValidator, VoteValidatorBody{ID: "join-5"}), OK, 1},
		{"vote after passing", n.gov(n.ops[3], TxVoteValidator, VoteValidatorBody{ID: "join-5"}), CodeUnknownProposal, 0},
	}
	var passed []abci.ValidatorUpdate
	for _, s := range steps {
		if got := n.run(s.tx); got != s.want || len(n.last) != s.updates {
			t.Fatalf("%s: code %s, %d updates; want %s, %d", s.name, got.Name(), len(n.last), s.want.Name(), s.updates)
		}
		passed = append(passed, n.last...)
	}
	if u := passed[0]; !bytes.Equal(u.PubKeyBytes, newVal) || u.Power != 10 || u.PubKeyType != ed25519.KeyType {
		t.Fatalf("update = %v, want %X power 10", u, newVal)
	}
	if s := n.set(); len(s.Validators) != 5 || s.Validators[s.find(newVal)].Descriptor.Moniker != "node4" {
		t.Fatalf("set after joining = %+v, want 5 with node4", s)
	}
	// The new operator now governs 10 of 50: it may propose its own
	// removal; 4 of 5 approvals (40/50) pass it.
	rm := ProposeValidatorBody{ID: "leave-5", Kind: ProposeRemove, PubKey: newVal}
	for i, p := range []*party{newOp, n.ops[0], n.ops[1]} {
		if got := n.run(n.gov(p, map[bool]TxType{true: TxProposeValidator, false: TxVoteValidator}[i == 0], map[bool]any{true: rm, false: VoteValidatorBody{ID: "leave-5"}}[i == 0])); got != OK || len(n.last) != 0 {
			t.Fatalf("removal approval %d: %s, %d updates; want ok and none yet", i+1, got.Name(), len(n.last))
		}
	}
	if got := n.run(n.gov(n.ops[2], TxVoteValidator, VoteValidatorBody{ID: "leave-5"})); got != OK || len(n.last) != 1 || n.last[0].Power != 0 {
		t.Fatalf("removal approval 4: %s, updates %v; want ok and power 0", got.Name(), n.last)
	}
	if s := n.set(); len(s.Validators) != 4 || s.find(newVal) >= 0 {
		t.Fatalf("set after leaving = %d validators, want the 4 of genesis", len(s.Validators))
	}
	if got := n.run(n.gov(newOp, TxProposeValidator, ProposeValidatorBody{ID: "back", Kind: ProposeAdd, PubKey: newVal, Power: 1, Operator: newOp.pub})); got != CodeNotOperator {
		t.Fatalf("departed operator proposes: %s, want not-operator", got.Name())
	}
}

// TestValidatorRefusals: the refusals that need no vote.
func TestValidatorRefusals(t *testing.T) {
	n := newValNet(t)
	stranger := newParty(t)
	cases := []struct {
		name string
		by   *party
		body ProposeValidatorBody
		want Code
	}{
		{"removal below the minimum", n.ops[0], ProposeValidatorBody{ID: "rm", Kind: ProposeRemove, PubKey: n.vals[3]}, CodeTooFewValidators},
		{"remove a stranger", n.ops[0], ProposeValidatorBody{ID: "rm2", Kind: ProposeRemove, PubKey: make([]byte, 32)}, CodeBadField},
		{"add a member", n.ops[0], ProposeValidatorBody{ID: "a", Kind: ProposeAdd, PubKey: n.vals[1], Power: 1, Operator: stranger.pub}, CodeBadField},
		{"bad key", n.ops[0], ProposeValidatorBody{ID: "b", Kind: ProposeAdd, PubKey: []byte{1}, Power: 1, Operator: stranger.pub}, CodeBadField},
		{"no power", n.ops[0], ProposeValidatorBody{ID: "c", Kind: ProposeAdd, PubKey: make([]byte, 32), Power: 0, Operator: stranger.pub}, CodeBadField},
		{"unknown kind", n.ops[0], ProposeValidatorBody{ID: "d", Kind: "swap", PubKey: make([]byte, 32)}, CodeBadField},
		{"operator without power", n.idle, ProposeValidatorBody{ID: "f", Kind: ProposeAdd, PubKey: make([]byte, 32), Power: 1, Operator: stranger.pub}, CodeNoVotingPower},
		{"not an operator", stranger, ProposeValidatorBody{ID: "e", Kind: ProposeAdd, PubKey: make([]byte, 32), Power: 1, Operator: stranger.pub}, CodeNotOperator},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n.t = t
			if got := n.run(n.gov(c.by, TxProposeValidator, c.body)); got != c.want {
				t.Errorf("propose(%s) = %s, want %s", c.name, got.Name(), c.want.Name())
			}
		})
	}
}

// FuzzValidatorBodies: any body of a proposal or vote, signed by an
// operator, executes to a known code and never a panic.
func FuzzValidatorBodies(f *testing.F) {
	f.Add(true, []byte(`{"id":"j","kind":"add","pub_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","power":10,"operator":"BA=="}`))
	f.Add(true, []byte(`{"id":"r","kind":"remove","pub_key":"AAAA"}`))
	f.Add(false, []byte(`{"id":"j"}`))
	f.Add(false, []byte(`{"id":7}`))
	f.Add(true, []byte(`{"descriptor":{"moniker":"x","dkg_key":"AAAA"}}`))
	f.Fuzz(func(t *testing.T, propose bool, body []byte) {
		if !json.Valid(body) {
			return
		}
		n := newValNet(t)
		typ := TxVoteValidator
		if propose {
			typ = TxProposeValidator
		}
		if got := n.run(n.gov(n.ops[0], typ, json.RawMessage(body))); got.info() < 0 {
			t.Fatalf("code %d is not a known refusal", got)
		}
	})
}

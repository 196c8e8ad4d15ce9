package contract

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/json"
	"testing"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"

	"copystation/custody"
)

// TestGenesisCustody: the ceremony's outcome is kept and served; a group
// that does not match the listed nodes or the stated threshold is refused
// at genesis. (A threshold below f+1 never gets this far: the ceremony
// itself refuses it, custody.TestCeremonyConfigChecks.)
func TestGenesisCustody(t *testing.T) {
	op := newParty(t)
	good := ceremonyOutcome(t, 4, 2)
	tests := []struct {
		name string
		edit func(*Custody)
		ok   bool
	}{
		{"as made", func(*Custody) {}, true},
		{"threshold misstated", func(c *Custody) { c.Threshold = 3 }, false},
		{"a node missing", func(c *Custody) { c.Nodes = c.Nodes[:3] }, false},
		{"short custody key", func(c *Custody) { c.Nodes[1].CustodyKey = c.Nodes[1].CustodyKey[:31] }, false},
		{"not a group", func(c *Custody) { c.Group = c.Group[:10] }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := *good
			c.Nodes = append([]CustodyNode(nil), good.Nodes...)
			tc.edit(&c)
			app, err := New(dbm.NewMemDB(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			js, _ := json.Marshal(Genesis{Operators: [][]byte{op.pub}, Custody: &c})
			_, err = app.InitChain(context.Background(), &abci.InitChainRequest{ChainId: testChain, InitialHeight: 1, AppStateBytes: js})
			if tc.ok != (err == nil) {
				t.Fatalf("InitChain() = %v, want ok %v", err, tc.ok)
			}
			if !tc.ok {
				return
			}
			ch := newChain(t, dbm.NewMemDB(), Genesis{Operators: [][]byte{op.pub}, Custody: &c})
			ch.block()
			if got, err := ch.app.Custody(); err != nil || got.Threshold != 2 || len(got.Nodes) != 4 {
				t.Errorf("Custody() = %+v, %v; want the ceremony's outcome", got, err)
			}
		})
	}
}

// ceremonyOutcome runs a real in-process DKG of n nodes, threshold th.
func ceremonyOutcome(t *testing.T, n, th int) *Custody {
	t.Helper()
	cc := custody.CeremonyConfig{Threshold: th, Nonce: make([]byte, 32)}
	rand.Read(cc.Nonce)
	var keys []*custody.DKGKey
	c := &Custody{Threshold: th}
	for range n {
		k := custody.NewDKGKey()
		p, err := custody.ParseDKGPublic(k.Public())
		if err != nil {
			t.Fatal(err)
		}
		x, _ := ecdh.X25519().GenerateKey(rand.Reader)
		keys, cc.Nodes = append(keys, k), append(cc.Nodes, p)
		c.Nodes = append(c.Nodes, CustodyNode{Name: "n", CustodyKey: x.PublicKey().Bytes(), DKGKey: k.Public()})
	}
	res, err := custody.RunInProcess(cc, keys)
	if err != nil {
		t.Fatal(err)
	}
	c.Group, _ = res[0].Group.MarshalBinary()
	return c
}

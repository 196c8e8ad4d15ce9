package chain

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cometbft/cometbft/types"

	"copystation/custody"
	"copystation/validatord/contract"
	"copystation/validatord/vault"
)

// TestCeremony: a 4-node test network goes through the genesis ceremony.
// Each vault holds its own share of the group secret and no other's; the
// genesis holds the group; any 2 nodes' partial signatures on a copy's
// label combine to a signature the genesis group key verifies, the same
// from any 2; one node's home alone gets a refusal.
func TestCeremony(t *testing.T) {
	dir := t.TempDir()
	kek := bytes.Repeat([]byte{9}, 32)
	opPub := operatorKey(t)
	homes, err := Testnet(dir, 4, kek, GenesisOptions{ChainID: "ceremony", Operators: [][]byte{opPub}}, nil)
	if err != nil {
		t.Fatalf("Testnet() = %v", err)
	}
	var gen *contract.Genesis
	var shares []*custody.KeyShare
	for i, h := range homes {
		doc, err := types.GenesisDocFromFile(filepath.Join(h, FileGenesis))
		if err != nil {
			t.Fatal(err)
		}
		var g contract.Genesis
		if err := json.Unmarshal(doc.AppState, &g); err != nil {
			t.Fatal(err)
		}
		if gen == nil {
			gen = &g
		} else if !bytes.Equal(g.Custody.Group, gen.Custody.Group) {
			t.Fatalf("node %d's genesis holds another group", i)
		}
		s, err := vault.Load(filepath.Join(h, FileVault), kek)
		if err != nil {
			t.Fatal(err)
		}
		ks, err := custody.UnmarshalKeyShare(s.CustodyShare)
		if err != nil {
			t.Fatalf("node %d's vault: %v", i, err)
		}
		if ks.Node != i {
			t.Fatalf("node %d's vault holds share %d", i, ks.Node)
		}
		shares = append(shares, ks)
		s.Wipe()
	}
	if gen.Custody.Threshold != 2 || len(gen.Custody.Nodes) != 4 {
		t.Fatalf("genesis custody: threshold %d, %d nodes; want 2 of 4", gen.Custody.Threshold, len(gen.Custody.Nodes))
	}
	g, err := custody.UnmarshalGroup(gen.Custody.Group)
	if err != nil {
		t.Fatal(err)
	}
	label, err := custody.CopyRecord{ChainID: "ceremony", TitleID: "film", JobID: "job-1", TokenID: "tok", StationKeyID: "st"}.Label()
	if err != nil {
		t.Fatal(err)
	}
	sign := func(nodes ...int) (custody.Signature, error) {
		var ps []custody.Partial
		for _, i := range nodes {
			p, err := custody.PartialSign(shares[i], label)
			if err != nil {
				t.Fatal(err)
			}
			ps = append(ps, p)
		}
		sig, _, err := custody.Combine(g, label, ps)
		return sig, err
	}
	a, err := sign(0, 3)
	if err != nil {
		t.Fatalf("Combine(nodes 0, 3) = %v", err)
	}
	b, err := sign(1, 2)
	if err != nil || a != b {
		t.Fatalf("Combine(nodes 1, 2) = %x, %v; want the same signature as nodes 0 and 3", b, err)
	}
	if _, err := sign(2); !errors.Is(err, custody.ErrNotEnoughShares) {
		t.Fatalf("Combine(node 2's home alone) = %v, want ErrNotEnoughShares", err)
	}
	// No file outside the vaults holds a share.
	for i, ks := range shares {
		raw, _ := ks.MarshalBinary()
		secret := raw[len(raw)-32:]
		filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() {
				if p, _ := os.ReadFile(path); bytes.Contains(p, secret) {
					t.Errorf("%s holds node %d's share in plaintext", path, i)
				}
			}
			return nil
		})
	}
}

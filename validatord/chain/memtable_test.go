package chain

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/types"

	"copystation/validatord/contract"
	"copystation/validatord/vault"
)

// TestMemTablesApart: the four validators of a testnet take four places
// and so four memtable sizes, evenly from 32 MiB down to 20 MiB; a node
// outside the genesis validators takes a place among theirs; sizes stay
// within 16 to 32 MiB whatever the count.
func TestMemTablesApart(t *testing.T) {
	dir := t.TempDir()
	kek := bytes.Repeat([]byte{9}, 32)
	opPub := operatorKey(t)
	homes, err := Testnet(dir, 4, kek, GenesisOptions{Operators: [][]byte{opPub}}, nil)
	if err != nil {
		t.Fatalf("Testnet() = %v", err)
	}
	var sizes []uint64
	for _, home := range homes {
		doc, err := types.GenesisDocFromFile(filepath.Join(home, FileGenesis))
		if err != nil {
			t.Fatal(err)
		}
		s, err := vault.Load(filepath.Join(home, FileVault), kek)
		if err != nil {
			t.Fatal(err)
		}
		slot, n := storeSlot(doc, s.ConsensusKey)
		s.Wipe()
		if n != 4 || slot < 0 || slot >= n {
			t.Fatalf("%s: storeSlot = %d of %d, want one of 4", home, slot, n)
		}
		sizes = append(sizes, memTableBytes(slot, n))
	}
	slices.Sort(sizes)
	if want := []uint64{20 << 20, 24 << 20, 28 << 20, 32 << 20}; !slices.Equal(sizes, want) {
		t.Errorf("memtable sizes = %v, want %v", sizes, want)
	}

	doc, err := types.GenesisDocFromFile(filepath.Join(homes[0], FileGenesis))
	if err != nil {
		t.Fatal(err)
	}
	if slot, n := storeSlot(doc, ed25519.GenPrivKey()); n != 4 || slot < 0 || slot >= 4 {
		t.Errorf("storeSlot of a key outside the genesis = %d of %d, want one of 4", slot, n)
	}
	if slot, n := storeSlot(&types.GenesisDoc{}, ed25519.GenPrivKey()); slot != 0 || n != 0 {
		t.Errorf("storeSlot with no genesis validators = %d of %d, want 0 of 0", slot, n)
	}
	for n := range 100 {
		for slot := -1; slot <= n; slot++ {
			if b := memTableBytes(slot, n); b > contract.MemTableBytes || b <= contract.MemTableBytes/2 || b%1024 != 0 {
				t.Fatalf("memTableBytes(%d, %d) = %d, want whole KiB in (16, 32] MiB", slot, n, b)
			}
		}
	}
}

// TestStartRefusesShortConsensusKey: a vault whose consensus key, or node
// key, is not an ed25519 key of 64 bytes stops Start with a message that
// names the key and its length, before any store opens, rather than a
// panic where the key is first used.
func TestStartRefusesShortConsensusKey(t *testing.T) {
	kek := bytes.Repeat([]byte{9}, 32)
	opPub := operatorKey(t)
	homes, err := Testnet(t.TempDir(), 1, kek, GenesisOptions{Operators: [][]byte{opPub}}, nil)
	if err != nil {
		t.Fatalf("Testnet() = %v", err)
	}
	path := filepath.Join(homes[0], FileVault)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cut  func(*vault.Secrets)
		want string
	}{
		{func(s *vault.Secrets) { s.ConsensusKey = s.ConsensusKey[:32] }, "consensus key is 32 bytes, want 64"},
		{func(s *vault.Secrets) { s.NodeKey = nil }, "node key is 0 bytes, want 64"},
	} {
		if err := os.WriteFile(path, good, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := vault.Load(path, kek)
		if err != nil {
			t.Fatal(err)
		}
		c.cut(s)
		if err := vault.Save(path, kek, s, rand.Reader); err != nil {
			t.Fatal(err)
		}
		s.Wipe()
		n, err := Start(context.Background(), Options{Home: homes[0], KEK: kek})
		if err == nil {
			n.Stop()
			t.Fatalf("Start() with a vault whose %s succeeded", c.want)
		}
		if !errors.Is(err, vault.ErrCometKeys) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Start() = %v, want %v naming %q", err, vault.ErrCometKeys, c.want)
		}
	}
}

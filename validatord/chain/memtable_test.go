package chain

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble"
	dbm "github.com/cometbft/cometbft-db"
	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/types"

	"copystation/validatord/contract"
	"copystation/validatord/vault"
)

// TestMemTablesApart: the four validators of a testnet take four places
// and so four memtable sizes, evenly from 32 MiB down to 20 MiB, and four
// snapshot offsets, evenly through the interval; a node outside the
// genesis validators takes a place among theirs; sizes stay within 16 to
// 32 MiB and offsets within the interval whatever the count.
func TestMemTablesApart(t *testing.T) {
	dir := t.TempDir()
	kek := bytes.Repeat([]byte{9}, 32)
	opPub := operatorKey(t)
	homes, err := Testnet(dir, 4, kek, GenesisOptions{Operators: [][]byte{opPub}}, nil)
	if err != nil {
		t.Fatalf("Testnet() = %v", err)
	}
	var sizes []uint64
	var offsets []int64
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
		offsets = append(offsets, snapshotOptions(home, &NodeConfig{}, slot, n).Offset)
	}
	slices.Sort(sizes)
	if want := []uint64{20 << 20, 24 << 20, 28 << 20, 32 << 20}; !slices.Equal(sizes, want) {
		t.Errorf("memtable sizes = %v, want %v", sizes, want)
	}
	slices.Sort(offsets)
	if want := []int64{0, 250, 500, 750}; DefaultSnapshots.Interval != 1000 || !slices.Equal(offsets, want) {
		t.Errorf("snapshot offsets = %v in an interval of %d, want %v of 1000", offsets, DefaultSnapshots.Interval, want)
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
			for _, iv := range []int64{0, 1, 7, 1000} {
				if o := snapshotOffset(iv, slot, n); o < 0 || o >= max(iv, 1) {
					t.Fatalf("snapshotOffset(%d, %d, %d) = %d, want within [0, %d)", iv, slot, n, o, max(iv, 1))
				}
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

// TestStoreCacheKeepsBlocks: once every store of a node has grown its
// memtables to full size, the cache they share still keeps the blocks a
// read brings in, so reading a table's keys a second time misses none.
// Pebble charges memtables to the cache; one of the blocks' size alone
// kept nothing (every read missed).
func TestStoreCacheKeepsBlocks(t *testing.T) {
	const (
		memTable = 1 << 20
		blocks   = 1 << 20
		keys     = 256 // 1 KiB values: a quarter of blocks
	)
	c := cfg.DefaultConfig()
	c.SetRoot(t.TempDir())
	c.DBBackend = string(dbm.PebbleDBBackend)
	cache := storeCache(blocks, memTable)
	defer cache.Unref()
	provider := guardedProvider(cache, memTable, nil)
	var (
		stores []dbm.DB
		held   uint64
	)
	value := make([]byte, 64<<10)
	for _, id := range []string{"contract", "blockstore", "state", "evidence"} {
		db, err := provider(&cfg.DBContext{ID: id, Config: c})
		if err != nil {
			t.Fatalf("open %s: %v", id, err)
		}
		defer db.Close()
		stores = append(stores, db)
		// Pebble starts a memtable at 256 KiB and doubles it at each
		// rotation: a memtable's worth of writes grows it to full size
		// in two flushes, too few tables for a compaction to start and
		// read through the cache while the test counts its misses.
		for i := range memTable / len(value) {
			rand.Read(value)
			if err := db.Set(fmt.Appendf(nil, "fill/%04d", i), value); err != nil {
				t.Fatal(err)
			}
		}
		held += pebbleOf(t, db).Metrics().MemTable.Size
	}
	if held < nodeStores*memTable {
		t.Fatalf("the stores hold %d bytes of memtables, want at least %d: the test no longer fills them", held, nodeStores*memTable)
	}
	db := stores[0]
	for i := range keys {
		rand.Read(value[:1<<10])
		if err := db.Set(fmt.Appendf(nil, "read/%04d", i), value[:1<<10]); err != nil {
			t.Fatal(err)
		}
	}
	if err := pebbleOf(t, db).Flush(); err != nil {
		t.Fatal(err)
	}
	read := func() (misses int64) {
		before := cache.Metrics().Misses
		for i := range keys {
			if v, err := db.Get(fmt.Appendf(nil, "read/%04d", i)); err != nil || len(v) != 1<<10 {
				t.Fatalf("Get(read/%04d) = %d bytes, %v", i, len(v), err)
			}
		}
		return cache.Metrics().Misses - before
	}
	first := read()
	if again := read(); again != 0 {
		t.Errorf("reading %d keys again missed the cache %d times (the first read %d): memtables crowd the blocks out", keys, again, first)
	}
}

// pebbleOf is the pebble store under a node's guarded store.
func pebbleOf(t *testing.T, db dbm.DB) *pebble.DB {
	t.Helper()
	p, ok := db.(*guardedDB).DB.(*dbm.PebbleDB)
	if !ok {
		t.Fatalf("store is %T, not pebble", db.(*guardedDB).DB)
	}
	return p.DB()
}

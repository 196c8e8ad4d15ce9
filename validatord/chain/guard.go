package chain

import (
	"errors"
	"sync"

	"github.com/cockroachdb/pebble"
	dbm "github.com/cometbft/cometbft-db"
	cfg "github.com/cometbft/cometbft/config"

	"copystation/validatord/contract"
)

// errClosed is what a guarded store returns once closed.
var errClosed = errors.New("chain: store closed (node stopping)")

// guardedDB keeps a store safe to call while a node stops. CometBFT v1.0.1
// closes its stores in Node.OnStop while some reactor goroutines (the
// consensus reactor's queryMaj23Routine) may still read them, and pebble
// panics on a closed store. After Close, reads find nothing and writes
// fail with an error; Close waits for calls in flight.
type guardedDB struct {
	dbm.DB
	mu     sync.RWMutex
	closed bool
}

// StoreCacheBytes is the pebble block cache one node's stores share (the
// contract's, the block store, the state store, the evidence store) for
// the blocks they read: it is filled as blocks are read, so a small ledger
// uses a fraction of it.
const StoreCacheBytes = 64 << 20

// nodeStores is the number of stores a node opens through its provider:
// the contract's and CometBFT's block, state and evidence stores.
const nodeStores = 4

// storeCache returns the cache a node's stores share: blocks bytes for
// blocks beside room for every memtable of memTable bytes the node's
// stores may hold at once. Pebble charges each memtable it allocates to
// the store's cache (Cache.Reserve) and keeps only the rest for blocks; a
// cache of StoreCacheBytes alone shrank to nothing once a busy node's
// memtables had grown to 20 to 32 MiB, and every read of a token then
// went to the file and decompressed its block again (docs/benchmarks.md,
// issue 17, eighteenth session). A store holds at most
// contract.MemTablesHeld memtables' worth. The size is a bound, not an
// allocation: blocks take memory as they are read, memtables as they fill.
func storeCache(blocks int64, memTable uint64) *pebble.Cache {
	return pebble.NewCache(blocks + nodeStores*contract.MemTablesHeld*int64(memTable))
}

// guardedProvider opens a node's stores guarded, pebble ones with the
// contract's options, the shared cache (nil: pebble's own per store),
// memtables of memTable bytes (memtable.go) and their background writes
// paced by p (pace.go; nil: unpaced).
func guardedProvider(cache *pebble.Cache, memTable uint64, p *pacer) cfg.DBProvider {
	return func(ctx *cfg.DBContext) (dbm.DB, error) {
		var (
			db  dbm.DB
			err error
		)
		if dbm.BackendType(ctx.Config.DBBackend) == dbm.PebbleDBBackend {
			// As cometbft-db does, with a filter and the node's cache, and
			// without pebble's informational log on stderr (its WAL replay
			// report at every restart).
			opts := contract.PebbleOptions(cache)
			opts.MemTableSize = memTable
			opts.Logger = quietLog{}
			ps := pace(opts, p)
			var pdb *dbm.PebbleDB
			if pdb, err = dbm.NewPebbleDBWithOpts(ctx.ID, ctx.Config.DBDir(), opts); err == nil {
				ps.opened(pdb.DB())
				db = pdb
			}
		} else {
			db, err = cfg.DefaultDBProvider(ctx)
		}
		if err != nil {
			return nil, err
		}
		return &guardedDB{DB: db}, nil
	}
}

// quietLog drops pebble's informational lines and keeps its fatal ones.
type quietLog struct{}

func (quietLog) Infof(string, ...any)              {}
func (quietLog) Fatalf(format string, args ...any) { pebble.DefaultLogger.Fatalf(format, args...) }

func (g *guardedDB) Get(k []byte) ([]byte, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return nil, nil
	}
	return g.DB.Get(k)
}

func (g *guardedDB) Has(k []byte) (bool, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return false, nil
	}
	return g.DB.Has(k)
}

func (g *guardedDB) write(f func() error) error {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return errClosed
	}
	return f()
}

func (g *guardedDB) Set(k, v []byte) error { return g.write(func() error { return g.DB.Set(k, v) }) }
func (g *guardedDB) SetSync(k, v []byte) error {
	return g.write(func() error { return g.DB.SetSync(k, v) })
}
func (g *guardedDB) Delete(k []byte) error { return g.write(func() error { return g.DB.Delete(k) }) }
func (g *guardedDB) DeleteSync(k []byte) error {
	return g.write(func() error { return g.DB.DeleteSync(k) })
}

func (g *guardedDB) Compact(start, end []byte) error {
	return g.write(func() error { return g.DB.Compact(start, end) })
}

func (g *guardedDB) Iterator(start, end []byte) (dbm.Iterator, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return nil, errClosed
	}
	return g.DB.Iterator(start, end)
}

func (g *guardedDB) ReverseIterator(start, end []byte) (dbm.Iterator, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return nil, errClosed
	}
	return g.DB.ReverseIterator(start, end)
}

func (g *guardedDB) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	g.closed = true
	return g.DB.Close()
}

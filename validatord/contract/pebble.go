package contract

import (
	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/bloom"
)

// MemTableBytes is a store's memtable size in PebbleOptions, the largest a
// node uses.
const MemTableBytes = 32 << 20

// MemTablesHeld is the memtables' worth a store holds at most, full ones
// waiting to flush and the one taking writes, before pebble stops its
// writes until a flush ends (pebble's MemTableStopWritesThreshold, at its
// default): what a cache shared by stores must leave room for.
const MemTablesHeld = 2

// PebbleOptions are the options a node opens its pebble stores with,
// sharing cache (nil: pebble's own 8 MiB per store). Pebble takes its own
// reference to the cache at open; the caller keeps and releases its own.
//
// A spend reads a handful of keys by exact match (its token, title and
// station, its job's copy record, and at commit its result), two of them
// misses by design; a report or a governance transaction reads a replay
// marker or a nonce that is also a miss. With pebble's defaults (no filter,
// 8 MiB of block cache) each such read fetched an index and a data block of
// every table whose range spans the key, and on a ledger of a few thousand
// copies the blocks no longer stayed cached: three fifths of a block's
// execution went to reading them again (docs/benchmarks.md,
// BenchmarkSpendBlocks). A bloom filter of 10 bits a key (about 1 % false
// positives, 1.25 bytes a key on disk) lets a lookup skip the tables without
// its key, and a larger cache keeps the indexes and hot records in memory.
//
// Memtables of 32 MiB instead of 4 flush a busy store (the block store,
// the contract's change sets and results) an eighth as often into smaller
// numbers of larger tables, which compaction then moves less often: 7 % less
// CPU per spend on four nodes (docs/benchmarks.md). Pebble starts a store's
// memtable at 256 KiB and doubles it as writes come, so a quiet store stays
// small; a busy node holds up to two per store. A validator's node lowers
// the size by its place among the validators (chain/memtable.go), so the
// validators, which all write the same blocks, do not flush together.
func PebbleOptions(cache *pebble.Cache) *pebble.Options {
	o := &pebble.Options{
		Cache:        cache,
		MemTableSize: MemTableBytes,
		// Pebble's default, named for the cache's sizing.
		MemTableStopWritesThreshold: MemTablesHeld,
		// The levels below the first take the last entry's filter.
		Levels: []pebble.LevelOptions{{FilterPolicy: bloom.FilterPolicy(10), FilterType: pebble.TableFilter}},
	}
	o.EnsureDefaults()
	return o
}

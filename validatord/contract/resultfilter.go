package contract

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
	"sync/atomic"

	dbm "github.com/cometbft/cometbft-db"
)

// resultFilter says whether a transaction may have a committed result
// without reading the store: a Bloom filter over the hashes of every
// transaction whose result the store holds. Two questions ask this for
// nearly every spend, and nearly always of a transaction that has none yet:
// Watch, before a submitted transaction is broadcast, and stageBatch, which
// keeps a transaction's first result. Each was a pebble lookup, a search of
// the memtable's skiplist that on a busy node cost more CPU than executing
// the spend (docs/benchmarks.md, issue 17, seventh session).
//
// The filter never decides an outcome: "no" is certain (a Bloom filter has
// no false negatives, and every result the store holds is added, from the
// store at start and by Commit after), and "maybe" is answered by the store
// as before. A false positive costs only the lookup that every query paid
// before. The filter is sized at start for the results then held; past
// its capacity its false positives grow and lookups return to the store,
// never to a wrong answer, until a restart sizes it again.
type resultFilter struct{ bloomSet }

// bloomSet is a blocked Bloom filter (Putze, Sanders and Singler): the
// first of a member's four hash words picks a 512-bit block, one cache
// line, and the others four bits in it, so a test or an add touches one
// line instead of four scattered ones, which cost more than the rest of a
// lookup on a busy node. Safe for concurrent use (atomic words). It never
// forgets: the store it mirrors has no deletes but a restore's wipe, after
// which a stale member is a false positive.
type bloomSet struct {
	words  []atomic.Uint64
	blocks uint64 // number of 512-bit blocks - 1, a power of two minus one
}

const (
	// bloomMinBits is the smallest filter: 2 MiB, about 1.6 million
	// members at 10 bits each (about 2 % false positives, blocked).
	bloomMinBits = 1 << 24
	// bloomBitsPer is the bits a member the store holds at start gets,
	// with room for as many again before a restart.
	bloomBitsPer = 20
)

func newBloomSet(held int) bloomSet {
	n := uint64(bloomMinBits)
	if want := uint64(held) * bloomBitsPer; want > n {
		n = 1 << bits.Len64(want-1)
	}
	return bloomSet{words: make([]atomic.Uint64, n/64), blocks: n/512 - 1}
}

// bitsOf are a member's block (its first word of 8) and four bits in it.
func (f *bloomSet) bitsOf(p [4]uint64) (uint64, [4]uint64) {
	return (p[0] & f.blocks) * 8, [4]uint64{p[1] & 511, p[1] >> 9 & 511, p[2] & 511, p[3] & 511}
}

func (f *bloomSet) set(p [4]uint64) {
	base, bs := f.bitsOf(p)
	for _, b := range bs {
		f.words[base+b/64].Or(1 << (b % 64))
	}
}

func (f *bloomSet) test(p [4]uint64) bool {
	base, bs := f.bitsOf(p)
	for _, b := range bs {
		if f.words[base+b/64].Load()&(1<<(b%64)) == 0 {
			return false
		}
	}
	return true
}

func newResultFilter(held int) *resultFilter { return &resultFilter{newBloomSet(held)} }

// probes are the filter's bit positions for a 32-byte SHA-256 hash: its four
// 64-bit words, each uniformly distributed, so no further hashing is needed.
// ok is false for a hash of another length, which the filter cannot place.
func probes(hash []byte) (p [4]uint64, ok bool) {
	if len(hash) != 32 {
		return p, false
	}
	for i := range p {
		p[i] = binary.LittleEndian.Uint64(hash[8*i:])
	}
	return p, true
}

// add records a hash whose result the store now holds. A hash of another
// length than 32 is never placed, and mayHold answers it "maybe".
func (f *resultFilter) add(hash []byte) {
	if p, ok := probes(hash); ok {
		f.set(p)
	}
}

// mayHold is false only if the store holds no result for hash.
func (f *resultFilter) mayHold(hash []byte) bool {
	p, ok := probes(hash)
	return !ok || f.test(p)
}

// loadResultFilter builds the filter of the results a store holds, reading
// their keys at start twice (to size it, then to fill it) rather than
// holding them all in memory. The result prefix is shared with openings
// (keyOpening); a key that is not a result only adds a false positive.
func loadResultFilter(db dbm.DB) (*resultFilter, error) {
	held := 0
	if err := scanResults(db, func([]byte) { held++ }); err != nil {
		return nil, err
	}
	f := newResultFilter(held)
	if err := scanResults(db, f.add); err != nil {
		return nil, err
	}
	return f, nil
}

// scanResults calls fn with the hash of every result the store holds.
func scanResults(db dbm.DB, fn func(hash []byte)) error {
	var h [32]byte
	return scanPrefix(db, resultsPfx, func(k []byte) {
		if k = k[len(resultsPfx):]; len(k) != 2*len(h) {
			return
		}
		if _, err := hex.Decode(h[:], k); err == nil {
			fn(h[:])
		}
	})
}

// scanPrefix calls fn with every key the store holds under a prefix.
func scanPrefix(db dbm.DB, pfx string, fn func(key []byte)) error {
	end := []byte(pfx)
	end[len(end)-1]++
	it, err := db.Iterator([]byte(pfx), end)
	if err != nil {
		return fmt.Errorf("contract: reading the keys under %q: %w", pfx, err)
	}
	defer it.Close()
	for ; it.Valid(); it.Next() {
		fn(it.Key())
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("contract: reading the keys under %q: %w", pfx, err)
	}
	return nil
}

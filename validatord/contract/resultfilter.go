package contract

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"

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
// before. The filter grows with the results it holds (bloom.go), so its
// false positives stay near their target however long a node runs.
type resultFilter struct{ *scalableBloom }

func newResultFilter() *resultFilter { return &resultFilter{newBloom(bloomMinBits, 0)} }

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
		f.scalableBloom.add(p)
	}
}

// mayHold is false only if the store holds no result for hash.
func (f *resultFilter) mayHold(hash []byte) bool {
	p, ok := probes(hash)
	return !ok || f.test(p)
}

// loadResultFilter builds the filter of the results a store holds
// (loadBloom, sized from a sample of them). The result prefix is shared
// with openings (keyOpening); a key that is not a result only adds a false
// positive.
func loadResultFilter(db dbm.DB) (*resultFilter, error) {
	hint, err := estimateHexKeys(db, resultsPfx, sampleRanges())
	if err != nil {
		return nil, err
	}
	b, err := loadBloom(bloomMinBits, hint, func(add func([4]uint64)) error {
		return scanResults(db, func(hash []byte) {
			p, _ := probes(hash) // scanResults yields 32-byte hashes only
			add(p)
		})
	})
	if err != nil {
		return nil, err
	}
	return &resultFilter{b}, nil
}

// estimateHexKeys estimates the keys a store holds under pfx followed by
// the hex of a SHA-256 hash (results, report markers), which spread
// evenly over the 4,096 ranges their first three digits make: the median
// of some ranges' counts, times 4,096. Sixteen ranges (sampleRanges) read
// one key in 256 and err by about 2 % at the 1.7 million keys where the
// estimate starts to matter (loadBloom). Each process draws its ranges,
// so that hashes ground into a few ranges skew an estimate only by
// chance, and the median only if they are half of those drawn.
func estimateHexKeys(db dbm.DB, pfx string, ranges []uint16) (int, error) {
	if len(ranges) == 0 {
		return 0, nil
	}
	n := make([]int, len(ranges))
	for i, r := range ranges {
		if err := scanPrefix(db, fmt.Sprintf("%s%03x", pfx, r%4096), func([]byte) { n[i]++ }); err != nil {
			return 0, err
		}
	}
	slices.Sort(n)
	return (n[(len(n)-1)/2] + n[len(n)/2]) * 4096 / 2, nil
}

// sampleRanges are sixteen ranges of estimateHexKeys drawn at random.
func sampleRanges() []uint16 {
	r := make([]uint16, 16)
	for i := range r {
		r[i] = uint16(rand.N(4096))
	}
	return r
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

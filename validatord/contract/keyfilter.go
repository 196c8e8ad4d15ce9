package contract

import (
	"hash/maphash"
	"strings"

	dbm "github.com/cometbft/cometbft-db"
)

// absentPfx are the prefixes of the state keys that a spend or a report
// reads expecting them absent: a new job's copy record (c/), which every
// first spend looks up, and a report's replay marker (d/). Each was a
// pebble lookup that searched the memtable and found nothing.
var absentPfx = [...]string{"c/", "d/"}

// keyFilter says whether the store may hold a state key under absentPfx,
// without reading it: a Bloom filter of those keys, filled from the store
// at start and by every commit and restore after (the store has no
// deletes). Like resultFilter it decides nothing: "no" is certain, and
// "maybe" reads the store as before, so execution reads the same values
// and stays deterministic whatever a node's filter holds.
type keyFilter struct {
	*scalableBloom
	seeds [2]maphash.Seed // this process's: the filter is local, never agreed
}

// filtered reports whether key is one the filter holds if present.
func filtered(key string) bool {
	for _, p := range absentPfx {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// probes derive 4 positions from two 64-bit hashes (Kirsch and
// Mitzenmacher's double hashing).
func (f *keyFilter) probes(key string) [4]uint64 {
	return doubleHash(maphash.String(f.seeds[0], key), maphash.String(f.seeds[1], key))
}

// probesOf are probes(string(key)) without the copy (maphash hashes a
// string and its bytes alike).
func (f *keyFilter) probesOf(key []byte) [4]uint64 {
	return doubleHash(maphash.Bytes(f.seeds[0], key), maphash.Bytes(f.seeds[1], key))
}

func doubleHash(h1, h2 uint64) [4]uint64 {
	h2 |= 1
	return [4]uint64{h1, h1 + h2, h1 + 2*h2, h1 + 3*h2}
}

// add records a key the store now holds; keys not filtered are ignored.
func (f *keyFilter) add(key string) {
	if filtered(key) {
		f.scalableBloom.add(f.probes(key))
	}
}

// mayHold is false only if key is filtered and the store does not hold it.
func (f *keyFilter) mayHold(key string) bool {
	return !filtered(key) || f.test(f.probes(key))
}

// loadKeyFilter builds the filter of the filtered keys a store holds
// (loadBloom). It is sized from a sample of the report markers, hex like
// results, counted twice for the copy records, whose job IDs cannot be
// sampled (a copy made has its record and at least its report's marker):
// an estimate only sizes the filter (loadBloom).
func loadKeyFilter(db dbm.DB) (*keyFilter, error) {
	f := &keyFilter{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}}
	reports, err := estimateHexKeys(db, "d/", sampleRanges())
	if err != nil {
		return nil, err
	}
	b, err := loadBloom(bloomMinBits, 2*reports, func(add func([4]uint64)) error {
		for _, p := range absentPfx {
			if err := scanPrefix(db, p, func(k []byte) { add(f.probesOf(k)) }); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	f.scalableBloom = b
	return f, nil
}

package contract

import (
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
)

// scalableBloom is a scalable Bloom filter (Almeida, Baquero, Preguiça and
// Hutchison, "Scalable Bloom Filters", 2007) of blocked layers, the set
// behind resultFilter and keyFilter. When the newest layer holds its
// capacity a layer of twice the bits is added; a member is added to the
// newest layer and a test asks every layer. Each new layer is filled to
// fewer members a bit, so that its false positives at capacity are half
// the layer's before (the paper's tightening ratio 1/2): the whole
// filter's rate stays under twice the first layer's (p + p/2 + p/4 ...
// < 2p) however many members it takes, where a filter of one fixed size
// saturated and turned nearly every "no" into a store lookup until a
// restart.
//
// Tests take no lock: the layer list is an immutable slice published
// through an atomic pointer, so a reader sees it before or after a layer
// is added, never torn, and a layer's words are atomic. Adds take mu (the
// app adds under its own lock already, so it is never contended). Like
// the store it mirrors, the filter never forgets: a member stays "maybe"
// after a restore's wipe, a false positive.
type scalableBloom struct {
	mu     sync.Mutex
	layers atomic.Pointer[[]*layer]
}

// layer is a blocked Bloom filter (Putze, Sanders and Singler): the first
// of a member's four hash words picks a 512-bit block, one cache line,
// and the others four bits in it, so a test or an add touches one line
// instead of four scattered ones, which cost more than the rest of a
// lookup on a busy node.
type layer struct {
	words    []atomic.Uint64
	blocks   uint64 // number of 512-bit blocks - 1, a power of two minus one
	capacity int    // members it takes before the next layer is added
	members  int    // added to it (under scalableBloom.mu)
}

const (
	// bloomMinBits is the smallest first layer: 2 MiB, about 1.6 million
	// members at bloomBitsPer.
	bloomMinBits = 1 << 24
	// bloomBitsPer is the bits a member of the first layer gets at its
	// capacity: 1.3 % false positives (TestFilterGrowth's first layer).
	// A filter loaded from a store holding more than bloomMinBits takes
	// gets twice this for each (its first layer half full), so that it
	// adds no layer until the node has committed as many again.
	bloomBitsPer = 10
	// bloomProbes is the bits a member sets in its block.
	bloomProbes = 4
)

// newBloom is a filter whose first layer, of at least minBits, takes at
// least twice held members before the next is added.
func newBloom(minBits uint64, held int) *scalableBloom {
	n := minBits
	if want := 2 * uint64(held) * bloomBitsPer; want > n {
		n = 1 << bits.Len64(want-1)
	}
	return newBloomBits(n)
}

// newBloomBits is a filter whose first layer has n bits (a power of two,
// at least 512): small ones let the tests grow many layers.
func newBloomBits(n uint64) *scalableBloom {
	f := &scalableBloom{}
	f.layers.Store(&[]*layer{newLayer(n, 0)})
	return f
}

// newLayer is the i-th layer (from 0) of n bits. Its capacity keeps its
// false positives at capacity, p·2^-i, halving layer by layer: with k
// probes a layer filled to m/n members a bit errs at about
// (1 - e^(-k·m/n))^k, so the fill of layer i solves
// 1 - e^(-k·m/n) = q·2^(-i/k), q that of the first layer at bloomBitsPer.
func newLayer(n uint64, i int) *layer {
	q := 1 - math.Exp(-bloomProbes/float64(bloomBitsPer))
	per := -bloomProbes / math.Log1p(-q*math.Exp2(-float64(i)/bloomProbes))
	return &layer{words: make([]atomic.Uint64, n/64), blocks: n/512 - 1, capacity: int(float64(n) / per)}
}

// bitsOf are a member's block (its first word of 8) and four bits in it.
func (l *layer) bitsOf(p [4]uint64) (uint64, [4]uint64) {
	return (p[0] & l.blocks) * 8, [4]uint64{p[1] & 511, p[1] >> 9 & 511, p[2] & 511, p[3] & 511}
}

func (l *layer) set(p [4]uint64) {
	base, bs := l.bitsOf(p)
	for _, b := range bs {
		l.words[base+b/64].Or(1 << (b % 64))
	}
}

func (l *layer) test(p [4]uint64) bool {
	base, bs := l.bitsOf(p)
	for _, b := range bs {
		if l.words[base+b/64].Load()&(1<<(b%64)) == 0 {
			return false
		}
	}
	return true
}

// test is false only if the member with these probes was never added.
func (f *scalableBloom) test(p [4]uint64) bool {
	for _, l := range *f.layers.Load() {
		if l.test(p) {
			return true
		}
	}
	return false
}

// add records a member. One the filter already answers "maybe" for is
// not added again, so that a key rewritten (a copy record made after its
// spend) counts once towards a layer's capacity; its bits, never cleared,
// keep the answer "maybe".
func (f *scalableBloom) add(p [4]uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.test(p) {
		return
	}
	ls := *f.layers.Load()
	l := ls[len(ls)-1]
	if l.members >= l.capacity {
		l = newLayer(2*uint64(len(l.words))*64, len(ls))
		next := append(ls[:len(ls):len(ls)], l) // a new array: readers hold the old
		f.layers.Store(&next)
	}
	l.set(p)
	l.members++
}

// loadBloom builds the filter of the members scan yields, reading them
// once into a first layer of at least minBits (bloomMinBits but in tests)
// with room for twice hint, an estimate of their number (estimateHexKeys).
// Only a store holding more than that layer takes is read again, into one
// first layer sized for twice what it holds, so that a node starts with
// one layer (one cache line a test) and room to grow before a second. An
// estimate never changes what the filter holds, only its size: a low one
// costs the second read, a high one memory.
func loadBloom(minBits uint64, hint int, scan func(add func(p [4]uint64)) error) (*scalableBloom, error) {
	f := newBloom(minBits, hint)
	room := (*f.layers.Load())[0].capacity
	held := 0
	err := scan(func(p [4]uint64) {
		if held++; held <= room {
			f.add(p)
		}
	})
	if err != nil {
		return nil, err
	}
	if held <= room {
		return f, nil
	}
	f = newBloom(minBits, held)
	if err := scan(f.add); err != nil {
		return nil, err
	}
	return f, nil
}

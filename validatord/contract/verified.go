package contract

import "sync"

// verifiedCache remembers the hashes of transactions whose stateless checks
// (encoding and signature) passed in CheckTx, so FinalizeBlock need not
// verify the same bytes again. The checks are a pure function of the bytes
// and the chain ID, so skipping them for a remembered hash gives the same
// result on every node, cached or not. Old entries are dropped first.
type verifiedCache struct {
	mu   sync.Mutex
	set  map[[32]byte]struct{}
	ring [][32]byte
	next int
}

const verifiedCacheSize = 1 << 16

func newVerifiedCache() *verifiedCache {
	return &verifiedCache{set: make(map[[32]byte]struct{}, verifiedCacheSize), ring: make([][32]byte, verifiedCacheSize)}
}

func (c *verifiedCache) add(h []byte) {
	var k [32]byte
	copy(k[:], h)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.set[k]; ok {
		return
	}
	if old := c.ring[c.next]; old != ([32]byte{}) {
		delete(c.set, old)
	}
	c.ring[c.next] = k
	c.next = (c.next + 1) % len(c.ring)
	c.set[k] = struct{}{}
}

func (c *verifiedCache) has(h []byte) bool {
	var k [32]byte
	copy(k[:], h)
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.set[k]
	return ok
}

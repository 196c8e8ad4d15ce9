package contract

import (
	"sync"

	"copystation/protocol"
)

// verifiedCache remembers the hashes of transactions whose stateless checks
// (encoding and signature) passed in CheckTx, so FinalizeBlock need not
// verify the same bytes again. The checks are a pure function of the bytes
// and the chain ID, so skipping them for a remembered hash gives the same
// result on every node, cached or not. Old entries are dropped first.
//
// For the most recent transactions it also keeps the statement CheckTx
// decoded (a spend's request, a report), so FinalizeBlock does not decode
// the same JSON body again: the body is the one canonical encoding of its
// statement (Tx.statement), so the decoded value is what decoding it again
// would give. Statements are dropped sooner than hashes, bounding their
// memory; a transaction whose statement is gone is decoded as before.
type verifiedCache struct {
	mu   sync.Mutex
	set  map[[32]byte]protocol.Statement // nil: verified, statement not kept
	ring [][32]byte
	next int
}

const (
	verifiedCacheSize = 1 << 16
	// verifiedStatements is how many of the latest transactions keep their
	// statement: at 2,000 spends a second, two seconds of them, a few MiB;
	// a transaction is usually executed a block or two after its CheckTx.
	verifiedStatements = 1 << 12
)

func newVerifiedCache() *verifiedCache {
	return &verifiedCache{set: make(map[[32]byte]protocol.Statement, verifiedCacheSize), ring: make([][32]byte, verifiedCacheSize)}
}

// add records a verified transaction and its decoded statement (nil for a
// type without one).
func (c *verifiedCache) add(h []byte, st protocol.Statement) {
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
	// The statement added verifiedStatements ago is dropped now.
	if old := c.ring[(c.next-verifiedStatements+len(c.ring))%len(c.ring)]; old != ([32]byte{}) {
		if _, ok := c.set[old]; ok {
			c.set[old] = nil
		}
	}
	c.ring[c.next] = k
	c.next = (c.next + 1) % len(c.ring)
	c.set[k] = st
}

// lookup reports whether the transaction was verified and, if still kept,
// its statement, which the caller must only read. A nil cache knows none.
func (c *verifiedCache) lookup(h []byte) (protocol.Statement, bool) {
	if c == nil {
		return nil, false
	}
	var k [32]byte
	copy(k[:], h)
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.set[k]
	return st, ok
}

package contract

import (
	"bytes"
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
//
// With a kiosk spend's statement it keeps the owner key its customer grant
// verified against in CheckTx, dropped with the statement (grantmemo.go).
//
// The hashes are kept in a map of pointer-free entries, the statements in a
// second, small map: the garbage collector scans every map whose entries
// hold pointers at every cycle, and a node's 65,536 entries of statement
// and key were 22 MiB it walked about once a second under load, a third of
// a 4-node network's live heap (docs/benchmarks.md, issue 17, fifteenth
// session).
type verifiedCache struct {
	mu     sync.Mutex
	hashes recentSet            // every remembered hash: scanned by no GC
	kept   map[[32]byte]checked // the latest verifiedStatements' statements
}

// checked is what CheckTx kept of a verified transaction.
type checked struct {
	st         protocol.Statement
	grantOwner []byte // the key its customer grant verified against, or nil
}

const (
	verifiedCacheSize = 1 << 16
	// verifiedStatements is how many of the latest transactions keep their
	// statement (and a grant's verified owner): more than a node's mempool
	// holds (CometBFT's 5,000), so a transaction keeps them however long it
	// waited there; at 2,000 spends a second, four seconds of them, a few
	// MiB. Forgetting the oldest waiting ones under a backlog would decode
	// and verify their grants again just when the CPU is short.
	verifiedStatements = 1 << 13
)

func newVerifiedCache() *verifiedCache {
	return &verifiedCache{
		hashes: newRecentSet(verifiedCacheSize),
		kept:   make(map[[32]byte]checked, verifiedStatements),
	}
}

// add records a verified transaction, its decoded statement (nil for a
// type without one) and the owner key its customer grant verified against
// (nil if none did).
func (c *verifiedCache) add(h []byte, st protocol.Statement, grantOwner []byte) {
	var k [32]byte
	copy(k[:], h)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hashes.has(k) {
		return
	}
	// The statement added verifiedStatements ago is dropped now.
	delete(c.kept, c.hashes.ago(verifiedStatements))
	c.hashes.add(k)
	if st != nil || grantOwner != nil {
		c.kept[k] = checked{st: st, grantOwner: bytes.Clone(grantOwner)}
	}
}

// lookup reports whether the transaction was verified and, if still kept,
// its statement and its grant's verified owner, which the caller must only
// read. A nil cache knows none.
func (c *verifiedCache) lookup(h []byte) (protocol.Statement, []byte, bool) {
	if c == nil {
		return nil, nil, false
	}
	var k [32]byte
	copy(k[:], h)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.hashes.has(k) {
		return nil, nil, false
	}
	e := c.kept[k]
	return e.st, e.grantOwner, true
}

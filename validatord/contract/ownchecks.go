package contract

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"sync/atomic"

	"copystation/protocol"
)

// ownChecks remembers the station statements this node's own gateway
// verified (App.VerifyStatement), so that the CheckTx of the transaction
// the gateway then submits, which carries the same statement, key and
// signature, does not verify it a second time: without it the node that
// receives a spend verified its signature twice, five checks a spend on
// four nodes where four do. An entry is made only after the signature
// verified in this process, and a check is skipped only for the same
// digest, key and signature, so the verdict is the one verifying again
// would give; the other nodes verify as before.
type ownChecks struct {
	mu      sync.Mutex
	triples recentSet

	empty    atomic.Bool   // nothing remembered yet: a node without a gateway
	verified atomic.Uint64 // statement signatures verified (ECDSA run)
	reused   atomic.Uint64 // statement checks answered by an entry
}

// ownChecksSize is how many of the gateway's latest verified statements
// are remembered: a statement reaches CheckTx milliseconds after its
// gateway verified it, and at 2,000 spends a second on one node this is
// two seconds of them.
const ownChecksSize = 1 << 12

func newOwnChecks() *ownChecks {
	c := &ownChecks{triples: newRecentSet(ownChecksSize)}
	c.empty.Store(true)
	return c
}

// ownCheckKey names a (key, digest, signature) triple; each part is length
// prefixed, so no two triples share a name.
func ownCheckKey(pub []byte, d [32]byte, sig []byte) [32]byte {
	var buf [256]byte
	b := binary.BigEndian.AppendUint32(buf[:0], uint32(len(pub)))
	b = append(b, pub...)
	b = append(b, d[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(sig)))
	b = append(b, sig...)
	return sha256.Sum256(b)
}

// verify is protocol.Verify of a statement with digest d, answered from
// the remembered checks when the gateway verified the same triple; with
// remember, a triple that verifies is remembered. A nil ownChecks verifies
// every time.
func (c *ownChecks) verify(pub []byte, d [32]byte, sig []byte, remember bool) error {
	if c == nil {
		return protocol.VerifyDigest(pub, d, sig)
	}
	if !remember && c.empty.Load() {
		c.verified.Add(1)
		return protocol.VerifyDigest(pub, d, sig)
	}
	k := ownCheckKey(pub, d, sig)
	c.mu.Lock()
	ok := c.triples.has(k)
	c.mu.Unlock()
	if ok {
		c.reused.Add(1)
		return nil
	}
	c.verified.Add(1)
	if err := protocol.VerifyDigest(pub, d, sig); err != nil {
		return err
	}
	if remember {
		c.mu.Lock()
		c.triples.add(k)
		c.mu.Unlock()
		c.empty.Store(false)
	}
	return nil
}

// VerifyStatement is protocol.Verify for this node's gateway: a statement
// that verifies is remembered, and the CheckTx of a transaction carrying
// it (ledger.Local's Spend and Report of it) does not verify it again.
func (a *App) VerifyStatement(pub []byte, st protocol.Statement, sig []byte) error {
	return a.own.verify(pub, protocol.Digest(st), sig, true)
}

// StatementChecks counts this node's checks of station statements'
// signatures: verified ran ECDSA (the gateway's, CheckTx's, and a block's
// for a statement CheckTx did not pass here), reused were answered by the
// gateway's earlier check.
func (a *App) StatementChecks() (verified, reused uint64) {
	return a.own.verified.Load(), a.own.reused.Load()
}

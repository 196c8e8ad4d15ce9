package contract

import (
	"bytes"
	"sync"

	"copystation/protocol"
)

// grantMemo remembers, for the latest spends, the owner key whose
// signature on the spend's customer grant CheckTx verified, so that
// executing the block need not verify it again.
//
// A kiosk's spend carries two signatures: the station's over the request,
// checked statelessly in CheckTx (verifiedCache), and the token owner's
// over the grant, which needs the owner's key from state and so was
// verified only in FinalizeBlock: one P-256 verification per spend on
// every node, in series on the consensus path, about 9 ms of each height
// at 2,000 spends a second (docs/benchmarks.md, issue 17, eighth session).
// CheckTx now also verifies the grant against the token's owner in
// committed state, off that path, and records the key it verified.
//
// Execution still decides alone: it reads the owner from the state the
// block sees, and skips the verification only when that key is exactly
// the one recorded for this transaction. A verification is a pure
// function of the key and the transaction's bytes (which its hash fixes),
// so the result is the one verifying again would give, on every node,
// memo or not. A token that changed hands in between, a grant CheckTx
// could not verify, or an entry dropped as newer spends came, is verified
// in FinalizeBlock as before. CheckTx refuses nothing for its grant: an
// owner may change before the block executes.
type grantMemo struct {
	mu    sync.Mutex
	owner map[[32]byte][]byte
	ring  [][32]byte
	next  int
}

// grantMemoSize is how many spends keep their verified owner: more than a
// node's mempool holds (CometBFT's 5,000), so a spend keeps its entry
// however long it waited there; a memo that forgot the oldest waiting
// spends under a backlog would verify them twice just when the CPU is
// short. About 1 MiB.
const grantMemoSize = 1 << 13

func newGrantMemo() *grantMemo {
	return &grantMemo{owner: make(map[[32]byte][]byte, grantMemoSize), ring: make([][32]byte, grantMemoSize)}
}

// add records that the grant in the transaction with hash h verified
// against owner.
func (m *grantMemo) add(h []byte, owner []byte) {
	var k [32]byte
	copy(k[:], h)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.owner[k]; ok {
		return
	}
	if old := m.ring[m.next]; old != ([32]byte{}) {
		delete(m.owner, old)
	}
	m.ring[m.next] = k
	m.next = (m.next + 1) % len(m.ring)
	m.owner[k] = bytes.Clone(owner)
}

// verified reports whether the grant in the transaction with hash h was
// verified against exactly this owner key. A nil memo knows none.
func (m *grantMemo) verified(h []byte, owner []byte) bool {
	if m == nil {
		return false
	}
	var k [32]byte
	copy(k[:], h)
	m.mu.Lock()
	defer m.mu.Unlock()
	got, ok := m.owner[k]
	return ok && bytes.Equal(got, owner)
}

// checkGrant verifies a spend's customer grant against the owner of its
// token in committed state and, if it holds, records it in the memo.
// Anything that does not verify is left to FinalizeBlock, which refuses
// it with its reason.
func (a *App) checkGrant(h []byte, st protocol.Statement) {
	req, ok := st.(*protocol.CopyRequest)
	if !ok || len(req.CustomerGrant) == 0 {
		return
	}
	var tok Token
	if a.committed(keyToken(req.TokenID), &tok) != nil {
		return
	}
	g, sig, err := DecodeGrant(req.CustomerGrant)
	if err != nil || protocol.Verify(tok.Owner, g, sig) != nil {
		return
	}
	a.grants.add(h, tok.Owner)
}

package chain

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"slices"

	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/types"

	"copystation/validatord/contract"
)

// Every validator applies the same blocks, so its stores receive the same
// writes: with one memtable size they all fill a memtable at the same
// height, flush it together and compact together. A height then waits
// for a quorum that is busy at once; four nodes sharing one machine's
// cores stalled for more than a second every ten at 2,000 spends a second
// (docs/benchmarks.md, issue 17, seventeenth session). Each node instead
// sizes its memtables by its place among the genesis validators, evenly
// from contract.MemTableBytes down to just above half of it, so the nodes
// fill them at different heights and at most a few are busy with a flush
// at one height. A quorum is then mostly nodes that are not.
//
// The same holds for the snapshots kept for joining nodes: made at the
// same heights, every node read and wrote its whole history at once, four
// times the work at one height, and the network's heights around it took
// up to ten times as long (docs/benchmarks.md, issue 17, eighteenth and
// nineteenth sessions). Each node makes them at its own offset within the
// interval, by the same place. A joining node then finds each snapshot at
// one peer instead of all; state sync fetches it from that peer and, if
// the chunks stop coming, rejects it and takes the next best, another
// peer's.

// memTableBytes is the memtable size of the node at slot of n validators:
// contract.MemTableBytes less slot/n of half of it, in whole KiB; the
// largest for a lone node.
func memTableBytes(slot, n int) uint64 {
	const most = contract.MemTableBytes
	if n < 1 || slot < 0 || slot >= n {
		return most
	}
	return uint64(most-most/2*slot/n) &^ (1<<10 - 1)
}

// snapshotOffset is the height, within each interval, at which the node
// at slot of n validators makes its snapshots: slot/n of the interval.
func snapshotOffset(interval int64, slot, n int) int64 {
	if interval <= 0 || n < 1 || slot < 0 || slot >= n {
		return 0
	}
	return interval * int64(slot) / int64(n)
}

// storeSlot is the node's place among the genesis validators, ordered by
// address, and their number. A node that is not one of them (a validator
// added later, a full node) takes a place from a hash of its address,
// which may be another's: the spread is a matter of speed, not safety.
func storeSlot(doc *types.GenesisDoc, consensusKey []byte) (slot, n int) {
	addr := ed25519.PrivKey(consensusKey).PubKey().Address()
	addrs := make([][]byte, 0, len(doc.Validators))
	for _, v := range doc.Validators {
		addrs = append(addrs, v.PubKey.Address())
	}
	n = len(addrs)
	if n == 0 {
		return 0, 0
	}
	slices.SortFunc(addrs, bytes.Compare)
	if i := slices.IndexFunc(addrs, func(a []byte) bool { return bytes.Equal(a, addr) }); i >= 0 {
		return i, n
	}
	h := sha256.Sum256(addr)
	return int(binary.BigEndian.Uint64(h[:8]) % uint64(n)), n
}

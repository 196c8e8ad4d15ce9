package digests

import (
	"bytes"
	"fmt"

	"github.com/cometbft/cometbft/crypto/merkle"
)

// leafPrefix opens every leaf, so a trace record's leaf is never another
// tree's leaf in this project; a film's record has its own, so an image
// record's leaf is never read as a film's.
const (
	leafPrefix      = "copystation trace leaf v1"
	leafPrefixVideo = "copystation trace leaf v2"
)

// Leaf is entry i's Merkle leaf: "copystation trace leaf v1" ‖ u32(i) ‖
// the entry's encoding (u64 start ‖ u32 sectors ‖ A ‖ B); for a film's
// record "copystation trace leaf v2" ‖ u32(i) ‖ start ‖ sectors ‖ A ‖ B ‖
// VA ‖ VB.
func (r *Record) Leaf(i int) []byte {
	prefix := leafPrefix
	if r.Video {
		prefix = leafPrefixVideo
	}
	b := append([]byte(prefix), byte(i>>24), byte(i>>16), byte(i>>8), byte(i))
	return r.Entries[i].append(b, r.Video)
}

// Root is the RFC 6962 Merkle tree hash over the leaves (CometBFT's
// crypto/merkle: leaf SHA-256(0x00 ‖ leaf), node SHA-256(0x01 ‖ l ‖ r)),
// which the title's registration records.
func (r *Record) Root() []byte {
	leaves := make([][]byte, len(r.Entries))
	for i := range leaves {
		leaves[i] = r.Leaf(i)
	}
	return merkle.HashFromByteSlices(leaves)
}

// Verify checks the record against what the ledger recorded for the title:
// its ID, parameters and root. A mismatch is ErrRoot: the record is not the
// one the title was registered with, and a trace with it proves nothing.
func (r *Record) Verify(titleID string, n uint64, c int, eps1 string, root []byte) error {
	switch {
	case r.TitleID != titleID:
		return fmt.Errorf("digests.Record.Verify: %w: record is for title %q, not %q", ErrRoot, r.TitleID, titleID)
	case r.Params.N != n || r.Params.C != c || FormatEps1(r.Params.Eps1) != eps1:
		return fmt.Errorf("digests.Record.Verify: %w: record's parameters N=%d C=%d Eps1=%s, the ledger's N=%d C=%d Eps1=%s",
			ErrRoot, r.Params.N, r.Params.C, FormatEps1(r.Params.Eps1), n, c, eps1)
	case !bytes.Equal(r.Root(), root):
		return fmt.Errorf("digests.Record.Verify: %w: root %x, the ledger's %x", ErrRoot, r.Root(), root)
	}
	return nil
}

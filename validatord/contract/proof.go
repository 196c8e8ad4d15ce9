package contract

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	cmtcrypto "github.com/cometbft/cometbft/api/cometbft/crypto/v1"
	"github.com/cometbft/cometbft/crypto/merkle"
)

// ErrProof is returned for a proof that does not prove the record.
var ErrProof = errors.New("the proof does not prove the record against this app hash")

// ProofOpType names the contract's proof in a query's ProofOps.
const ProofOpType = "copystation/block-write"

// Proof shows that a record was written, with this value, by the block at
// Height: the value is a leaf of that block's change-set Merkle tree, and
// the app hash after the block (which the header at Height+1 carries) is
// chainHash(PrevHash, Height, Root). A record proved this way is the one
// current at Height; a later block may have rewritten it.
type Proof struct {
	Height   int64        `json:"height"`
	PrevHash []byte       `json:"prev_hash"`
	Root     []byte       `json:"root"`
	Merkle   merkle.Proof `json:"merkle"`
}

// Verify checks the proof of key = value against appHash, the AppHash of
// the block header at p.Height+1.
func (p *Proof) Verify(appHash []byte, key string, value []byte) error {
	if err := p.Merkle.Verify(p.Root, leaf(key, value)); err != nil {
		return fmt.Errorf("contract.Proof.Verify: %w: %v", ErrProof, err)
	}
	if !bytes.Equal(chainHash(p.PrevHash, p.Height, p.Root), appHash) {
		return fmt.Errorf("contract.Proof.Verify: %w: the chain hash differs", ErrProof)
	}
	return nil
}

// recordPaths are the record query paths a proof can be asked for, each
// with its state key.
var recordPaths = []struct {
	path string
	key  func(string) string
}{
	{"/title/", keyTitle}, {"/station/", keyStation}, {"/token/", keyToken}, {"/copy/", keyCopy},
	{"/opening/", keyOpening}, {"/accusation/", keyAccusation}, {"/record/", keyRecord}, {"/owner/", keyOwner},
}

// StateKey is the state key of a record query path (/token/ID and the
// like), the key a Proof names.
func StateKey(path string) (string, bool) {
	for _, r := range recordPaths {
		if id, ok := strings.CutPrefix(path, r.path); ok && len(id) > 0 {
			return r.key(id), true
		}
	}
	return "", false
}

// provable reports whether a state key is one a record query can prove,
// the only keys whose last write height (wrotePfx) a node keeps: a spend
// writes three index keys (by owner, token and station) besides its token
// and copy, and a marker for each cost a write per key at every commit
// for a proof no query can ask for (docs/benchmarks.md, issue 17).
func provable(key string) bool {
	for _, r := range recordPaths {
		if strings.HasPrefix(key, r.key("")) {
			return true
		}
	}
	return false
}

// prove builds the proof for a committed key.
func (a *App) prove(key string) (*Proof, error) {
	hb, err := a.db.Get([]byte(wrotePfx + key))
	if err != nil || len(hb) != 8 {
		return nil, fmt.Errorf("contract: no write height for %q: %v", key, err)
	}
	h := int64(binary.BigEndian.Uint64(hb))
	enc, err := a.db.Get(heightKey(blockPfx, h))
	if err != nil {
		return nil, err
	}
	leaves, err := decodeLeaves(enc)
	if err != nil {
		return nil, err
	}
	i, ok := slices.BinarySearchFunc(leaves, key, func(l []byte, k string) int {
		n := binary.BigEndian.Uint32(l)
		return bytes.Compare(l[4:4+n], []byte(k))
	})
	if !ok {
		return nil, fmt.Errorf("contract: block %d does not write %q", h, key)
	}
	root, proofs := merkle.ProofsFromByteSlices(leaves)
	p := &Proof{Height: h, Root: root, Merkle: *proofs[i]}
	if p.PrevHash, err = a.db.Get(heightKey(hashPfx, h-1)); err != nil {
		return nil, err
	}
	return p, nil
}

// encodeLeaves is a change set's stored encoding (changeSet.enc).
func encodeLeaves(leaves [][]byte) []byte {
	var b []byte
	for _, l := range leaves {
		b = appendBytes(b, l)
	}
	return b
}

func decodeLeaves(b []byte) ([][]byte, error) {
	r := reader{b: b}
	var out [][]byte
	for len(r.b) > 0 && r.err == nil {
		out = append(out, r.bytes(MaxTxBytes*64))
	}
	if r.err != nil {
		return nil, fmt.Errorf("contract: stored change set: %w", r.err)
	}
	return out, nil
}

// proofOps wraps a proof for a query response.
func (a *App) proofOps(key string) (*cmtcrypto.ProofOps, int64, error) {
	p, err := a.prove(key)
	if err != nil {
		return nil, 0, err
	}
	js, err := json.Marshal(p)
	if err != nil {
		return nil, 0, err
	}
	return &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{{Type: ProofOpType, Key: []byte(key), Data: js}}}, p.Height, nil
}

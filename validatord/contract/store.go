package contract

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	dbm "github.com/cometbft/cometbft-db"
	"github.com/cometbft/cometbft/crypto/merkle"
)

// Keys of the state. Every state key starts with one letter and a slash;
// IDs never contain a slash (checkID), so prefixes never overlap.
func keyOperator(id string) string { return "o/" + id }
func keyIssuer(id string) string   { return "i/" + id }
func keyTitle(id string) string    { return "t/" + id }
func keyStation(id string) string  { return "s/" + id }
func keyToken(id string) string    { return "k/" + id }
func keyCopy(job string) string    { return "c/" + job }
func keyNonce(id string) string    { return "n/" + id }

// keyReport marks a report statement (by the hex SHA-256 of its signed
// bytes) as recorded, so it counts once.
func keyReport(digest []byte) string { return "d/" + hex.EncodeToString(digest) }
func keyNonceUsed(id string, n uint64) string {
	return fmt.Sprintf("u/%s/%016x", id, n)
}

// keyTitleShares holds node i's sealed title shares, apart from the title
// record: each node reads only its own, and reading a title reads none.
func keyTitleShares(id string, i int) string { return fmt.Sprintf("y/%s/%d", id, i) }
func keyByStation(st, job string) string     { return "x/s/" + st + "/" + job }

const (
	keyParams  = "p/params"
	keyCustody = "p/custody"
)

// Local keys: written with each commit but not part of the agreed state (so
// not in the app hash).
const (
	metaHeight  = "m/height"
	metaHash    = "m/hash"
	metaChainID = "m/chain"
	resultsPfx  = "r/"
	blockPfx    = "b/" // b/<height>: the block's change set, for proofs
	hashPfx     = "h/" // h/<height>: the app hash after the block
	wrotePfx    = "w/" // w/<key>: the height that last wrote the key
)

func heightKey(pfx string, h int64) []byte { return fmt.Appendf(nil, "%s%016x", pfx, h) }

// view is one transaction's reads and writes over the block's staged
// writes, which lie over the committed database. A refused transaction's
// view is dropped, so it leaves nothing behind.
type view struct {
	db     dbm.DB
	staged map[string][]byte
	writes map[string][]byte
	// reads, if not nil, keeps what the block has read from the database,
	// misses included, so a key every transaction reads (a title, a
	// station) is fetched once a block. The database does not change
	// before Commit: every writer holds App.mu, as FinalizeBlock does.
	reads map[string][]byte
	// absent, if not nil, spares the lookup of a key the store surely
	// does not hold (keyfilter.go); it mirrors the committed store, which
	// does not change before Commit either.
	absent *keyFilter
}

func (v *view) get(key string) ([]byte, error) {
	if p, ok := v.writes[key]; ok {
		return p, nil
	}
	if p, ok := v.staged[key]; ok {
		return p, nil
	}
	if p, ok := v.reads[key]; ok {
		return p, nil
	}
	if v.absent != nil && !v.absent.mayHold(key) {
		return nil, nil
	}
	p, err := v.db.Get([]byte(key))
	if err != nil {
		return nil, fmt.Errorf("contract: read %q: %w", key, err)
	}
	if v.reads != nil {
		v.reads[key] = p
	}
	return p, nil
}

// getJSON loads a record into out; found is false when the key is absent.
func (v *view) getJSON(key string, out any) (found bool, err error) {
	p, err := v.get(key)
	if err != nil || p == nil {
		return false, err
	}
	if err := json.Unmarshal(p, out); err != nil {
		return false, fmt.Errorf("contract: decode %q: %w", key, err)
	}
	return true, nil
}

func (v *view) put(key string, val []byte) { v.writes[key] = val }

func (v *view) putJSON(key string, rec any) error {
	p, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("contract: encode %q: %w", key, err)
	}
	v.put(key, p)
	return nil
}

func (v *view) merge() {
	for k, p := range v.writes {
		v.staged[k] = p
	}
}

// changeSet is a block's writes in sorted key order, each encoded as a
// Merkle leaf, and their root (CometBFT's RFC 6962 tree). enc is the
// change set as a node stores it (b/<height>): each leaf prefixed by its
// 32-bit length; the leaves are slices of it, so a block's leaves are one
// allocation and storing them copies nothing more.
type changeSet struct {
	keys   []string
	leaves [][]byte
	root   []byte
	enc    []byte
}

// leaf encodes one write: key and value, each with a 32-bit length.
func leaf(k string, v []byte) []byte {
	return appendLeaf(make([]byte, 0, 8+len(k)+len(v)), k, v)
}

func appendLeaf(b []byte, k string, v []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(k)))
	b = append(b, k...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
	return append(b, v...)
}

func changes(staged map[string][]byte) *changeSet {
	cs := &changeSet{keys: make([]string, 0, len(staged))}
	size := 0
	for k, v := range staged {
		cs.keys = append(cs.keys, k)
		size += 12 + len(k) + len(v)
	}
	slices.Sort(cs.keys)
	cs.enc = make([]byte, 0, size)
	cs.leaves = make([][]byte, len(cs.keys))
	for i, k := range cs.keys {
		v := staged[k]
		cs.enc = binary.BigEndian.AppendUint32(cs.enc, uint32(8+len(k)+len(v)))
		start := len(cs.enc)
		cs.enc = appendLeaf(cs.enc, k, v)
		cs.leaves[i] = cs.enc[start:len(cs.enc):len(cs.enc)]
	}
	cs.root = merkle.HashFromByteSlices(cs.leaves)
	return cs
}

// nextHash is the app hash after a block at height. A block that writes
// nothing leaves it unchanged: CometBFT makes a block at a height while the
// app hash differs from the one the last header carries (a proof block,
// even with empty blocks off), so a hash that moved at every height made an
// idle network produce blocks forever.
func nextHash(prev []byte, height int64, cs *changeSet) []byte {
	if len(cs.keys) == 0 {
		return append([]byte(nil), prev...)
	}
	return chainHash(prev, height, cs.root)
}

// chainHash is the app hash after a block that writes: SHA-256 over a label, the
// previous app hash, the height and the Merkle root of the block's writes. Every node
// applying the same blocks from the same genesis computes the same chain.
func chainHash(prev []byte, height int64, digest []byte) []byte {
	h := sha256.New()
	h.Write([]byte("copystation app hash v1"))
	h.Write(prev)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(height))
	h.Write(b[:])
	h.Write(digest)
	return h.Sum(nil)
}

package playertree

import (
	"bytes"
	"copystation/custody"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"go.dedis.ch/kyber/v4/encrypt/ibe"
)

// ParseKeyBlock decodes a version-2 disc key block. It checks the shape:
// sizes, the tree, that every entry is a node of the tree, and that
// entries are sorted and distinct. It opens nothing, and decodes an
// entry's curve point only when a player uses that entry: checking ten
// thousand G2 points would cost a player seconds.
func ParseKeyBlock(b []byte) (*KeyBlock, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("playertree.ParseKeyBlock: %w: %s", ErrKeyBlock, fmt.Sprintf(format, a...))
	}
	if len(b) < 2 || b[0] != KeyBlockVersion {
		return nil, bad("%d bytes, version %v (want version %d)", len(b), firstByte(b), KeyBlockVersion)
	}
	n := int(b[1])
	if len(b) < 2+n+5 {
		return nil, bad("cut short in the header")
	}
	kb := &KeyBlock{Tree: Tree{ID: string(b[2 : 2+n]), Depth: b[2+n]}}
	if err := kb.Tree.Check(); err != nil {
		return nil, bad("%v", err)
	}
	m := binary.BigEndian.Uint32(b[3+n:])
	if m == 0 || m > MaxCover {
		return nil, bad("%d cover entries, want 1 to %d", m, MaxCover)
	}
	off := 7 + n
	if want := off + int(m)*EntrySize + wrapSize; len(b) != want {
		return nil, bad("%d bytes, want %d for %d entries", len(b), want, m)
	}
	b = bytes.Clone(b)
	kb.Entries = make([]Entry, m)
	for i := range kb.Entries {
		e, err := parseEntry(b[off : off+EntrySize])
		if err != nil {
			return nil, bad("entry %d: %v", i, err)
		}
		if !kb.Tree.contains(e.Node) {
			return nil, bad("entry %d: node %d/%d is not in a tree of depth %d", i, e.Node.Depth, e.Node.Path, kb.Tree.Depth)
		}
		if i > 0 && !less(kb.Entries[i-1].Node, e.Node) {
			return nil, bad("entry %d: not sorted after entry %d", i, i-1)
		}
		kb.Entries[i] = e
		off += EntrySize
	}
	kb.digest = sha256.Sum256(b[:off])
	kb.Wrapped = append([]byte(nil), b[off:]...)
	return kb, nil
}

func parseEntry(b []byte) (Entry, error) {
	return Entry{Node: Node{Depth: b[0], Path: binary.BigEndian.Uint32(b[1:5])}, raw: b[5:EntrySize]}, nil
}

func less(a, b Node) bool {
	return a.Depth < b.Depth || a.Depth == b.Depth && a.Path < b.Path
}

// ciphertext decodes the entry's IBE ciphertext.
func (e Entry) ciphertext() (*ibe.Ciphertext, error) {
	if e.CT != nil {
		return e.CT, nil
	}
	u, err := custody.ParseG2(e.raw[:GroupKeySize])
	if err != nil {
		return nil, fmt.Errorf("%w: the entry for node %d/%d: %v", ErrKeyBlock, e.Node.Depth, e.Node.Path, err)
	}
	v := e.raw[GroupKeySize:]
	return &ibe.Ciphertext{U: u, V: v[:DiscKeySize], W: v[DiscKeySize:]}, nil
}

package custody

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// DomainEpoch labels a custody epoch record: the network's group signature
// on it is how a station that pinned X learns a new public polynomial and
// new share roots (docs/key-custody.md, "The epoch record").
const DomainEpoch = "copystation/custody-epoch/v1"

// ErrEpoch: an epoch record is for another network, not newer than the one
// held, or names a group whose key is not the pinned X. Keep the group and
// roots held; the record is not the network's next epoch.
var ErrEpoch = errors.New("custody: custody epoch record refused")

// EpochRecord is the public outcome of a resharing: the epoch number (the
// genesis group is epoch 0), the new group (same key X, new public
// polynomial) and, per title, every new node's Merkle root over its new
// shares, in new node order. Titles are sorted by ID, each once.
type EpochRecord struct {
	ChainID string
	Epoch   uint32
	Group   *Group
	Titles  []EpochTitle
}

// EpochTitle is one title's new roots, Roots[j] new node j's.
type EpochTitle struct {
	TitleID string
	Roots   [][32]byte
}

const epochMagic = "copystation custody epoch v1"

// MarshalBinary: magic ‖ u16-prefixed chain ID ‖ u32 epoch ‖ u16-prefixed
// group encoding ‖ u32 title count ‖ per title: u16-prefixed title ID ‖
// u16 n ‖ n × 32-byte roots, n the group's node count.
func (e *EpochRecord) MarshalBinary() ([]byte, error) {
	const op = "custody.EpochRecord.MarshalBinary"
	if err := checkLabelField("chain ID", e.ChainID); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	g, err := e.Group.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	b := appendMagic(nil, epochMagic)
	b = appendField(b, []byte(e.ChainID))
	b = binary.BigEndian.AppendUint32(b, e.Epoch)
	b = appendField(b, g)
	b = appendU32(b, len(e.Titles))
	for i, t := range e.Titles {
		if err := checkLabelField("title ID", t.TitleID); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		if i > 0 && t.TitleID <= e.Titles[i-1].TitleID {
			return nil, fmt.Errorf("%s: %w: titles not sorted or repeated at %q", op, ErrEncoding, t.TitleID)
		}
		if len(t.Roots) != e.Group.N() {
			return nil, fmt.Errorf("%s: %w: title %q has %d roots for %d nodes", op, ErrEncoding, t.TitleID, len(t.Roots), e.Group.N())
		}
		b = appendField(b, []byte(t.TitleID))
		b = appendU16(b, len(t.Roots))
		for _, r := range t.Roots {
			b = append(b, r[:]...)
		}
	}
	return b, nil
}

// UnmarshalEpochRecord decodes a record; every count is checked against
// the bytes present before it is allocated for.
func UnmarshalEpochRecord(b []byte) (*EpochRecord, error) {
	r := &reader{op: "custody.UnmarshalEpochRecord", b: b}
	r.magic(epochMagic)
	e := &EpochRecord{ChainID: string(r.field(1, MaxLabelField, "chain ID"))}
	if eb := r.bytes(4, "epoch"); eb != nil {
		e.Epoch = binary.BigEndian.Uint32(eb)
	}
	gb := r.field(1, 65535, "group")
	if r.err == nil {
		g, err := UnmarshalGroup(gb)
		if err != nil {
			return nil, fmt.Errorf("custody.UnmarshalEpochRecord: %w", err)
		}
		e.Group = g
	}
	nt := r.u32("title count")
	if r.err == nil && nt > len(r.b)/(2+1+2) {
		r.fail("%d titles cannot fit in %d bytes", nt, len(r.b))
	}
	for i := 0; i < nt && r.err == nil; i++ {
		t := EpochTitle{TitleID: string(r.field(1, MaxLabelField, "title ID"))}
		if r.err == nil && i > 0 && t.TitleID <= e.Titles[i-1].TitleID {
			r.fail("titles not sorted or repeated at %q", t.TitleID)
		}
		if n := r.count(1, MaxNodes, "root count"); r.err == nil && n != e.Group.N() {
			r.fail("title %q has %d roots for %d nodes", t.TitleID, n, e.Group.N())
		}
		for j := 0; j < e.Group.N() && r.err == nil; j++ {
			if rb := r.bytes(32, "root"); rb != nil {
				t.Roots = append(t.Roots, [32]byte(rb))
			}
		}
		e.Titles = append(e.Titles, t)
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	return e, nil
}

// Label is what the network signs for the record: u16(len(domain)) ‖
// domain ‖ u16-prefixed chain ID ‖ u16(4) ‖ u32 epoch ‖ u16(32) ‖ SHA-256
// of the record's encoding. Nodes sign only a record they rebuilt
// themselves: their own group and root in it, the others' from the
// session's public files.
func (e *EpochRecord) Label() ([]byte, error) {
	enc, err := e.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("custody.EpochRecord.Label: %w", err)
	}
	sum := sha256.Sum256(enc)
	b := appendField(nil, []byte(DomainEpoch))
	b = appendField(b, []byte(e.ChainID))
	b = appendField(b, binary.BigEndian.AppendUint32(nil, e.Epoch))
	return appendField(b, sum[:]), nil
}

// AcceptEpoch is a station's (or any verifier's) check of a new epoch: the
// record must be for chainID, newer than current, keep the pinned group
// key X, and carry the group signature on its label under X. It returns
// the record, whose group and roots then replace those held. Anything else
// wraps ErrEpoch or ErrBadSignature.
func AcceptEpoch(pinned *Group, chainID string, current uint32, record []byte, sig Signature) (*EpochRecord, error) {
	const op = "custody.AcceptEpoch"
	e, err := UnmarshalEpochRecord(record)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", op, ErrEpoch, err)
	}
	switch {
	case e.ChainID != chainID:
		return nil, fmt.Errorf("%s: %w: record is for chain %q, want %q", op, ErrEpoch, e.ChainID, chainID)
	case e.Epoch <= current:
		return nil, fmt.Errorf("%s: %w: epoch %d is not newer than the held epoch %d", op, ErrEpoch, e.Epoch, current)
	case !bytes.Equal(e.Group.KeyBytes(), pinned.KeyBytes()):
		return nil, fmt.Errorf("%s: %w: the record's group key is not the pinned group key", op, ErrEpoch)
	}
	label, err := e.Label()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := Verify(pinned.Key(), label, sig); err != nil {
		return nil, fmt.Errorf("%s: epoch %d: %w", op, e.Epoch, err)
	}
	return e, nil
}

// Roots returns the title's new roots, or false when the record names
// no such title.
func (e *EpochRecord) Roots(titleID string) ([][32]byte, bool) {
	for _, t := range e.Titles {
		if t.TitleID == titleID {
			return t.Roots, true
		}
	}
	return nil, false
}

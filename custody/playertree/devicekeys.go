package playertree

import (
	"encoding/binary"
	"errors"
	"fmt"

	"go.dedis.ch/kyber/v4"
)

// DeviceKeysVersion is the first byte of an encoded device key set.
const DeviceKeysVersion = 1

// ErrDeviceKeys: a device key file is malformed.
var ErrDeviceKeys = errors.New("playertree: not a device key set")

// DeviceKeys are one player's keys: the key of every node on its path,
// root first. They are a player's only secret; a player maker receives
// them sealed to its own key (validatord player enroll).
type DeviceKeys struct {
	Tree Tree
	Leaf uint32
	// Keys[d] is the key of the path's node at depth d (KeySize bytes).
	Keys [][]byte
}

// Verify checks every key against the group key, so a player maker knows
// at enrollment, not at the first disc, that no node sent a bad part.
func (k *DeviceKeys) Verify(group kyber.Point) error {
	path, err := k.Tree.PathOf(k.Leaf)
	if err != nil {
		return err
	}
	if len(k.Keys) != len(path) {
		return fmt.Errorf("%w: %d keys for a path of %d nodes", ErrDeviceKeys, len(k.Keys), len(path))
	}
	for d, n := range path {
		if err := VerifyNodeKey(k.Tree, n, group, k.Keys[d]); err != nil {
			return err
		}
	}
	return nil
}

// Wipe clears the keys from memory.
func (k *DeviceKeys) Wipe() {
	for _, b := range k.Keys {
		clear(b)
	}
}

// MarshalBinary encodes the set:
//
//	version (1) ‖ tree ID length (1) ‖ tree ID ‖ depth (1) ‖ leaf (u32) ‖ (depth+1) × key (48)
func (k *DeviceKeys) MarshalBinary() ([]byte, error) {
	if err := k.Tree.Check(); err != nil {
		return nil, err
	}
	if len(k.Keys) != int(k.Tree.Depth)+1 {
		return nil, fmt.Errorf("%w: %d keys for depth %d", ErrDeviceKeys, len(k.Keys), k.Tree.Depth)
	}
	b := []byte{DeviceKeysVersion, byte(len(k.Tree.ID))}
	b = append(b, k.Tree.ID...)
	b = append(b, k.Tree.Depth)
	b = binary.BigEndian.AppendUint32(b, k.Leaf)
	for _, key := range k.Keys {
		if len(key) != KeySize {
			return nil, fmt.Errorf("%w: a key of %d bytes, want %d", ErrDeviceKeys, len(key), KeySize)
		}
		b = append(b, key...)
	}
	return b, nil
}

// ParseDeviceKeys decodes a set made by MarshalBinary. It checks the shape
// only; Verify checks the keys.
func ParseDeviceKeys(b []byte) (*DeviceKeys, error) {
	if len(b) < 2 || b[0] != DeviceKeysVersion {
		return nil, fmt.Errorf("%w: %d bytes, version %v (want version %d)", ErrDeviceKeys, len(b), firstByte(b), DeviceKeysVersion)
	}
	n := int(b[1])
	if len(b) < 2+n+5 {
		return nil, fmt.Errorf("%w: cut short in the header", ErrDeviceKeys)
	}
	k := &DeviceKeys{Tree: Tree{ID: string(b[2 : 2+n]), Depth: b[2+n]}}
	if err := k.Tree.Check(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDeviceKeys, err)
	}
	k.Leaf = binary.BigEndian.Uint32(b[3+n:])
	if uint64(k.Leaf) >= k.Tree.Leaves() {
		return nil, fmt.Errorf("%w: leaf %d outside a tree of depth %d", ErrDeviceKeys, k.Leaf, k.Tree.Depth)
	}
	rest := b[7+n:]
	if want := (int(k.Tree.Depth) + 1) * KeySize; len(rest) != want {
		return nil, fmt.Errorf("%w: %d bytes of keys, want %d", ErrDeviceKeys, len(rest), want)
	}
	for len(rest) > 0 {
		k.Keys = append(k.Keys, append([]byte(nil), rest[:KeySize]...))
		rest = rest[KeySize:]
	}
	return k, nil
}

func firstByte(b []byte) any {
	if len(b) == 0 {
		return "none"
	}
	return b[0]
}

package custody

import (
	"fmt"

	"go.dedis.ch/kyber/v4"
	"go.dedis.ch/kyber/v4/share"
)

// KeyShare is node i's share x_i of the group secret, the output of the DKG.
// It lives sealed in the node's vault: MarshalBinary gives the bytes the vault
// seals, never to be written in the clear; Wipe clears it after use.
type KeyShare struct {
	Node int // 0-based genesis index; evaluation point Node+1
	v    kyber.Scalar
}

const keyShareMagic = "copystation key share v1"

func newKeyShare(ps *share.PriShare) *KeyShare {
	return &KeyShare{Node: int(ps.I), v: ps.V.Clone()}
}

func (k *KeyShare) priShare() *share.PriShare { return &share.PriShare{I: uint32(k.Node), V: k.v} }

// MarshalBinary: magic ‖ u16(node) ‖ 32-byte scalar. The caller seals it and
// clears the returned slice.
func (k *KeyShare) MarshalBinary() ([]byte, error) {
	v, err := k.v.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("custody.KeyShare.MarshalBinary: %w", err)
	}
	b := appendMagic(nil, keyShareMagic)
	b = appendU16(b, k.Node)
	b = append(b, v...)
	clear(v)
	return b, nil
}

// UnmarshalKeyShare decodes a share opened from the vault.
func UnmarshalKeyShare(b []byte) (*KeyShare, error) {
	r := &reader{op: "custody.UnmarshalKeyShare", b: b}
	r.magic(keyShareMagic)
	node := r.count(0, MaxNodes-1, "node index")
	v := r.scalar("share")
	if err := r.done(); err != nil {
		return nil, err
	}
	return &KeyShare{Node: node, v: v}, nil
}

// Wipe overwrites the share in place. Copies kyber made during arithmetic
// are beyond reach (Go gives no control over them).
func (k *KeyShare) Wipe() {
	if k != nil && k.v != nil {
		k.v.Zero()
	}
}

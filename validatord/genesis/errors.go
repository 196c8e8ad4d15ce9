// Package genesis is the multi-operator genesis ceremony: each operator's
// signed node descriptor, the ceremony file assembled from them, and one
// node's side of the distributed key generation over a shared exchange
// directory (docs/operators.md, docs/key-custody.md "Ceremony").
package genesis

import (
	"encoding/hex"
	"errors"
	"fmt"
)

// Errors of the ceremony. Each is wrapped with the operation and the cause.
var (
	// ErrDescriptor: a node descriptor that does not parse, is out of
	// bounds, or whose signature does not verify under its own signing key.
	ErrDescriptor = errors.New("bad node descriptor")
	// ErrCeremonyFile: a ceremony file that does not parse, is out of
	// bounds, or is inconsistent (duplicate nodes, bad threshold).
	ErrCeremonyFile = errors.New("bad ceremony file")
	// ErrNotInCeremony: this home's node is not among the ceremony's nodes,
	// or its descriptor there does not match the home's keys.
	ErrNotInCeremony = errors.New("this node is not in the ceremony")
	// ErrExchange: the exchange directory can't be used (unreadable, or it
	// holds this node's files from an earlier run).
	ErrExchange = errors.New("exchange directory unusable")
	// ErrTimeout: some nodes' files did not arrive before the deadline.
	ErrTimeout = errors.New("ceremony timed out waiting for other nodes")
	// ErrPeerAborted: another node stopped the ceremony and said why in
	// its abort file, so this node stops too rather than wait for it.
	ErrPeerAborted = errors.New("another node stopped the ceremony")
)

// hexBytes is a byte string written as hex in JSON, so operators can
// compare keys by eye.
type hexBytes []byte

func (h hexBytes) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(h)), nil }

func (h *hexBytes) UnmarshalText(b []byte) error {
	if len(b) > 2*maxKeyLen {
		return fmt.Errorf("hex string of %d digits, limit %d", len(b), 2*maxKeyLen)
	}
	out := make([]byte, hex.DecodedLen(len(b)))
	if _, err := hex.Decode(out, b); err != nil {
		return err
	}
	*h = out
	return nil
}

// maxKeyLen bounds every key or signature field (the largest is a DKG
// public key, 96 bytes; an ASN.1 P-256 signature is at most 72).
const maxKeyLen = 128

package contract

import (
	"encoding/binary"
	"errors"
	"fmt"

	"copystation/protocol"
)

// ErrBadGrant is the error for bytes that are not an encoded customer grant.
var ErrBadGrant = errors.New("not a valid customer grant")

// maxGrantBytes bounds an encoded grant (it travels in a QR code).
const maxGrantBytes = 2048

// EncodeGrant is the encoding of a signed customer grant that goes in
// protocol.CopyRequest.CustomerGrant: the grant's own SigningBytes (label,
// version, fields) followed by the owner's signature with a 32-bit length.
// Reusing SigningBytes means the signed bytes are exactly the bytes carried.
func EncodeGrant(g *protocol.CustomerGrant, sig []byte) []byte {
	return appendBytes(g.SigningBytes(), sig)
}

// DecodeGrant parses EncodeGrant's output. It checks the label and version
// and that re-encoding gives back the same bytes, so one grant has one
// encoding.
func DecodeGrant(p []byte) (*protocol.CustomerGrant, []byte, error) {
	if len(p) > maxGrantBytes {
		return nil, nil, fmt.Errorf("contract.DecodeGrant: %w: %d bytes, limit %d", ErrBadGrant, len(p), maxGrantBytes)
	}
	r := reader{b: p}
	label := r.bytes(64)
	ver := r.take(2)
	g := &protocol.CustomerGrant{
		ChainID:   string(r.bytes(MaxIDLen)),
		TokenID:   string(r.bytes(MaxIDLen)),
		StationID: string(r.bytes(MaxIDLen)),
		TitleID:   string(r.bytes(MaxIDLen)),
	}
	g.Expiry = int64(r.u64())
	sig := r.bytes(maxSigLen)
	switch {
	case r.err != nil:
		return nil, nil, fmt.Errorf("contract.DecodeGrant: %w: %v", ErrBadGrant, r.err)
	case string(label) != protocol.LabelCustomerGrant:
		return nil, nil, fmt.Errorf("contract.DecodeGrant: %w: label %q", ErrBadGrant, label)
	case binary.BigEndian.Uint16(ver) != protocol.GrantVersion:
		return nil, nil, fmt.Errorf("contract.DecodeGrant: %w: version %d, want %d", ErrBadGrant, binary.BigEndian.Uint16(ver), protocol.GrantVersion)
	case len(r.b) != 0:
		return nil, nil, fmt.Errorf("contract.DecodeGrant: %w: %d trailing bytes", ErrBadGrant, len(r.b))
	}
	return g, sig, nil
}

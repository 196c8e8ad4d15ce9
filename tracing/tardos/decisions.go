package tardos

import (
	"encoding/binary"
	"fmt"
)

// Decision is what a leak shows at one position.
type Decision uint8

// Decision values, as encoded (two bits each).
const (
	Erased Decision = 0 // missing, damaged, or neither variant
	A      Decision = 1 // variant A (codeword bit 0)
	B      Decision = 2 // variant B (codeword bit 1)
)

func (d Decision) String() string {
	switch d {
	case Erased:
		return "erased"
	case A:
		return "A"
	case B:
		return "B"
	}
	return fmt.Sprintf("Decision(%d)", uint8(d))
}

// Decisions are a leak's per-position decisions.
type Decisions []Decision

// MarshalBinary encodes decisions as u16(M) ‖ ⌈M/4⌉ bytes, two bits per
// position, position 0 in the two most significant bits of byte 0; the
// value 3 and non-zero padding bits are invalid, so every vector has one
// encoding.
func (d Decisions) MarshalBinary() ([]byte, error) {
	if len(d) < 1 || len(d) > MaxLength {
		return nil, fmt.Errorf("tardos.Decisions.MarshalBinary: %w: %d positions, want 1 to %d", ErrDecisions, len(d), MaxLength)
	}
	out := binary.BigEndian.AppendUint16(nil, uint16(len(d)))
	out = append(out, make([]byte, (len(d)+3)/4)...)
	for i, x := range d {
		if x > B {
			return nil, fmt.Errorf("tardos.Decisions.MarshalBinary: %w: position %d is %v", ErrDecisions, i, x)
		}
		out[2+i/4] |= byte(x) << (6 - 2*(i%4))
	}
	return out, nil
}

// ParseDecisions decodes MarshalBinary's encoding, refusing anything else.
func ParseDecisions(p []byte) (Decisions, error) {
	if len(p) < 2 {
		return nil, fmt.Errorf("tardos.ParseDecisions: %w: %d bytes, too short for the length", ErrDecisions, len(p))
	}
	m := int(binary.BigEndian.Uint16(p))
	if m < 1 || m > MaxLength {
		return nil, fmt.Errorf("tardos.ParseDecisions: %w: %d positions, want 1 to %d", ErrDecisions, m, MaxLength)
	}
	if len(p) != 2+(m+3)/4 {
		return nil, fmt.Errorf("tardos.ParseDecisions: %w: %d bytes for %d positions, want %d", ErrDecisions, len(p), m, 2+(m+3)/4)
	}
	d := make(Decisions, m)
	for i := range d {
		x := Decision(p[2+i/4]>>(6-2*(i%4))) & 3
		if x > B {
			return nil, fmt.Errorf("tardos.ParseDecisions: %w: position %d has the invalid value 3", ErrDecisions, i)
		}
		d[i] = x
	}
	if pad := m % 4; pad != 0 && p[len(p)-1]&(0xff>>(2*pad)) != 0 {
		return nil, fmt.Errorf("tardos.ParseDecisions: %w: padding bits are not zero", ErrDecisions)
	}
	return d, nil
}

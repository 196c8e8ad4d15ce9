package tardos

import (
	"bytes"
	"errors"
	"testing"
)

func TestDecisionsRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		d    Decisions
		enc  []byte
	}{
		{"one A", Decisions{A}, []byte{0, 1, 0x40}},
		{"four", Decisions{A, B, Erased, B}, []byte{0, 4, 0x62}},
		{"five", Decisions{B, B, B, B, A}, []byte{0, 5, 0xaa, 0x40}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := tt.d.MarshalBinary()
			if err != nil || !bytes.Equal(enc, tt.enc) {
				t.Fatalf("MarshalBinary(%v) = %x, %v, want %x", tt.d, enc, err, tt.enc)
			}
			d, err := ParseDecisions(enc)
			if err != nil || !equalDecisions(d, tt.d) {
				t.Errorf("ParseDecisions(%x) = %v, %v, want %v", enc, d, err, tt.d)
			}
		})
	}
}

func TestParseDecisionsRefuses(t *testing.T) {
	tests := []struct {
		name string
		enc  []byte
	}{
		{"empty", nil},
		{"no positions", []byte{0, 0}},
		{"too many positions", []byte{0x10, 0x01}},
		{"short", []byte{0, 5, 0xaa}},
		{"long", []byte{0, 1, 0x40, 0}},
		{"value 3", []byte{0, 1, 0xc0}},
		{"padding set", []byte{0, 1, 0x41}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d, err := ParseDecisions(tt.enc); !errors.Is(err, ErrDecisions) {
				t.Errorf("ParseDecisions(%x) = %v, %v, want ErrDecisions", tt.enc, d, err)
			}
		})
	}
	if _, err := (Decisions{A, 3}).MarshalBinary(); !errors.Is(err, ErrDecisions) {
		t.Errorf("MarshalBinary(value 3) error = %v, want ErrDecisions", err)
	}
	if _, err := make(Decisions, MaxLength+1).MarshalBinary(); !errors.Is(err, ErrDecisions) {
		t.Errorf("MarshalBinary(%d positions) error = %v, want ErrDecisions", MaxLength+1, err)
	}
}

// FuzzParseDecisions: the decoder never panics, and whatever it accepts
// re-encodes to the same bytes (one encoding per vector).
func FuzzParseDecisions(f *testing.F) {
	f.Add([]byte{0, 1, 0x40})
	f.Add([]byte{0, 5, 0xaa, 0x40})
	f.Add([]byte{0, 1, 0xc0})
	f.Add([]byte{0x10, 0x00})
	f.Fuzz(func(t *testing.T, p []byte) {
		d, err := ParseDecisions(p)
		if err != nil {
			if !errors.Is(err, ErrDecisions) {
				t.Fatalf("ParseDecisions(%x) error %v is not ErrDecisions", p, err)
			}
			return
		}
		enc, err := d.MarshalBinary()
		if err != nil || !bytes.Equal(enc, p) {
			t.Fatalf("MarshalBinary(ParseDecisions(%x)) = %x, %v", p, enc, err)
		}
	})
}

func equalDecisions(a, b Decisions) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

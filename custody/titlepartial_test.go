package custody

import (
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"testing"
)

// TestTitlePartialEnvelope: a title partial sealed by node 0 to node 2
// opens only with node 2's key, for the same title and sender, and is
// exactly TitlePartialSealedLen bytes.
func TestTitlePartialEnvelope(t *testing.T) {
	k2, _ := ecdh.X25519().GenerateKey(rand.Reader)
	k3, _ := ecdh.X25519().GenerateKey(rand.Reader)
	p := Partial{Node: 0, Sig: [G1Len]byte{1, 2, 3}}
	sealed, err := SealTitlePartial(k2.PublicKey(), "chain", "title", 2, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed) != TitlePartialSealedLen {
		t.Fatalf("len(sealed) = %d, want %d", len(sealed), TitlePartialSealedLen)
	}
	got, err := OpenTitlePartial(k2, "chain", "title", 0, 2, sealed)
	if err != nil || got != p {
		t.Fatalf("OpenTitlePartial = %+v, %v; want %+v", got, err, p)
	}
	tests := []struct {
		name      string
		key       *ecdh.PrivateKey
		title     string
		from, to  int
		truncated bool
	}{
		{"another node's key", k3, "title", 0, 3, false},
		{"another title", k2, "title-2", 0, 2, false},
		{"claimed from another node", k2, "title", 1, 2, false},
		{"truncated", k2, "title", 0, 2, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := sealed
			if tc.truncated {
				b = b[:len(b)-1]
			}
			if _, err := OpenTitlePartial(tc.key, "chain", tc.title, tc.from, tc.to, b); !errors.Is(err, ErrBadPartial) {
				t.Errorf("OpenTitlePartial = %v, want ErrBadPartial", err)
			}
		})
	}
}

// TestCodewordFromBits: the codeword a release carries has one encoding
// (padding bits zero), and Equal ignores DeriveCodeword's padding bits.
func TestCodewordFromBits(t *testing.T) {
	d, err := DeriveCodeword(Signature{7}, 13)
	if err != nil {
		t.Fatal(err)
	}
	c, err := CodewordFromBits(d.clone().bits, 13)
	if err != nil || !c.Equal(d) || !d.Equal(c) {
		t.Fatalf("CodewordFromBits(DeriveCodeword's bits) = %x, %v; want equal", c.Bytes(), err)
	}
	for _, tc := range []struct {
		name string
		bits []byte
		n    int
	}{
		{"padding bit set", []byte{0, 0x04}, 13},
		{"too many bytes", []byte{0, 0, 0}, 13},
		{"no bits", nil, 0},
	} {
		if _, err := CodewordFromBits(tc.bits, tc.n); !errors.Is(err, ErrCodeword) {
			t.Errorf("CodewordFromBits(%s) = %v, want ErrCodeword", tc.name, err)
		}
	}
}

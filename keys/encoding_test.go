package keys

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"testing"
)

func TestEncodingRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		k    *CopyKeys
	}{
		{"typical", testKeys()},
		{"empty codeword, none revoked", &CopyKeys{BaseKey: make([]byte, KeySize), DiscKey: make([]byte, KeySize), Format: FormatMetadata{Layers: 2}}},
		{"largest", &CopyKeys{BaseKey: make([]byte, KeySize), DiscKey: make([]byte, KeySize), VariantKeys: slices.Repeat([][]byte{make([]byte, KeySize)}, MaxVariantKeys),
			Codeword: make([]byte, MaxCodewordLen), Format: FormatMetadata{Layers: 1}, Revoked: make([]uint32, MaxRevoked)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := c.k.MarshalBinary()
			if err != nil {
				t.Fatalf("MarshalBinary() = %v", err)
			}
			got, err := UnmarshalCopyKeys(b)
			if err != nil {
				t.Fatalf("UnmarshalCopyKeys() = %v", err)
			}
			if !equalKeys(got, c.k) {
				t.Errorf("UnmarshalCopyKeys(MarshalBinary(k)) = %+v, want %+v", got, c.k)
			}
		})
	}
}

func TestEncodingRejects(t *testing.T) {
	good, err := testKeys().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	mod := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	cases := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"version 1", mod(func(b []byte) []byte { b[0] = 1; return b })},
		{"variant keys past end", mod(func(b []byte) []byte { i := 1 + 2 + 32 + 2 + 32 + 2 + 3; b[i], b[i+1] = 0x0f, 0xff; return b })},
		{"truncated", good[:len(good)-1]},
		{"trailing", append(bytes.Clone(good), 0)},
		{"finalize 2", mod(func(b []byte) []byte { b[len(b)-16] = 2; return b })},
		{"layers 3", mod(func(b []byte) []byte { b[len(b)-17] = 3; return b })},
		{"revoked past end", mod(func(b []byte) []byte { b[len(b)-10] = 0xff; return b })},
		{"too many revoked", mod(func(b []byte) []byte {
			b = binary.BigEndian.AppendUint16(b[:len(b)-10], MaxRevoked+1)
			return append(b, make([]byte, 4*(MaxRevoked+1))...)
		})},
		{"short base key", mod(func(b []byte) []byte { b[2] = 31; return b })},
		{"length past end", mod(func(b []byte) []byte { b[1], b[2] = 0xff, 0xff; return b })},
		{"oversized", make([]byte, MaxEncodedLen+1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if k, err := UnmarshalCopyKeys(c.b); !errors.Is(err, ErrEncoding) {
				t.Errorf("UnmarshalCopyKeys(%s) = %v, %v, want %v", c.name, k, err, ErrEncoding)
			}
		})
	}
}

// FuzzUnmarshalCopyKeys checks that the decoder never panics and accepts
// only canonical encodings: whatever it accepts re-encodes to the same bytes.
func FuzzUnmarshalCopyKeys(f *testing.F) {
	good, err := testKeys().MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := UnmarshalCopyKeys(b)
		if err != nil {
			if !errors.Is(err, ErrEncoding) {
				t.Fatalf("UnmarshalCopyKeys() = %v, want an ErrEncoding", err)
			}
			return
		}
		again, err := k.MarshalBinary()
		if err != nil {
			t.Fatalf("MarshalBinary(decoded) = %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("MarshalBinary(UnmarshalCopyKeys(%x)) = %x, want the input", b, again)
		}
	})
}

package tpm

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzParseKeyBlob checks the key-blob parser on arbitrary file contents:
// typed errors, no panics, and what it accepts re-encodes to the input.
func FuzzParseKeyBlob(f *testing.F) {
	f.Add(encodeFields(blobMagic, []byte{0, 0x0b}, []byte{0, 0}, []byte{0, 0}))
	f.Add([]byte(blobMagic + "\x01"))
	f.Add(encodeFields(sealMagic, []byte{7}, nil, nil, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		kb, err := parseKeyBlob(b)
		if err != nil {
			if !errors.Is(err, ErrBlob) {
				t.Fatalf("parseKeyBlob() = %v, want an ErrBlob", err)
			}
			return
		}
		if again := kb.marshal(); !bytes.Equal(again, b) {
			t.Fatalf("marshal(parseKeyBlob(%x)) = %x", b, again)
		}
	})
}

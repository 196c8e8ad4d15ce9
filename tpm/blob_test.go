package tpm

import (
	"bytes"
	"errors"
	"github.com/google/go-tpm/tpm2"
	"testing"
)

// FuzzParseKeyBlob checks the key-blob parser on arbitrary file contents:
// typed errors, no panics, and what it accepts re-encodes to the input.
func FuzzParseKeyBlob(f *testing.F) {
	f.Add(encodeFields(blobMagic, blobVersion, []byte{0, 0x0b}, []byte{0, 0}, []byte{0, 0}))
	f.Add(encodeFields(blobMagic, keyBlobVersion, []byte{0, 0x0b}, []byte{0, 0}, []byte{0, 0}, append([]byte{7}, make([]byte, 32)...)))
	f.Add([]byte(blobMagic + "\x01"))
	f.Add(encodeFields(sealMagic, blobVersion, []byte{7}, nil, nil, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		kb, err := parseKeyBlob(b)
		if err != nil {
			if !errors.Is(err, ErrBlob) {
				t.Fatalf("parseKeyBlob() = %v, want an ErrBlob", err)
			}
			return
		}
		again := kb.marshal()
		if b[len(blobMagic)] == keyBlobVersion && !bytes.Equal(again, b) {
			t.Fatalf("marshal(parseKeyBlob(%x)) = %x", b, again)
		}
		// a version 1 blob is rewritten as version 2 with the same fields
		if kb2, err := parseKeyBlob(again); err != nil || !bytes.Equal(kb2.marshal(), again) {
			t.Fatalf("parseKeyBlob(marshal(parseKeyBlob(%x))) = %v", b, err)
		}
	})
}

// FuzzParsePublic checks the TPM2B_PUBLIC parser the verifier applies to
// every key in a request.
func FuzzParsePublic(f *testing.F) {
	f.Add(forgedPublicBytes())
	f.Add([]byte{0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		pub, name, err := parsePublic(b, "key")
		if err != nil {
			if !errors.Is(err, ErrEvidence) {
				t.Fatalf("parsePublic() = %v, want an ErrEvidence", err)
			}
			return
		}
		if pub == nil || len(name) != 34 {
			t.Fatalf("parsePublic() = %v, %x, want a public area and a 34-byte name", pub, name)
		}
		sameShape(pub, ptr(signingTemplate()))
		ecdsaPublic(pub)
	})
}

func forgedPublicBytes() []byte {
	return tpm2.Marshal(tpm2.New2B(signingTemplate()))
}

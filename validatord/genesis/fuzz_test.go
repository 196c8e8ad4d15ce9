package genesis

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"testing"
	"time"
)

// FuzzDecodeDescriptor: no input panics or hangs; what decodes verifies.
func FuzzDecodeDescriptor(f *testing.F) {
	f.Add(encode(f, testDescriptor(f, "seed")))
	f.Add([]byte(`{"descriptor":{"moniker":"x"},"signature":"00"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		sd, err := DecodeDescriptor(b)
		if err == nil {
			if err := sd.Verify(); err != nil {
				t.Fatalf("DecodeDescriptor accepted a descriptor that does not verify: %v", err)
			}
		}
	})
}

// FuzzDecodeCeremony: no input panics or hangs; what decodes re-encodes
// to a file that decodes.
func FuzzDecodeCeremony(f *testing.F) {
	var descs []*SignedDescriptor
	for i := range 4 {
		descs = append(descs, testDescriptor(f, fmt.Sprintf("node%d", i)))
	}
	op, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	opPub, _ := op.PublicKey.Bytes()
	c, err := Assemble(AssembleOptions{ChainID: "seed", Operators: [][]byte{opPub}, GenesisTime: time.Unix(1e9, 0)}, descs)
	if err != nil {
		f.Fatal(err)
	}
	b, _ := c.Encode()
	f.Add(b)
	f.Add([]byte(`{"version":1,"chain_id":"x","threshold":1,"nodes":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeCeremony(b)
		if err != nil {
			return
		}
		out, err := c.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeCeremony(out); err != nil {
			t.Fatalf("DecodeCeremony(Encode(decoded)) = %v", err)
		}
	})
}

// FuzzDecodeReshare: no input panics or hangs; what decodes re-encodes to
// a file that decodes.
func FuzzDecodeReshare(f *testing.F) {
	s, _ := testReshare(f, 3)
	b, _ := s.Encode()
	f.Add(b)
	f.Add([]byte(`{"version":1,"chain_id":"x","epoch":1,"threshold":1,"nonce":"00","nodes":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeReshare(b)
		if err != nil {
			return
		}
		out, err := s.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeReshare(out); err != nil {
			t.Fatalf("DecodeReshare(Encode(decoded)) = %v", err)
		}
	})
}

package sector

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"errors"
	"testing"

	"golang.org/x/crypto/xts"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCTRVector checks AES-256-CTR as used here against NIST SP 800-38A,
// appendix F.5.5 (CTR-AES256.Encrypt), including the carry out of the low
// counter bytes that a sector's 128 blocks rely on.
func TestCTRVector(t *testing.T) {
	key := unhex(t, "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")
	iv := unhex(t, "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")
	pt := unhex(t, "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710")
	want := unhex(t, "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c52b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6")
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(pt))
	cipher.NewCTR(block, iv).XORKeyStream(got, pt)
	if !bytes.Equal(got, want) {
		t.Errorf("CTR-AES256(F.5.5) = %x, want %x", got, want)
	}
	// The same cipher through Cipher.XOR: a Cipher whose sector key is the
	// vector's key encrypts sector s with counter 128·s; choose the vector's
	// counter by encrypting the sector whose first counter is 0xf0f1…ff00
	// and checking blocks 0xff onward is not possible (not a multiple of
	// 128), so check instead that sector s starts at counter 128·s.
	c := &Cipher{block: block}
	for _, s := range []uint64{0, 1, 0x1234, 1 << 56, 1<<64 - 1} {
		iv := CounterBlock(s)
		want := make([]byte, SectorSize)
		cipher.NewCTR(block, iv[:]).XORKeyStream(want, make([]byte, SectorSize))
		got := make([]byte, 2*SectorSize)
		if err := c.XOR(got, make([]byte, 2*SectorSize), s); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[:SectorSize], want) {
			t.Errorf("XOR(sector %d) keystream differs from CTR at CounterBlock(%d)", s, s)
		}
	}
}

func TestCounterBlock(t *testing.T) {
	tests := []struct {
		s    uint64
		want string
	}{
		{0, "00000000000000000000000000000000"},
		{1, "00000000000000000000000000000080"},
		{12219391, "0000000000000000000000005d39ff80"},
		{1<<64 - 1, "000000000000007fffffffffffffff80"},
	}
	for _, tc := range tests {
		got := CounterBlock(tc.s)
		if hex.EncodeToString(got[:]) != tc.want {
			t.Errorf("CounterBlock(%d) = %x, want %s", tc.s, got, tc.want)
		}
	}
}

// TestXTSVector checks golang.org/x/crypto/xts, the measured alternative,
// against IEEE 1619-2007 appendix B vector 2.
func TestXTSVector(t *testing.T) {
	c, err := xts.NewCipher(aes.NewCipher, unhex(t, "1111111111111111111111111111111122222222222222222222222222222222"))
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 32)
	c.Encrypt(got, bytes.Repeat([]byte{0x44}, 32), 0x3333333333)
	if want := "c454185e6a16936e39334038acef838bfb186fff7480adc4289382ecd6d394f0"; hex.EncodeToString(got) != want {
		t.Errorf("XTS-AES-128(vector 2) = %x, want %s", got, want)
	}
}

func TestRoundTripAndTags(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	c, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	pt := make([]byte, ClusterSize)
	for i := range pt {
		pt[i] = byte(i * 7)
	}
	ct := make([]byte, len(pt))
	if err := c.XOR(ct, pt, 64); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(ct, pt) {
		t.Fatalf("XOR() left the plaintext unchanged")
	}
	// Sector-addressable: decrypting sector 70 alone gives the same bytes.
	one := make([]byte, SectorSize)
	c.XOR(one, ct[6*SectorSize:7*SectorSize], 70)
	if !bytes.Equal(one, pt[6*SectorSize:7*SectorSize]) {
		t.Errorf("XOR(sector 70 alone) did not decrypt sector 70")
	}
	tag := c.Tag(2, ct)
	tests := []struct {
		name    string
		cluster uint64
		mutate  func([]byte)
		want    error
	}{
		{"intact", 2, func([]byte) {}, nil},
		{"bit flip", 2, func(b []byte) { b[5000] ^= 1 }, ErrTag},
		{"other cluster index", 3, func([]byte) {}, ErrTag},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := bytes.Clone(ct)
			tc.mutate(b)
			if err := c.Check(tc.cluster, b, tag); !errors.Is(err, tc.want) {
				t.Errorf("Check() = %v, want %v", err, tc.want)
			}
		})
	}
	other, _ := New(bytes.Repeat([]byte{8}, KeySize))
	if err := other.Check(2, ct, tag); !errors.Is(err, ErrTag) {
		t.Errorf("Check(other disc key) = %v, want %v", err, ErrTag)
	}
	if _, err := New(key[:16]); !errors.Is(err, ErrKey) {
		t.Errorf("New(16 bytes) = %v, want %v", err, ErrKey)
	}
	if err := c.XOR(ct, ct[:100], 0); !errors.Is(err, ErrLength) {
		t.Errorf("XOR(100 bytes) = %v, want %v", err, ErrLength)
	}
}

package playertree

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"

	"go.dedis.ch/kyber/v4/encrypt/ibe"
)

// TestIdentityGroupKeyRefused: the identity point of G2 (compressed, flags
// 0xc0) is no group key. Under it every pairing e(H1(label), X) is 1, so a
// disc key block's entries would open with the identity as device key,
// that is by anyone: the encrypter and the parser refuse it.
func TestIdentityGroupKeyRefused(t *testing.T) {
	ident := make([]byte, GroupKeySize)
	ident[0] = 0xc0
	if p, err := ParseGroupKey(ident); !errors.Is(err, ErrGroupKey) {
		t.Errorf("ParseGroupKey(identity) = %v, %v, want ErrGroupKey", p, err)
	}
	tr := Tree{ID: "identity", Depth: 2}
	e, err := NewEncrypter(suite.G2().Point().Null(), tr)
	if !errors.Is(err, ErrGroupKey) {
		t.Errorf("NewEncrypter(identity) = %v, want ErrGroupKey", err)
	}
	if e == nil {
		return
	}
	// What the refusal prevents: anyone opens the entry.
	msg := []byte("a 32-byte block key for entry X.")
	sigma := make([]byte, len(msg))
	rand.Read(sigma)
	ct, err := e.encrypt(Node{Depth: 1, Path: 0}, msg, sigma)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ibe.DecryptCCAonG2(suite, suite.G1().Point().Null(), ct); err == nil && bytes.Equal(got, msg) {
		t.Errorf("an entry encrypted under the identity group key opened with the identity as device key")
	}
}

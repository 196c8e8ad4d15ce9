package keys

import (
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"slices"
	"testing"
)

// TestPartialCarriesRevoked: the round-1 envelope carries the partial and
// the revoked players; an unsorted or oversized list is refused on both sides.
func TestPartialCarriesRevoked(t *testing.T) {
	priv, _ := ecdh.P256().GenerateKey(rand.Reader)
	sealed, err := SealPartial(priv.PublicKey(), testInfo(), []byte("partial"), []uint32{3, 9, 70000})
	if err != nil {
		t.Fatal(err)
	}
	p, rev, err := OpenPartial(priv, testInfo(), sealed)
	if err != nil || string(p) != "partial" || !slices.Equal(rev, []uint32{3, 9, 70000}) {
		t.Fatalf("OpenPartial() = %q, %v, %v; want the partial and [3 9 70000]", p, rev, err)
	}
	for _, bad := range [][]uint32{{9, 3}, {3, 3}, make([]uint32, MaxRevoked+1)} {
		if _, err := SealPartial(priv.PublicKey(), testInfo(), []byte("p"), bad); !errors.Is(err, ErrEncoding) {
			t.Errorf("SealPartial(revoked %d entries, unsorted or repeated) = %v, want %v", len(bad), err, ErrEncoding)
		}
	}
	if _, _, err := parsePartialBody([]byte{0, 1, 'p', 0, 2, 0, 0, 0, 9, 0, 0, 0, 3}); !errors.Is(err, ErrMalformed) {
		t.Errorf("parsePartialBody(unsorted) = %v, want %v", err, ErrMalformed)
	}
}

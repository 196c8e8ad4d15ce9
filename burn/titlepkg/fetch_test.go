package titlepkg

import (
	"bytes"
	"errors"
	"testing"
)

// TestFetchThenOpen: FetchChunk and OpenChunk together give what
// ReadChunk gives; OpenChunk refuses ciphertext of the wrong length and
// a chunk whose bytes changed after the fetch, wiping them, so no
// plaintext of an unauthenticated chunk is left in the buffer.
func TestFetchThenOpen(t *testing.T) {
	dir := t.TempDir()
	img := randomBytes(1, 3*MinChunkSize)
	m, path := build(t, dir, img, nil, MinChunkSize)
	p, err := Open(path, testKeys(t, 0))
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	defer p.Close()
	buf := make([]byte, p.ChunkBufSize())
	for i := range m.ChunkCount {
		ct, err := p.FetchChunk(i, buf)
		if err != nil {
			t.Fatalf("FetchChunk(%d) = %v", i, err)
		}
		plain, err := p.OpenChunk(i, ct)
		if err != nil || !bytes.Equal(plain, img[i*MinChunkSize:(i+1)*MinChunkSize]) {
			t.Fatalf("OpenChunk(%d) = %d bytes, %v; want the image's chunk", i, len(plain), err)
		}
	}
	ct, err := p.FetchChunk(1, buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.OpenChunk(1, ct[:len(ct)-1]); !errors.Is(err, ErrSpec) {
		t.Errorf("OpenChunk(short) = %v, want %v", err, ErrSpec)
	}
	ct[100] ^= 1
	if plain, err := p.OpenChunk(1, ct); !errors.Is(err, ErrAuth) || plain != nil || !bytes.Equal(ct, make([]byte, len(ct))) {
		t.Errorf("OpenChunk(altered) = %d bytes, %v, buffer wiped %v; want nil, %v, wiped", len(plain), err, bytes.Equal(ct, make([]byte, len(ct))), ErrAuth)
	}
}

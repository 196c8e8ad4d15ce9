package disc

import (
	"bytes"
	"errors"
	"testing"
)

var (
	rootKey = bytes.Repeat([]byte{0x11}, KeySize)
	discKey = bytes.Repeat([]byte{0x22}, KeySize)
	mediaA  = bytes.Repeat([]byte{0xA0}, 16)
	mediaB  = bytes.Repeat([]byte{0xB0}, 16)
	nonce   = bytes.Repeat([]byte{0x0E}, NonceSize)
)

func testHeader(t testing.TB) *Header {
	kb, err := WrapKeyBlock(rootKey, mediaA, nonce, discKey)
	if err != nil {
		t.Fatalf("WrapKeyBlock() = %v", err)
	}
	l, err := NewLayout(0, 0, 100*SectorSize)
	if err != nil {
		t.Fatalf("NewLayout() = %v", err)
	}
	return &Header{Version: Version, Profile: 0x41, Layers: 1, Finalized: true, Layout: l, ImageSize: 100 * SectorSize,
		TitleID: "film-1", CopyID: "job-1", MediaID: mediaA, KeyBlock: kb, Codeword: []byte{0xA5, 0x01}}
}

func TestLayout(t *testing.T) {
	tests := []struct {
		start, hdr uint32
		size       int64
		want       Layout
	}{
		{0, 0, SectorSize, Layout{0, 32, 32, 32}},
		{64, 64, 25025314816 - 64*SectorSize*4, Layout{64, 64, 12219136, 3008}},
		{0, 32, 2048 * ClusterSize, Layout{0, 32, 65536, 32}},
		{0, 32, 4097 * ClusterSize, Layout{0, 32, 131104, 64}},
	}
	for _, tc := range tests {
		got, err := NewLayout(tc.start, tc.hdr, tc.size)
		if err != nil || got != tc.want {
			t.Errorf("NewLayout(%d, %d, %d) = %+v, %v, want %+v", tc.start, tc.hdr, tc.size, got, err, tc.want)
		}
	}
	for _, bad := range []struct {
		start, hdr uint32
		size       int64
	}{{0, 31, SectorSize}, {1, 32, SectorSize}, {0, 32, 100}, {0, 32, 0}, {0, 2048, SectorSize}} {
		if _, err := NewLayout(bad.start, bad.hdr, bad.size); !errors.Is(err, ErrHeader) {
			t.Errorf("NewLayout(%d, %d, %d) = %v, want %v", bad.start, bad.hdr, bad.size, err, ErrHeader)
		}
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	h := testHeader(t)
	sector, err := h.Seal(discKey)
	if err != nil {
		t.Fatalf("Seal() = %v", err)
	}
	got, err := Parse(sector)
	if err != nil {
		t.Fatalf("Parse() = %v", err)
	}
	if got.Codeword != nil {
		t.Errorf("Parse().Codeword = %x, want nil before Open", got.Codeword)
	}
	if err := got.Open(discKey); err != nil {
		t.Fatalf("Open() = %v", err)
	}
	if got.TitleID != h.TitleID || got.CopyID != h.CopyID || !bytes.Equal(got.MediaID, h.MediaID) || got.Layout != h.Layout ||
		!bytes.Equal(got.Codeword, h.Codeword) || !got.Finalized || got.Profile != 0x41 {
		t.Errorf("Open(Parse(Seal(h))) = %+v, want %+v", got, h)
	}
	tests := []struct {
		name  string
		at    int
		parse error
		open  error
	}{
		{"magic", 0, ErrNotCopy, nil},
		{"version", 9, ErrVersion, nil},
		{"profile", 17, nil, ErrHeader},
		{"package root", 50, nil, ErrHeader},
		{"media ID", fixedSize + 1 + 6 + 2 + 5 + 1 + 3, nil, ErrHeader},
		{"key block", fixedSize + 1 + 6 + 2 + 5 + 1 + 16 + 2 + 30, nil, ErrHeader},
		{"sealed codeword", int(len(sector)) - 1, nil, nil}, // padding: not covered, ignored
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := bytes.Clone(sector)
			b[tc.at] ^= 1
			h, err := Parse(b)
			if !errors.Is(err, tc.parse) || (err != nil) != (tc.parse != nil) {
				t.Fatalf("Parse() = %v, want %v", err, tc.parse)
			}
			if err != nil {
				return
			}
			if err := h.Open(discKey); !errors.Is(err, tc.open) || (err != nil) != (tc.open != nil) {
				t.Errorf("Open() = %v, want %v", err, tc.open)
			}
		})
	}
	other := bytes.Repeat([]byte{0x33}, KeySize)
	if err := got.Open(other); !errors.Is(err, ErrHeader) {
		t.Errorf("Open(other disc key) = %v, want %v", err, ErrHeader)
	}
}

func TestKeyBlock(t *testing.T) {
	kb, err := WrapKeyBlock(rootKey, mediaA, nonce, discKey)
	if err != nil {
		t.Fatal(err)
	}
	if len(kb) != KeyBlockSize || kb[0] != KeyBlockVersion || !bytes.Equal(kb[1:1+NonceSize], nonce) {
		t.Errorf("WrapKeyBlock() = %x, want version, nonce, %d bytes", kb, KeyBlockSize)
	}
	got, err := UnwrapKeyBlock(rootKey, mediaA, kb)
	if err != nil || !bytes.Equal(got, discKey) {
		t.Fatalf("UnwrapKeyBlock() = %x, %v, want %x", got, err, discKey)
	}
	flipped := bytes.Clone(kb)
	flipped[20] ^= 1
	tests := []struct {
		name    string
		root    []byte
		media   []byte
		block   []byte
		wantErr error
	}{
		{"other media ID (clone)", rootKey, mediaB, kb, ErrKeyBlock},
		{"other player key", discKey, mediaA, kb, ErrKeyBlock},
		{"flipped bit", rootKey, mediaA, flipped, ErrKeyBlock},
		{"short block", rootKey, mediaA, kb[:10], ErrKeyBlock},
		{"version 2", rootKey, mediaA, append([]byte{2}, kb[1:]...), ErrKeyBlock},
		{"empty media ID", rootKey, nil, kb, ErrKeyInput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := UnwrapKeyBlock(tc.root, tc.media, tc.block); !errors.Is(err, tc.wantErr) {
				t.Errorf("UnwrapKeyBlock() = %v, want %v", err, tc.wantErr)
			}
		})
	}
	if _, err := WrapKeyBlock(rootKey, mediaA, nonce[:8], discKey); !errors.Is(err, ErrKeyInput) {
		t.Errorf("WrapKeyBlock(8-byte nonce) = %v, want %v", err, ErrKeyInput)
	}
}

// FuzzParse: any sector either parses into a header that seals back to the
// same cleartext, or fails with an error.
func FuzzParse(f *testing.F) {
	sector, err := testHeader(f).Seal(discKey)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sector)
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := Parse(b)
		if err != nil {
			return
		}
		if err := h.Open(discKey); err != nil {
			return
		}
		again, err := h.Seal(discKey)
		if err != nil {
			t.Fatalf("Seal(Parse(b)) = %v, want nil", err)
		}
		n := len(h.aad) + len(h.sealed)
		if !bytes.Equal(again[:n], b[:n]) {
			t.Errorf("Seal(Open(Parse(b))) = %x, want %x", again[:n], b[:n])
		}
	})
}

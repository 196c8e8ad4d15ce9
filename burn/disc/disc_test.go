package disc

import (
	"bytes"
	"errors"
	"testing"
)

var (
	discKey = bytes.Repeat([]byte{0x22}, KeySize)
	mediaA  = bytes.Repeat([]byte{0xA0}, 16)
	// keyBlock stands for a disc key block: this package stores the bytes
	// and checks them against the header; custody/playertree owns their
	// format.
	keyBlock = bytes.Repeat([]byte{0x02, 0x4B}, 1500)
)

func testHeader(t testing.TB) *Header {
	hs, err := HeaderSectorsFor(len(keyBlock), 0)
	if err != nil {
		t.Fatalf("HeaderSectorsFor() = %v", err)
	}
	l, err := NewLayout(0, hs, 100*SectorSize)
	if err != nil {
		t.Fatalf("NewLayout() = %v", err)
	}
	return &Header{Version: Version, Profile: 0x41, Layers: 1, Finalized: true, Layout: l, ImageSize: 100 * SectorSize,
		TitleID: "film-1", CopyID: "job-1", MediaID: mediaA, KeyBlock: keyBlock, Codeword: []byte{0xA5, 0x01}}
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
	}{{0, 31, SectorSize}, {1, 32, SectorSize}, {0, 32, 100}, {0, 32, 0}, {0, MaxHeaderSectors + 32, SectorSize}} {
		if _, err := NewLayout(bad.start, bad.hdr, bad.size); !errors.Is(err, ErrHeader) {
			t.Errorf("NewLayout(%d, %d, %d) = %v, want %v", bad.start, bad.hdr, bad.size, err, ErrHeader)
		}
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	h := testHeader(t)
	region, err := h.Seal(discKey)
	if err != nil {
		t.Fatalf("Seal() = %v", err)
	}
	if len(region) != int(h.HeaderSectors)*SectorSize || !bytes.Equal(region[SectorSize:SectorSize+len(keyBlock)], keyBlock) {
		t.Fatalf("Seal() = %d bytes, want %d with the key block from the second sector", len(region), h.HeaderSectors*SectorSize)
	}
	got, err := Parse(region[:SectorSize])
	if err != nil {
		t.Fatalf("Parse() = %v", err)
	}
	if got.Codeword != nil || got.KeyBlock != nil {
		t.Errorf("Parse() = codeword %x, key block %d bytes, want neither before Open and SetKeyBlock", got.Codeword, len(got.KeyBlock))
	}
	if n := got.KeyBlockSectors(); n != 2 {
		t.Errorf("KeyBlockSectors() = %d, want 2 for %d bytes", n, len(keyBlock))
	}
	if err := got.SetKeyBlock(region[SectorSize:]); err != nil {
		t.Fatalf("SetKeyBlock() = %v", err)
	}
	if err := got.Open(discKey); err != nil {
		t.Fatalf("Open() = %v", err)
	}
	if got.TitleID != h.TitleID || got.CopyID != h.CopyID || !bytes.Equal(got.MediaID, h.MediaID) || got.Layout != h.Layout ||
		!bytes.Equal(got.Codeword, h.Codeword) || !got.Finalized || got.Profile != 0x41 || !bytes.Equal(got.KeyBlock, keyBlock) {
		t.Errorf("Open(Parse(Seal(h))) = %+v, want %+v", got, h)
	}
	kbAt := fixedSize + 1 + 6 + 2 + 5 + 1 + 16
	tests := []struct {
		name  string
		at    int
		parse error
		open  error
		block error
	}{
		{"magic", 0, ErrNotCopy, nil, nil},
		{"version", 9, ErrVersion, nil, nil},
		{"profile", 17, nil, ErrHeader, nil},
		{"package root", 50, nil, ErrHeader, nil},
		{"media ID", fixedSize + 1 + 6 + 2 + 5 + 1 + 3, nil, ErrHeader, nil},
		{"key block length", kbAt + 3, nil, ErrHeader, ErrKeyBlock},
		{"key block digest", kbAt + 4 + 7, nil, ErrHeader, ErrKeyBlock},
		{"key block byte", SectorSize + 100, nil, nil, ErrKeyBlock},
		{"key block padding", SectorSize + len(keyBlock) + 1, nil, nil, ErrKeyBlock},
		{"sealed codeword", SectorSize - 1, nil, nil, nil}, // padding: not covered, ignored
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := bytes.Clone(region)
			b[tc.at] ^= 1
			h, err := Parse(b[:SectorSize])
			if !errors.Is(err, tc.parse) || (err != nil) != (tc.parse != nil) {
				t.Fatalf("Parse() = %v, want %v", err, tc.parse)
			}
			if err != nil {
				return
			}
			if err := h.SetKeyBlock(b[SectorSize:]); !errors.Is(err, tc.block) || (err != nil) != (tc.block != nil) {
				t.Errorf("SetKeyBlock() = %v, want %v", err, tc.block)
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
	if err := got.SetKeyBlock(region[SectorSize : 2*SectorSize]); !errors.Is(err, ErrKeyBlock) {
		t.Errorf("SetKeyBlock(one sector of two) = %v, want %v", err, ErrKeyBlock)
	}
}

// TestHeaderSectorsFor: the header region holds the header sector and the
// key block in whole clusters, and no less than the format asks.
func TestHeaderSectorsFor(t *testing.T) {
	tests := []struct {
		n    int
		min  uint32
		want uint32
	}{
		{1, 0, 32}, {31 * SectorSize, 0, 32}, {31*SectorSize + 1, 0, 64}, {225, 64, 64},
		{1522020, 32, 768}, {MaxKeyBlock, 0, MaxHeaderSectors},
	}
	for _, tc := range tests {
		if got, err := HeaderSectorsFor(tc.n, tc.min); err != nil || got != tc.want {
			t.Errorf("HeaderSectorsFor(%d, %d) = %d, %v, want %d", tc.n, tc.min, got, err, tc.want)
		}
	}
	for _, n := range []int{0, MaxKeyBlock + 1} {
		if _, err := HeaderSectorsFor(n, 0); !errors.Is(err, ErrHeader) {
			t.Errorf("HeaderSectorsFor(%d) = %v, want %v", n, err, ErrHeader)
		}
	}
}

// FuzzParse: any header region either parses into a header that seals
// back to the same bytes, or fails with an error.
func FuzzParse(f *testing.F) {
	sector, err := testHeader(f).Seal(discKey)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sector)
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := Parse(b[:min(len(b), SectorSize)])
		if err != nil || len(b) < SectorSize {
			return
		}
		if err := h.SetKeyBlock(b[SectorSize:]); err != nil {
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
		kb := SectorSize + len(h.KeyBlock)
		if !bytes.Equal(again[:n], b[:n]) || !bytes.Equal(again[SectorSize:kb], b[SectorSize:kb]) {
			t.Errorf("Seal(Open(Parse(b))) = %x, want %x", again[:n], b[:n])
		}
	})
}

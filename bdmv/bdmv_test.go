package bdmv

import (
	"encoding/binary"
	"testing"
)

func clip(entries []Entry) Clip {
	return Clip{Packets: 1000, Rate: 1 << 20, Start: 54000, End: 54000 + 6*90000, VideoPID: 0x1011,
		VideoFormat: Video720p, FPS: Rate24, PMTPID: 0x100, AudioPID: 0x1100, AudioLang: "eng",
		AudioFormat: AudioStereo, Sample: Audio48k, Entries: entries}
}

// TestHeaders: each file starts with its type and version, and every
// start address in the header points inside the file at a length field
// that covers the rest of its block.
func TestHeaders(t *testing.T) {
	c := clip([]Entry{{0, 54000}})
	for _, tc := range []struct {
		name  string
		b     []byte
		magic string
		addrs []int // offsets of u32 start addresses
	}{
		{"index", Index(Video720p, Rate24), "INDX0200", []int{8}},
		{"movie object", MovieObject(), "MOBJ0200", nil},
		{"playlist", Playlist(c), "MPLS0200", []int{8, 12}},
		{"clip info", ClipInfo(c), "HDMV0200", []int{8, 12, 16, 20}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if string(tc.b[:8]) != tc.magic {
				t.Fatalf("%s starts %q, want %q", tc.name, tc.b[:8], tc.magic)
			}
			for _, a := range tc.addrs {
				at := int(binary.BigEndian.Uint32(tc.b[a:]))
				if at < 40 || at+4 > len(tc.b) {
					t.Fatalf("%s address at %d = %d, outside the %d-byte file", tc.name, a, at, len(tc.b))
				}
				if n := int(binary.BigEndian.Uint32(tc.b[at:])); at+4+n > len(tc.b) {
					t.Fatalf("%s block at %d has length %d past the end (%d)", tc.name, at, n, len(tc.b))
				}
			}
		})
	}
}

// TestEPMap: a coarse entry is written for the first fine entry and
// wherever PTS bits 32..19 or SPN bits 31..17 change.
func TestEPMap(t *testing.T) {
	entries := []Entry{
		{0, 54000},
		{3000, 54000 + 90000},          // same coarse PTS (< 2^19) and SPN (< 2^17)
		{5000, 1 << 19},                // PTS crosses 2^19
		{1<<17 + 10, 1<<19 + 90000},    // SPN crosses 2^17
		{1<<17 + 500, 1<<19 + 2*90000}, // no change
	}
	b := ClipInfo(clip(entries))
	cpi := int(binary.BigEndian.Uint32(b[16:]))
	epMap := cpi + 6
	v := b[epMap+4 : epMap+10]
	coarse := int(binary.BigEndian.Uint64(append([]byte{0, 0}, v...)) >> 18 & 0xFFFF)
	fine := int(binary.BigEndian.Uint64(append([]byte{0, 0}, v...)) & 0x3FFFF)
	if coarse != 3 || fine != len(entries) {
		t.Fatalf("EP map = %d coarse and %d fine entries, want 3 and %d", coarse, fine, len(entries))
	}
	stream := epMap + int(binary.BigEndian.Uint32(b[epMap+10:]))
	fineAt := stream + int(binary.BigEndian.Uint32(b[stream:]))
	for i, wantRef := range []uint32{0, 2, 3} {
		e := binary.BigEndian.Uint32(b[stream+4+8*i:])
		if e>>14 != wantRef {
			t.Errorf("coarse entry %d refers to fine entry %d, want %d", i, e>>14, wantRef)
		}
	}
	for i, e := range entries {
		f := binary.BigEndian.Uint32(b[fineAt+4*i:])
		if f&0x1FFFF != e.SPN&0x1FFFF || f>>17&0x7FF != uint32(e.PTS>>9)&0x7FF {
			t.Errorf("fine entry %d = %08x, want SPN low bits %x and PTS bits %x", i, f, e.SPN&0x1FFFF, (e.PTS>>9)&0x7FF)
		}
	}
}

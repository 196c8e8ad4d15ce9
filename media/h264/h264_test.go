package h264

import (
	"bytes"
	"testing"
)

// annexB frames NAL units with start codes of the given lengths.
func annexB(nals [][]byte, long []bool) []byte {
	var b []byte
	for i, n := range nals {
		if long[i%len(long)] {
			b = append(b, 0)
		}
		b = append(b, 0, 0, 1)
		b = append(b, n...)
	}
	return b
}

var (
	aud   = []byte{0x09, 0xF0}
	sps   = []byte{0x67, 0x64, 0x00, 0x1F}
	pps   = []byte{0x68, 0xEB, 0xE3}
	sei   = []byte{0x06, 0x05, 0x01, 0xAA}
	idr0  = []byte{0x65, 0x88, 0x84, 0x00, 0x03, 0x10}
	idr1  = []byte{0x65, 0x40, 0x11} // second slice of the same picture
	p0    = []byte{0x41, 0x9A, 0x01}
	p0alt = []byte{0x41, 0x9A, 0x02}
)

func TestAccessUnitsAndGOPs(t *testing.T) {
	stream := [][]byte{aud, sps, pps, sei, idr0, idr1, aud, p0, aud, p0, sps, pps, idr0, p0}
	for _, long := range [][]bool{{false}, {true}, {true, false}} {
		nals := NALs(annexB(stream, long))
		if len(nals) != len(stream) {
			t.Fatalf("NALs() = %d units, want %d", len(nals), len(stream))
		}
		for i := range nals {
			if !bytes.Equal(nals[i], stream[i]) {
				t.Fatalf("NALs()[%d] = %x, want %x", i, nals[i], stream[i])
			}
		}
		aus := AccessUnits(nals)
		// IDR (two slices), P, P, then IDR after parameter sets, P.
		if len(aus) != 5 || !aus[0].Key || aus[1].Key || !aus[3].Key || len(aus[0].NALs) != 6 {
			t.Fatalf("AccessUnits() = %d units, want 5 with IDRs at 0 and 3", len(aus))
		}
		if gops := GOPs(aus); len(gops) != 2 || len(gops[0].Units) != 3 || gops[1].First != 3 || len(gops[1].Units) != 2 {
			t.Fatalf("GOPs() = %d GOPs, want 2 of 3 and 2 pictures", len(gops))
		}
	}
}

// TestDigestIgnoresFraming: the digest sees slices only, so dropped
// delimiters and repeated parameter sets (what a remux does) keep it, and
// one changed slice byte changes it.
func TestDigestIgnoresFraming(t *testing.T) {
	digest := func(nals ...[]byte) [32]byte {
		g := GOPs(AccessUnits(NALs(annexB(nals, []bool{true}))))
		if len(g) != 1 {
			t.Fatalf("GOPs() = %d, want 1", len(g))
		}
		return g[0].Digest()
	}
	ref := digest(aud, sps, pps, sei, idr0, aud, p0)
	if got := digest(sps, pps, idr0, sps, pps, p0); got != ref {
		t.Errorf("Digest(remuxed framing) = %x, want %x", got, ref)
	}
	if got := digest(aud, sps, pps, sei, idr0, aud, p0alt); got == ref {
		t.Errorf("Digest(one slice byte changed) = %x, the same as the original", got)
	}
}

func FuzzNALs(f *testing.F) {
	f.Add(annexB([][]byte{aud, sps, pps, idr0, p0}, []bool{true}))
	f.Add([]byte{0, 0, 0, 0, 1})
	f.Add([]byte{0, 0, 1, 0, 0, 1, 0x65})
	f.Fuzz(func(t *testing.T, b []byte) {
		nals := NALs(b)
		for _, n := range nals {
			if len(n) == 0 || n[len(n)-1] == 0 {
				t.Fatalf("NALs() gave unit %x: empty or ending in zero", n)
			}
		}
		again := NALs(annexB(nals, []bool{true}))
		if len(again) != len(nals) {
			t.Fatalf("NALs(reframed) = %d units, want %d", len(again), len(nals))
		}
		for _, g := range GOPs(AccessUnits(nals)) {
			if len(g.Units) == 0 || !g.Units[0].Key {
				t.Fatal("GOPs() gave a GOP that does not start at an IDR")
			}
			g.Digest()
		}
	})
}

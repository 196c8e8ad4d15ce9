package m2ts

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// stream builds gops GOPs of per video pictures (random sizes from seed),
// with audio frames of 768 bytes every 2880 ticks; GOPs listed in seg
// carry a B variant of another size.
func stream(seed uint64, gops, per int, seg map[int]int) (video, audio []Access) {
	r := rand.New(rand.NewPCG(seed, 1))
	fill := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	for g := range gops {
		s, ok := seg[g]
		if !ok {
			s = -1
		}
		for f := range per {
			n := 1 + r.IntN(3000)
			if f == 0 {
				n += 20000
			}
			a := Access{PTS: FirstPTS + int64(g*per+f)*3750, Data: [2][]byte{fill(n)}, Key: f == 0, Segment: -1}
			if s >= 0 {
				a.Data[1] = fill(max(n/2, n+r.IntN(400)-200))
				if f == 0 {
					a.Segment = s
				}
			}
			video = append(video, a)
		}
	}
	for t := int64(FirstPTS); t < FirstPTS+int64(gops*per)*3750; t += 2880 {
		audio = append(audio, Access{PTS: t, Data: [2][]byte{fill(768)}, Segment: -1})
	}
	return video, audio
}

// checkStream checks what every Mux result must satisfy: whole units,
// spans on unit boundaries, the renderings equal outside the spans, each
// rendering demuxing to its own access units, continuity counters in step
// and arrival times rising.
func checkStream(t *testing.T, r *Result, video, audio []Access) {
	t.Helper()
	if len(r.A) != len(r.B) || len(r.A)%UnitSize != 0 {
		t.Fatalf("Mux() = %d and %d bytes, want equal whole units of %d", len(r.A), len(r.B), UnitSize)
	}
	in := make([]bool, len(r.A)/UnitSize)
	for _, s := range r.Spans {
		for u := s.Start; u < s.Start+s.Size; u++ {
			in[u] = true
		}
	}
	for u := range in {
		a, b := r.A[u*UnitSize:(u+1)*UnitSize], r.B[u*UnitSize:(u+1)*UnitSize]
		if !in[u] && !bytes.Equal(a, b) {
			t.Fatalf("unit %d outside every span differs between A and B", u)
		}
	}
	for v, data := range [][]byte{r.A, r.B} {
		got, err := Demux(data)
		if err != nil {
			t.Fatalf("Demux(rendering %d) = %v", v, err)
		}
		for _, c := range []struct {
			pid uint16
			in  []Access
		}{{PIDVideo, video}, {PIDAudio, audio}} {
			if len(got[c.pid]) != len(c.in) {
				t.Fatalf("Demux(rendering %d) PID %#x = %d PES, want %d", v, c.pid, len(got[c.pid]), len(c.in))
			}
			for i, p := range got[c.pid] {
				want := c.in[i].Data[0]
				if v == 1 && c.in[i].Data[1] != nil {
					want = c.in[i].Data[1]
				}
				if p.PTS != c.in[i].PTS || !bytes.Equal(p.Data, want) {
					t.Fatalf("Demux(rendering %d) PID %#x PES %d = PTS %d, %d bytes; want PTS %d, %d bytes", v, c.pid, i, p.PTS, len(p.Data), c.in[i].PTS, len(want))
				}
			}
		}
	}
	cc := map[uint16]int{}
	prev := -1
	for i := 0; i < len(r.A); i += PacketSize {
		p := r.A[i:]
		ats := int(p[0])<<24 | int(p[1])<<16 | int(p[2])<<8 | int(p[3])
		if ats <= prev {
			t.Fatalf("packet %d arrives at %d, not after %d", i/PacketSize, ats, prev)
		}
		prev = ats
		pid := uint16(p[5]&0x1F)<<8 | uint16(p[6])
		if pid == PIDNull {
			continue
		}
		c := int(p[7] & 0x0F)
		if last, ok := cc[pid]; ok && c != (last+1)&0x0F {
			t.Fatalf("packet %d PID %#x continuity %d after %d", i/PacketSize, pid, c, last)
		}
		cc[pid] = c
	}
}

func TestMuxVariants(t *testing.T) {
	for _, tc := range []struct {
		name string
		seg  map[int]int
	}{
		{"no segments", nil},
		{"every other GOP", map[int]int{1: 0, 3: 1, 5: 2}},
		{"adjacent segments", map[int]int{1: 0, 2: 1, 3: 2, 4: 3}},
		{"first and last GOP", map[int]int{0: 0, 5: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			video, audio := stream(7, 6, 12, tc.seg)
			r, err := Mux(video, audio, 3750)
			if err != nil {
				t.Fatalf("Mux() = %v", err)
			}
			if len(r.Spans) != len(tc.seg) {
				t.Fatalf("Mux() spans = %v, want %d", r.Spans, len(tc.seg))
			}
			if len(r.Entries) != 6 {
				t.Fatalf("Mux() entries = %d, want one per GOP (6)", len(r.Entries))
			}
			checkStream(t, r, video, audio)
		})
	}
}

func TestMuxRefuses(t *testing.T) {
	video, _ := stream(1, 2, 4, nil)
	video[0].Key = false
	if _, err := Mux(video, nil, 3750); !errors.Is(err, ErrMux) {
		t.Errorf("Mux(no key picture first) = %v, want ErrMux", err)
	}
	video, _ = stream(1, 2, 4, nil)
	video[2].Segment = 3
	if _, err := Mux(video, nil, 3750); !errors.Is(err, ErrMux) {
		t.Errorf("Mux(segment starting mid-GOP) = %v, want ErrMux", err)
	}
	video, _ = stream(1, 2, 4, map[int]int{1: 0})
	video[4].Data[1] = []byte{1}
	if _, err := Mux(video, nil, 3750); !errors.Is(err, ErrMux) {
		t.Errorf("Mux(variants of 1 and %d bytes) = %v, want ErrMux", len(video[4].Data[0]), err)
	}
}

func TestDemuxRefuses(t *testing.T) {
	video, audio := stream(2, 2, 4, nil)
	r, err := Mux(video, audio, 3750)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(b []byte) []byte
	}{
		{"short", func(b []byte) []byte { return b[:len(b)-1] }},
		{"sync", func(b []byte) []byte { b[4+PacketSize*3] = 0x46; return b }},
		{"adaptation length", func(b []byte) []byte {
			b[3*PacketSize+7] |= 0x30
			b[3*PacketSize+8] = 200
			return b
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Demux(tc.edit(bytes.Clone(r.A))); !errors.Is(err, ErrFormat) {
				t.Errorf("Demux(%s) = %v, want ErrFormat", tc.name, err)
			}
		})
	}
}

func FuzzDemux(f *testing.F) {
	video, audio := stream(3, 2, 3, map[int]int{1: 0})
	r, err := Mux(video, audio, 3750)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(r.A[:UnitSize*2])
	f.Add(r.B[len(r.B)-UnitSize:])
	f.Add(make([]byte, PacketSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Demux(b)
		if err != nil && !errors.Is(err, ErrFormat) {
			t.Fatalf("Demux() = %v, want nil or ErrFormat", err)
		}
		if err == nil && got == nil {
			t.Fatal("Demux() = nil map and nil error")
		}
	})
}

// FuzzMux muxes streams of random shapes and checks every invariant.
func FuzzMux(f *testing.F) {
	f.Add(uint64(1), uint8(3), uint8(5), uint8(0b010))
	f.Add(uint64(9), uint8(1), uint8(1), uint8(1))
	f.Fuzz(func(t *testing.T, seed uint64, gops, per, segs uint8) {
		g, p := 1+int(gops%6), 1+int(per%8)
		seg := map[int]int{}
		for i := range g {
			if segs>>i&1 != 0 {
				seg[i] = len(seg)
			}
		}
		video, audio := stream(seed, g, p, seg)
		r, err := Mux(video, audio, 3750)
		if err != nil {
			t.Fatalf("Mux() = %v", err)
		}
		checkStream(t, r, video, audio)
	})
}

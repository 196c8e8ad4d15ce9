package film

import (
	"bufio"
	"bytes"
	"errors"
	"testing"

	"copystation/media/h264"
)

// FuzzGOPReader: the GOPs the streaming reader returns, reading in
// pieces of 1 to 64 bytes (so the stream is cut everywhere, inside start
// codes and NAL units), are those h264.GOPs finds in the whole stream:
// same count, same pictures, same digests.
func FuzzGOPReader(f *testing.F) {
	aud, sps, pps := []byte{0, 0, 0, 1, 0x09, 0xF0}, []byte{0, 0, 1, 0x67, 0x64, 0, 0x1F}, []byte{0, 0, 1, 0x68, 0xEE}
	idr, p := []byte{0, 0, 1, 0x65, 0x88, 0x84, 0x21}, []byte{0, 0, 1, 0x41, 0x9A, 0x02}
	var s []byte
	for g := range 3 {
		s = append(append(append(append(s, aud...), sps...), pps...), idr...)
		for range g + 1 {
			s = append(append(s, aud...), p...)
		}
	}
	f.Add(s, uint8(0))
	f.Add(s, uint8(5))
	f.Add(bytes.ReplaceAll(s, []byte{0x09, 0xF0}, nil), uint8(2)) // no delimiters
	f.Fuzz(func(t *testing.T, b []byte, chunk uint8) {
		want := h264.GOPs(h264.AccessUnits(h264.NALs(b)))
		r := &gopReader{r: bytes.NewReader(b), chunk: 1 + int(chunk)%64}
		var got []h264.GOP
		for {
			g, ok, err := r.next()
			if err != nil {
				t.Fatalf("next() = %v", err)
			}
			if !ok {
				break
			}
			got = append(got, g)
		}
		if len(got) != len(want) {
			t.Fatalf("streamed %d GOPs, whole stream %d", len(got), len(want))
		}
		for i := range got {
			if len(got[i].Units) != len(want[i].Units) || got[i].Digest() != want[i].Digest() {
				t.Fatalf("GOP %d: streamed %d pictures, whole %d (or digests differ)", i, len(got[i].Units), len(want[i].Units))
			}
		}
	})
}

// FuzzAC3Reader: any bytes give whole AC-3 frames, in order, or
// ErrSource; never a panic, never more bytes than given.
func FuzzAC3Reader(f *testing.F) {
	frame := make([]byte, 768) // 192 kbit/s at 48 kHz
	frame[0], frame[1], frame[4] = 0x0B, 0x77, 0x14
	f.Add(append(bytes.Clone(frame), frame...))
	f.Add(frame[:100])
	f.Fuzz(func(t *testing.T, b []byte) {
		r := &ac3Reader{r: bufio.NewReader(bytes.NewReader(b))}
		total := 0
		for {
			a, ok, err := r.next()
			if err != nil {
				if !errors.Is(err, ErrSource) {
					t.Fatalf("next() = %v, want ErrSource", err)
				}
				return
			}
			if !ok {
				break
			}
			total += len(a.Data[0])
		}
		if total != len(b) {
			t.Fatalf("frames hold %d bytes of %d", total, len(b))
		}
	})
}

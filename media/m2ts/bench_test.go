package m2ts

import "testing"

// BenchmarkMux muxes 60 seconds' worth of pictures (24 per GOP, every
// other GOP a segment with a B variant) and audio; bytes/op is the
// elementary streams' size.
func BenchmarkMux(b *testing.B) {
	seg := map[int]int{}
	for g := 1; g < 59; g += 2 {
		seg[g] = len(seg)
	}
	video, audio := stream(11, 60, 24, seg)
	var n int64
	for _, a := range append(video, audio...) {
		n += int64(len(a.Data[0]))
	}
	b.SetBytes(n)
	for b.Loop() {
		if _, err := Mux(video, audio, 3750); err != nil {
			b.Fatal(err)
		}
	}
}

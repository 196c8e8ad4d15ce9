package h264

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkGOPDigests splits a synthetic 32 MiB Annex B stream (GOPs of
// 24 pictures of about 55 KB) and digests every GOP, as tracing does.
func BenchmarkGOPDigests(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	var es []byte
	for len(es) < 32<<20 {
		for f := range 24 {
			es = append(es, 0, 0, 0, 1, 0x09, 0xF0)
			if f == 0 {
				es = append(es, 0, 0, 0, 1)
				es = append(es, sps720...)
				es = append(es, 0, 0, 0, 1, 0x65, 0x88)
			} else {
				es = append(es, 0, 0, 0, 1, 0x41, 0x9A)
			}
			for range 55000 {
				c := byte(r.Uint32())
				if c < 4 {
					c = 0xFF // no start codes inside a slice
				}
				es = append(es, c)
			}
		}
	}
	b.SetBytes(int64(len(es)))
	for b.Loop() {
		for _, g := range GOPs(AccessUnits(NALs(es))) {
			g.Digest()
		}
	}
}

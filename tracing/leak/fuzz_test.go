package leak

import (
	"bytes"
	"testing"

	"copystation/tracing/tardos"
)

// FuzzRead feeds arbitrary images to the reader against a fixed record:
// it must decide every segment, never fail on a short or garbled image, and
// a segment it calls A or B must hold exactly that variant's bytes.
func FuzzRead(f *testing.F) {
	tt := newTitle(f, 32, 1, 2)
	rec := tt.record(f)
	f.Add(tt.image)
	f.Add(tt.copyOf(make([]int, 32)))
	f.Add(tt.image[:20*sector])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, img []byte) {
		d, rep, err := Read(bytes.NewReader(img), rec)
		if err != nil {
			t.Fatal(err)
		}
		if len(d) != 32 || rep.A+rep.B+rep.Erased != 32 {
			t.Fatalf("%d decisions, report %+v", len(d), rep)
		}
		for s, v := range tt.variants {
			seg := img[min(len(img), int(v.Start)*sector):min(len(img), int(v.Start)*sector+len(v.B))]
			switch d[s] {
			case tardos.A:
				if !bytes.Equal(seg, tt.image[v.Start*sector:v.Start*sector+uint64(len(v.B))]) {
					t.Fatalf("segment %d called A", s)
				}
			case tardos.B:
				if !bytes.Equal(seg, v.B) {
					t.Fatalf("segment %d called B", s)
				}
			}
		}
	})
}

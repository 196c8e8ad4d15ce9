package opening

import (
	"bytes"
	"testing"

	"copystation/custody"
)

// FuzzParse: an opened answer's plaintext, whatever it holds, decodes to
// the stated number of partials or fails with ErrAnswer; never a panic.
func FuzzParse(f *testing.F) {
	good := []byte{0, 0, 0, 1}
	for range 2 {
		good = append(good, bytes.Repeat([]byte{0}, custody.PartialLen)...)
	}
	f.Add(good, 1)
	f.Add(good[:10], 1)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff}, 5000)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff}, -1) // once a panic: a negative count
	f.Fuzz(func(t *testing.T, pt []byte, copies int) {
		a, err := parse(pt, copies)
		if err == nil && len(a.Copies) != copies {
			t.Fatalf("%d copies decoded, %d stated", len(a.Copies), copies)
		}
	})
}

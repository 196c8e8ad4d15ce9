package protocol

import "testing"

// BenchmarkCheckLowS times the low-S check every node makes of every
// statement's signature, beside the encoding/asn1 reading it replaced:
//
//	go test -run '^$' -bench BenchmarkCheckLowS -benchmem ./protocol
func BenchmarkCheckLowS(b *testing.B) {
	k := exampleKey(b, "station")
	sig, err := Sign(nil, k, &CopyReport{ChainID: "c", JobID: "j", MediaID: []byte{1}, Outcome: OutcomeSpoiled})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("cryptobyte", func(b *testing.B) {
		for b.Loop() {
			if checkLowS(sig) != nil {
				b.Fatal()
			}
		}
	})
	b.Run("asn1", func(b *testing.B) {
		for b.Loop() {
			if !asn1CheckLowS(sig) {
				b.Fatal()
			}
		}
	})
}

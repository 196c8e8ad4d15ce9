package custody

import "testing"

const benchSegments = 4096

// BenchmarkDeal: the issuer deals a 4096-segment title (8193 keys) to 4
// nodes, t = 2: Shamir, Merkle roots, HPKE sealing.
func BenchmarkDeal(b *testing.B) {
	for b.Loop() {
		_, _, d := testTitle(b, benchSegments, 2)
		d.Keys.Wipe()
	}
}

// BenchmarkOpenShares: a node opens its sealed shares of a 4096-segment
// title and checks every leaf against its root.
func BenchmarkOpenShares(b *testing.B) {
	title, privs, d := testTitle(b, benchSegments, 2)
	for b.Loop() {
		ts, err := OpenShares(privs[1], title, 1, d.Blobs[1], d.Roots[1])
		if err != nil {
			b.Fatal(err)
		}
		ts.Wipe()
	}
}

// BenchmarkReleaseCombine: one copy of a 4096-segment title, t = 2 of 4:
// two nodes' Release and encoding, the station's decoding, VerifyRelease and
// interpolation of 4097 keys (CombineKeys). It reports the size of one
// node's release and of the t releases the station needs.
func BenchmarkReleaseCombine(b *testing.B) {
	title, privs, d := testTitle(b, benchSegments, 2)
	shares := openAll(b, title, privs, d)
	cw := testCodeword(b, benchSegments, 11)
	var size int
	for b.Loop() {
		var rels []*Release
		for _, ts := range shares[:2] {
			r, err := ts.Release(title.TitleID, cw)
			if err != nil {
				b.Fatal(err)
			}
			enc, _ := r.MarshalBinary()
			size = len(enc)
			if r, err = UnmarshalRelease(enc); err != nil {
				b.Fatal(err)
			}
			rels = append(rels, r)
		}
		keys, _, err := CombineKeys(title, d.Roots, 2, rels, cw)
		if err != nil {
			b.Fatal(err)
		}
		keys.Wipe()
	}
	b.ReportMetric(float64(size), "B/release")
	b.ReportMetric(float64(2*size), "B/t-releases")
}

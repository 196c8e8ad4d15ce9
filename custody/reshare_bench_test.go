package custody

import "testing"

// benchReshareSegments is the resharing benchmarks' title: 640 segments,
// 1,281 keys.
const benchReshareSegments = 640

// BenchmarkTitleReshareDeal: one old node of 4 deals its shares of a
// 640-segment title to 5 new nodes, t = 2: polynomials, G1 commitments,
// HPKE sealing, the Schnorr signature. It reports the deal's size.
func BenchmarkTitleReshareDeal(b *testing.B) {
	f := newTitleReshareFixture(b, benchReshareSegments, 4, nil, 1)
	var size int
	for b.Loop() {
		d, err := DealTitleReshare(f.cfg, f.oldDKG[1], f.old[1])
		if err != nil {
			b.Fatal(err)
		}
		size = len(d)
	}
	b.ReportMetric(float64(size), "B/deal")
}

// BenchmarkTitleReshareCombine: one new node combines the 4 old nodes'
// deals of a 640-segment title: decoding (subgroup checks), signatures,
// the constant-term consistency, its values from t_old dealers checked
// and combined, resealed and its root computed.
func BenchmarkTitleReshareCombine(b *testing.B) {
	f := newTitleReshareFixture(b, benchReshareSegments, 4, nil, 1)
	deals := f.deals(b, nil)
	for b.Loop() {
		r, err := CombineTitleReshare(f.cfg, 4, f.newPriv[4], deals)
		if err != nil {
			b.Fatal(err)
		}
		r.Shares.Wipe()
	}
}

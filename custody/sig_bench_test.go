package custody

import (
	"fmt"
	"testing"

	"go.dedis.ch/kyber/v4/share"
)

// BenchmarkThresholdBLS: the kyber/circl costs behind one copy: a node's
// partial signature, the station's check of one partial, recovering σ from t
// partials (kyber checks none: custody.Combine checks each first), and the
// final verification against X.
func BenchmarkThresholdBLS(b *testing.B) {
	for _, thr := range []int{2, 3} {
		res := testNetwork(b, 4, thr)
		g := res[0].Group
		label := copyLabel(b, "bench")
		ps := partials(b, res, label, 0, 1, 2, 3)
		sig, _, err := Combine(g, label, ps)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("t=%d,n=4/PartialSign", thr), func(b *testing.B) {
			for b.Loop() {
				PartialSign(res[0].Share, label)
			}
		})
		b.Run(fmt.Sprintf("t=%d,n=4/VerifyPartial", thr), func(b *testing.B) {
			for b.Loop() {
				if err := VerifyPartial(g, label, ps[1]); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("t=%d,n=4/Combine", thr), func(b *testing.B) {
			for b.Loop() {
				if _, _, err := Combine(g, label, ps); err != nil {
					b.Fatal(err)
				}
			}
		})
		pub := make([]*share.PubShare, thr)
		for i := range pub {
			pt := suite.G1().Point()
			pt.UnmarshalBinary(ps[i].Sig[:])
			pub[i] = &share.PubShare{I: uint32(ps[i].Node), V: pt}
		}
		b.Run(fmt.Sprintf("t=%d,n=4/RecoverOnly", thr), func(b *testing.B) {
			for b.Loop() {
				if _, err := share.RecoverCommit(suite.G1(), pub, uint32(thr), 4); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("t=%d,n=4/Verify", thr), func(b *testing.B) {
			for b.Loop() {
				if err := Verify(g.Key(), label, sig); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDKG: the whole ceremony for 4 nodes, t = 2, in one process (what
// `validatord testnet` adds to start-up).
func BenchmarkDKG(b *testing.B) {
	cc, keys := testCeremony(b, 4, 2)
	for b.Loop() {
		if _, err := RunInProcess(cc, keys); err != nil {
			b.Fatal(err)
		}
	}
}

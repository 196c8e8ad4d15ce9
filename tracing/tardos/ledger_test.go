package tardos

import (
	"math/rand/v2"
	"testing"
)

// ledgerLeak is one simulated trial: the title's biases, the codewords of a
// coalition of c, and the decisions of an attack on them with a fraction of
// positions erased.
func ledgerLeak(t *testing.T, c, trial int, a attack, erased float64) (Biases, Decisions, []Codeword, Code) {
	t.Helper()
	code, err := Params{N: simN, C: c, Eps1: simEps1}.Code()
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewChaCha8(simSeed(7, c, trial)))
	var ts [32]byte
	fillSeed(r, &ts)
	b, err := DeriveBiases(ts, code)
	if err != nil {
		t.Fatal(err)
	}
	ws := make([]Codeword, c)
	ones := make([]int, code.M)
	for j := range ws {
		var cs [32]byte
		fillSeed(r, &cs)
		ws[j], _ = DeriveCodeword(cs, b)
		for i := range ones {
			ones[i] += ws[j].Bit(i)
		}
	}
	d := make(Decisions, code.M)
	for i := range d {
		d[i] = a.pick(ones[i], c, r)
		if r.Float64() < erased {
			d[i] = Erased
		}
	}
	return b, d, ws, code
}

// TestLedgerThresholdCatchesOne: a single leaker of a title sized for
// N = 10,000, C = 1, Eps1 = 10⁻⁶ whose leak has 20% of its segments erased
// is accused by the threshold the ledger checks (NewFixedScorer) in every
// one of 400 trials.
func TestLedgerThresholdCatchesOne(t *testing.T) {
	li, _ := FixedLogInv(simN, simEps1)
	missed := 0
	for trial := range 400 {
		b, d, ws, _ := ledgerLeak(t, 1, trial, attacks[0], erasedFraction)
		fs, err := NewFixedScorer(b, d, li)
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := fs.Score(ws[0]); s <= fs.Threshold() {
			missed++
			t.Logf("trial %d: score %.2f, ledger threshold %.2f", trial, float64(s)/Q, float64(fs.Threshold())/Q)
		}
	}
	if missed != 0 {
		t.Errorf("the ledger's threshold missed the leaker in %d of 400 trials", missed)
	}
}

// TestOneThreshold: the scorer that names the accused (NewScorer, used by
// accuse.Trace and the simulations) accuses exactly the copies whose
// fixed-point score passes the ledger's fixed-point threshold, so a trace
// never names a copy the ledger would refuse.
func TestOneThreshold(t *testing.T) {
	li, _ := FixedLogInv(simN, simEps1)
	for trial := range 40 {
		b, d, ws, code := ledgerLeak(t, 1, trial, attacks[0], 0.5)
		s, err := NewScorer(b, d, code)
		if err != nil {
			t.Fatal(err)
		}
		fs, _ := NewFixedScorer(b, d, li)
		acc, err := s.Accuse([]Copy{{ID: 0, Codeword: ws[0]}})
		if err != nil {
			t.Fatal(err)
		}
		fx, _ := fs.Score(ws[0])
		if ledger := fx > fs.Threshold(); ledger != (len(acc) == 1) {
			t.Errorf("trial %d: the scorer accuses: %v, the ledger: %v (score %.2f, ledger threshold %.2f, scorer threshold %.2f)",
				trial, len(acc) == 1, ledger, float64(fx)/Q, float64(fs.Threshold())/Q, s.Threshold())
		}
	}
}

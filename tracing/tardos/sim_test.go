package tardos

import (
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// The simulation harness: a title of simN copies, a coalition of c of them,
// every attack on the same coalition's codewords, every copy scored.

const simN = 10000

// simEps1 is the false-accusation probability the simulations use: the
// smallest power of ten whose C=4 code still fits 4096 segments.
const simEps1 = 1e-6

type attack struct {
	name string
	// pick decides one position from the coalition's bits there (ones of
	// c are B), given the random source; it returns A, B or Erased.
	pick func(ones, c int, r *rand.Rand) Decision
}

func agree(ones, c int) (Decision, bool) {
	switch ones {
	case 0:
		return A, true
	case c:
		return B, true
	}
	return Erased, false
}

func coin(r *rand.Rand) Decision {
	if r.Uint32()&1 == 0 {
		return A
	}
	return B
}

// attacks are the coalition strategies; all respect the marking assumption
// (where the colluders agree, the leak shows their variant).
var attacks = []attack{
	{"interleave", func(ones, c int, r *rand.Rand) Decision {
		if r.IntN(c) < ones { // a uniformly chosen colluder holds B
			return B
		}
		return A
	}},
	{"majority", func(ones, c int, r *rand.Rand) Decision {
		switch {
		case 2*ones > c:
			return B
		case 2*ones < c:
			return A
		}
		return coin(r)
	}},
	{"minority", func(ones, c int, r *rand.Rand) Decision {
		if d, ok := agree(ones, c); ok {
			return d
		}
		switch {
		case 2*ones < c:
			return B
		case 2*ones > c:
			return A
		}
		return coin(r)
	}},
	{"random", func(ones, c int, r *rand.Rand) Decision {
		if d, ok := agree(ones, c); ok {
			return d
		}
		return coin(r)
	}},
	{"all-A", func(ones, c int, r *rand.Rand) Decision {
		if d, ok := agree(ones, c); ok {
			return d
		}
		return A
	}},
	{"all-B", func(ones, c int, r *rand.Rand) Decision {
		if d, ok := agree(ones, c); ok {
			return d
		}
		return B
	}},
	{"erase-differ", func(ones, c int, r *rand.Rand) Decision {
		if d, ok := agree(ones, c); ok {
			return d
		}
		return Erased
	}},
}

// erasedFraction of positions, chosen uniformly, is erased in the "+erase"
// variant of each attack (after the attack; the attack never sees them).
const erasedFraction = 0.2

type simResult struct {
	name            string
	trials, caught  int
	innocentTrials  int     // trials where any innocent copy was accused
	worstInnocent   float64 // highest innocent score / threshold
	weakestColluder float64 // lowest (best colluder score / threshold)
	// caughtGlobal counts trials where the best colluder also exceeds
	// global Bernstein alone, the ledger's threshold before the
	// per-position bound (for comparison with the earlier table).
	caughtGlobal int
}

// merge adds another worker's results for the same attack.
func (res *simResult) merge(o simResult) {
	res.trials += o.trials
	res.caught += o.caught
	res.innocentTrials += o.innocentTrials
	res.caughtGlobal += o.caughtGlobal
	res.worstInnocent = max(res.worstInnocent, o.worstInnocent)
	res.weakestColluder = min(res.weakestColluder, o.weakestColluder)
}

func newResults() []simResult {
	res := make([]simResult, 2*len(attacks))
	for k := range res {
		res[k] = simResult{name: attacks[k%len(attacks)].name, weakestColluder: 1e9}
		if k >= len(attacks) {
			res[k].name += "+erase"
		}
	}
	return res
}

// simulate runs trials for coalitions of c with fixed seeds (trial k's
// randomness comes from simSeed(seed, c, k) alone), on `workers`
// goroutines; the totals do not depend on the scheduling. The colluders'
// codewords and the first `derived` innocents' are derived with
// DeriveCodeword from seeds; the other innocents' are drawn by
// drawInnocents (the same distribution, far cheaper). Every decision is the ledger's:
// FixedScorer's score against its threshold.
func simulate(t testing.TB, c, trials, workers int, seed uint64, derived int) []simResult {
	code, err := Params{N: simN, C: c, Eps1: simEps1}.Code()
	if err != nil {
		t.Error(err)
		return nil
	}
	parts := make([][]simResult, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			parts[w] = newResults()
			st := newSimState(code)
			for trial := w; trial < trials && errs[w] == nil; trial += workers {
				errs[w] = st.trial(parts[w], code, c, simSeed(seed, c, trial), derived)
			}
		})
	}
	wg.Wait()
	res := newResults()
	for w := range workers {
		if errs[w] != nil {
			t.Error(errs[w])
			return nil
		}
		for k := range res {
			res[k].merge(parts[w][k])
		}
	}
	return res
}

// simState is one worker's buffers, reused across trials.
type simState struct {
	words  []byte
	copies []Copy
	ones   []int
	erase  []bool
	d      Decisions
}

func newSimState(code Code) *simState {
	stride := (code.M + 7) / 8
	st := &simState{words: make([]byte, simN*stride), copies: make([]Copy, simN),
		ones: make([]int, code.M), erase: make([]bool, code.M), d: make(Decisions, code.M)}
	for j := range st.copies {
		st.copies[j] = Copy{ID: uint64(j), Codeword: st.words[j*stride : (j+1)*stride]}
	}
	return st
}

func (st *simState) trial(res []simResult, code Code, c int, seed [32]byte, derived int) error {
	m := code.M
	r := rand.New(rand.NewChaCha8(seed))
	var ts [32]byte
	fillSeed(r, &ts)
	b, err := DeriveBiases(ts, code)
	if err != nil {
		return err
	}
	for j := range simN {
		if j >= c+derived {
			drawInnocents(r, b.T, st.copies, j)
			break
		}
		var cs [32]byte
		fillSeed(r, &cs)
		d, err := DeriveCodeword(cs, b)
		if err != nil {
			return err
		}
		copy(st.copies[j].Codeword, d)
	}
	clear(st.ones)
	for j := range c { // the coalition: copies 0 to c-1
		for i := range m {
			st.ones[i] += st.copies[j].Codeword.Bit(i)
		}
	}
	clear(st.erase)
	for _, i := range r.Perm(m)[:int(erasedFraction*float64(m))] {
		st.erase[i] = true
	}
	for k := range res {
		a := attacks[k%len(attacks)]
		for i := range st.d {
			st.d[i] = a.pick(st.ones[i], c, r)
			if k >= len(attacks) && st.erase[i] {
				st.d[i] = Erased
			}
		}
		s, err := NewScorer(b, st.d, code)
		if err != nil {
			return err
		}
		res[k].add(s.Fixed(), st.copies, c)
	}
	return nil
}

func (res *simResult) add(s *FixedScorer, copies []Copy, c int) {
	res.trials++
	best, innocent := int64(math.MinInt64), false
	z := s.threshold
	for j, cp := range copies {
		sc := s.score(cp.Codeword)
		if j < c {
			best = max(best, sc)
			continue
		}
		res.worstInnocent = max(res.worstInnocent, float64(sc)/float64(z))
		if sc > z {
			innocent = true
		}
	}
	if best > z {
		res.caught++
	}
	if best > s.bernstein {
		res.caughtGlobal++
	}
	res.weakestColluder = min(res.weakestColluder, float64(best)/float64(z))
	if innocent {
		res.innocentTrials++
	}
}

func simSeed(seed uint64, c, trial int) [32]byte {
	var s [32]byte
	binary.BigEndian.PutUint64(s[:], seed)
	binary.BigEndian.PutUint64(s[8:], uint64(c))
	binary.BigEndian.PutUint64(s[16:], uint64(trial))
	return s
}

func fillSeed(r *rand.Rand, s *[32]byte) {
	for i := 0; i < 32; i += 8 {
		binary.BigEndian.PutUint64(s[i:], r.Uint64())
	}
}

// TestSimulation is the short run: a few trials per coalition size, N =
// 10,000 copies, the colluders' and 1,000 innocents' codewords derived
// through DeriveCodeword (the rest drawn, as in the long run), scored by
// the ledger's rule; no innocent may be accused and a colluder must be
// caught in every trial (the 99% target, in a run too short to allow a
// miss).
func TestSimulation(t *testing.T) {
	trials := map[int]int{1: 3, 2: 2, 3: 1, 4: 1}
	for c := 1; c <= 4; c++ {
		for _, r := range simulate(t, c, trials[c], runtime.GOMAXPROCS(0), 1, 1000) {
			if r.innocentTrials != 0 {
				t.Errorf("c=%d %s: an innocent copy accused in %d of %d trials (worst innocent score/threshold %.3f)", c, r.name, r.innocentTrials, r.trials, r.worstInnocent)
			}
			if r.caught != r.trials {
				t.Errorf("c=%d %s: a colluder caught in %d of %d trials, want all (weakest best-colluder score/threshold %.3f)", c, r.name, r.caught, r.trials, r.weakestColluder)
			}
		}
	}
}

// simTrials is the long campaign's trial count per (attack, C):
// go test -run XXX -bench BenchmarkSimulation -benchtime 1x ./tracing/tardos/ -tardos.trials 1000
var simTrials = flag.Int("tardos.trials", 100, "trials per (attack, coalition size) in BenchmarkSimulation")

// BenchmarkSimulation is the long campaign (docs/tracing.md,
// "Simulations"): -tardos.trials trials per (attack, C) for C = 1 to 4 on
// every core, with the ledger's threshold; it prints the table and fails if
// a colluder is caught in fewer than 99% of the trials of any row or an
// innocent is accused in any. One op is the whole campaign: run it with
// -benchtime 1x.
func BenchmarkSimulation(b *testing.B) {
	n := *simTrials
	for b.Loop() {
		var sb strings.Builder
		fmt.Fprintf(&sb, "N=%d Eps1=%g trials=%d\n| c | M | attack | colluder caught | trials with an innocent accused | max innocent score/Z | min best colluder score/Z | caught by global Bernstein alone |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n", simN, simEps1, n)
		worst := 100.0
		innocent := 0
		for c := 1; c <= 4; c++ {
			code, _ := Params{N: simN, C: c, Eps1: simEps1}.Code()
			for _, r := range simulate(b, c, n, runtime.GOMAXPROCS(0), 2, 0) {
				pct := 100 * float64(r.caught) / float64(r.trials)
				fmt.Fprintf(&sb, "| %d | %d | %s | %d/%d (%.1f%%) | %d | %.3f | %.3f | %d/%d (%.1f%%) |\n", c, code.M, r.name, r.caught, r.trials, pct, r.innocentTrials, r.worstInnocent, r.weakestColluder,
					r.caughtGlobal, r.trials, 100*float64(r.caughtGlobal)/float64(r.trials))
				worst, innocent = min(worst, pct), innocent+r.innocentTrials
				if r.innocentTrials != 0 || pct < 99 {
					b.Errorf("c=%d %s: caught %d/%d, innocent accused in %d trials", c, r.name, r.caught, r.trials, r.innocentTrials)
				}
			}
		}
		fmt.Print(sb.String())
		b.ReportMetric(worst, "min-caught-%")
		b.ReportMetric(float64(innocent), "innocent-trials")
	}
}

package tardos

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
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
	// caughtLedger counts trials where the best colluder also exceeds
	// Bernstein's bound, the ledger's (fixed-point) threshold.
	caughtLedger int
}

// simulate runs trials for coalitions of c with fixed seeds. real derives
// every codeword with DeriveCodeword from a seed; otherwise draws come from
// the same ChaCha8 stream that picks the seeds (the same distribution, far
// cheaper: the long run's innocents).
func simulate(t testing.TB, c, trials int, seed uint64, real bool) []simResult {
	code, err := Params{N: simN, C: c, Eps1: simEps1}.Code()
	if err != nil {
		t.Error(err)
		return nil
	}
	m, stride := code.M, (code.M+7)/8
	res := make([]simResult, 2*len(attacks))
	for k := range res {
		res[k] = simResult{name: attacks[k%len(attacks)].name, weakestColluder: 1e9}
		if k >= len(attacks) {
			res[k].name += "+erase"
		}
	}
	words := make([]byte, simN*stride)
	copies := make([]Copy, simN)
	for trial := range trials {
		r := rand.New(rand.NewChaCha8(simSeed(seed, c, trial)))
		var ts [32]byte
		fillSeed(r, &ts)
		b, err := DeriveBiases(ts, code)
		if err != nil {
			t.Error(err)
			return nil
		}
		clear(words)
		for j := range simN {
			w := Codeword(words[j*stride : (j+1)*stride])
			if real {
				var cs [32]byte
				fillSeed(r, &cs)
				d, err := DeriveCodeword(cs, b)
				if err != nil {
					t.Error(err)
					return nil
				}
				copy(w, d)
			} else {
				for i := range m {
					if r.Uint32() < b.T[i] {
						w[i/8] |= 0x80 >> (i % 8)
					}
				}
			}
			copies[j] = Copy{ID: uint64(j), Codeword: w}
		}
		ones := make([]int, m)
		for j := range c { // the coalition: copies 0 to c-1
			for i := range m {
				ones[i] += copies[j].Codeword.Bit(i)
			}
		}
		erase := make([]bool, m)
		for _, i := range r.Perm(m)[:int(erasedFraction*float64(m))] {
			erase[i] = true
		}
		for k := range res {
			a := attacks[k%len(attacks)]
			d := make(Decisions, m)
			for i := range d {
				d[i] = a.pick(ones[i], c, r)
				if k >= len(attacks) && erase[i] {
					d[i] = Erased
				}
			}
			s, err := NewScorer(b, d, code)
			if err != nil {
				t.Error(err)
				return nil
			}
			res[k].add(s, copies, c)
		}
	}
	return res
}

func (res *simResult) add(s *Scorer, copies []Copy, c int) {
	res.trials++
	best, innocent := -1e9, false
	for j, cp := range copies {
		sc := s.score(cp.Codeword)
		if j < c {
			best = max(best, sc)
			continue
		}
		res.worstInnocent = max(res.worstInnocent, sc/s.threshold)
		if sc > s.threshold {
			innocent = true
		}
	}
	if best > s.threshold {
		res.caught++
	}
	if best > s.bernstein {
		res.caughtLedger++
	}
	res.weakestColluder = min(res.weakestColluder, best/s.threshold)
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

// TestSimulation is the short run: a few trials per coalition size with
// every codeword derived through DeriveCodeword; no innocent may be accused
// and a colluder must be caught in every trial (the 99% target, in a run
// too short to allow a miss).
func TestSimulation(t *testing.T) {
	trials := map[int]int{1: 3, 2: 2, 3: 1, 4: 1}
	for c := 1; c <= 4; c++ {
		for _, r := range simulate(t, c, trials[c], 1, true) {
			if r.innocentTrials != 0 {
				t.Errorf("c=%d %s: an innocent copy accused in %d of %d trials (worst innocent score/threshold %.3f)", c, r.name, r.innocentTrials, r.trials, r.worstInnocent)
			}
			if r.caught != r.trials {
				t.Errorf("c=%d %s: a colluder caught in %d of %d trials, want all (weakest best-colluder score/threshold %.3f)", c, r.name, r.caught, r.trials, r.weakestColluder)
			}
		}
	}
}

// TestSimulationLong is the long run behind TARDOS_TRIALS (e.g. 1000): it
// prints the table in docs/tracing.md. Without the variable it does
// nothing, so the normal suite stays short; the short run above is the
// same harness.
func TestSimulationLong(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("TARDOS_TRIALS"))
	if n <= 0 {
		return
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "N=%d Eps1=%g trials=%d\n| c | M | attack | colluder caught | trials with an innocent accused | max innocent score/Z | min best colluder score/Z | colluder caught by the ledger's Z_B |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n", simN, simEps1, n)
	// Two coalition sizes at a time: the machine has two cores.
	results := make([][]simResult, 5)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for c := 4; c >= 1; c-- {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[c] = simulate(t, c, n, 2, false)
		})
	}
	wg.Wait()
	for c := 1; c <= 4; c++ {
		code, _ := Params{N: simN, C: c, Eps1: simEps1}.Code()
		for _, r := range results[c] {
			fmt.Fprintf(&sb, "| %d | %d | %s | %d/%d (%.1f%%) | %d | %.3f | %.3f | %d/%d (%.1f%%) |\n", c, code.M, r.name, r.caught, r.trials, 100*float64(r.caught)/float64(r.trials), r.innocentTrials, r.worstInnocent, r.weakestColluder,
				r.caughtLedger, r.trials, 100*float64(r.caughtLedger)/float64(r.trials))
			if r.innocentTrials != 0 || float64(r.caught) < 0.99*float64(r.trials) {
				t.Errorf("c=%d %s: caught %d/%d, innocent accused in %d trials", c, r.name, r.caught, r.trials, r.innocentTrials)
			}
		}
	}
	t.Log("\n" + sb.String())
}

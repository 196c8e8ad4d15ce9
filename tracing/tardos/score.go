package tardos

import (
	"fmt"
	"math"
	"sort"
)

// Scorer scores codewords against one leak. It holds, per byte of a
// codeword (8 positions), the score of each of the 256 byte values, so a
// codeword of M positions costs ⌈M/8⌉ table lookups.
type Scorer struct {
	m         int
	table     [][256]float64
	threshold float64
	bernstein float64 // Bernstein's bound alone: what the ledger checks (FixedScorer)
	present   int
}

// NewScorer builds the scorer for a leak's decisions under the title's
// biases, with the symmetric score of Škorić et al. (2008): at a position
// with bias p where the leak shows B, a copy holding B scores +√((1−p)/p)
// and one holding A scores −√(p/(1−p)); where it shows A, A scores
// +√(p/(1−p)) and B −√((1−p)/p); erased positions score 0. The threshold
// is the smaller of Threshold (Bernstein: non-erased positions, largest
// |score| among them) and the exact Chernoff bound (chernoffThreshold):
// each bounds an innocent copy's chance of exceeding it by Eps1/N.
func NewScorer(b Biases, d Decisions, code Code) (*Scorer, error) {
	m := len(b.T)
	if m != len(d) || m != code.M {
		return nil, fmt.Errorf("tardos.NewScorer: %w: %d biases, %d decisions, code of %d", ErrLength, m, len(d), code.M)
	}
	if !(code.LogInv > 0) || math.IsInf(code.LogInv, 0) {
		return nil, fmt.Errorf("tardos.NewScorer: %w: ln(N/Eps1) = %g", ErrParams, code.LogInv)
	}
	s := &Scorer{m: m, table: make([][256]float64, (m+7)/8)}
	var bmax float64
	var inn []posScore
	var pos [8][2]float64 // per position in the byte: score for bit 0, bit 1
	for j := range s.table {
		pos = [8][2]float64{}
		for k := 0; k < 8 && 8*j+k < m; k++ {
			i := 8*j + k
			if d[i] == Erased {
				continue
			}
			if d[i] > B {
				return nil, fmt.Errorf("tardos.NewScorer: %w: position %d is %v", ErrDecisions, i, d[i])
			}
			p := b.P(i)
			if p <= 0 || p >= 1 {
				return nil, fmt.Errorf("tardos.NewScorer: %w: bias %d is %g", ErrParams, i, p)
			}
			g1, g0 := math.Sqrt((1-p)/p), math.Sqrt(p/(1-p))
			if d[i] == B {
				pos[k] = [2]float64{-g0, g1}
				inn = append(inn, posScore{q: p, hit: g1, miss: g0})
			} else {
				pos[k] = [2]float64{g0, -g1}
				inn = append(inn, posScore{q: 1 - p, hit: g0, miss: g1})
			}
			bmax = max(bmax, g0, g1)
			s.present++
		}
		for v := range 256 {
			var sum float64
			for k := range 8 {
				sum += pos[k][(v>>(7-k))&1]
			}
			s.table[j][v] = sum
		}
	}
	// Both bounds are sound; the smaller is the tighter. A leak with no
	// position read accuses nobody.
	s.threshold, s.bernstein = math.Inf(1), math.Inf(1)
	if s.present > 0 {
		s.bernstein = Threshold(s.present, bmax, code.LogInv)
		s.threshold = min(s.bernstein, chernoffThreshold(inn, code.LogInv))
	}
	return s, nil
}

// Threshold is the score a copy must exceed to be accused.
func (s *Scorer) Threshold() float64 { return s.threshold }

// Bernstein is Bernstein's bound alone (Threshold), the one the ledger's
// fixed-point check uses: never below Threshold.
func (s *Scorer) Bernstein() float64 { return s.bernstein }

// Present is the number of non-erased positions.
func (s *Scorer) Present() int { return s.present }

// Score is a codeword's score; the codeword must be of the scorer's length.
func (s *Scorer) Score(c Codeword) (float64, error) {
	if len(c) != len(s.table) {
		return 0, fmt.Errorf("tardos.Scorer.Score: %w: codeword of %d bytes, want %d", ErrLength, len(c), len(s.table))
	}
	return s.score(c), nil
}

func (s *Scorer) score(c Codeword) float64 {
	var sum float64
	for j, v := range c {
		sum += s.table[j][v]
	}
	return sum
}

// Copy is a candidate copy: its identifier and its opened codeword.
type Copy struct {
	ID       uint64
	Codeword Codeword
}

// Accusation names a copy whose score exceeds the threshold.
type Accusation struct {
	ID        uint64
	Score     float64
	Threshold float64
}

// Accuse scores every copy and returns those above the threshold, highest
// score first (ties by ID). A codeword of the wrong length is an error, not
// a silent skip: it means the caller opened the wrong title's codewords.
func (s *Scorer) Accuse(copies []Copy) ([]Accusation, error) {
	var out []Accusation
	for _, c := range copies {
		if len(c.Codeword) != len(s.table) {
			return nil, fmt.Errorf("tardos.Scorer.Accuse: %w: copy %d has a codeword of %d bytes, want %d", ErrLength, c.ID, len(c.Codeword), len(s.table))
		}
		if sc := s.score(c.Codeword); sc > s.threshold {
			out = append(out, Accusation{ID: c.ID, Score: sc, Threshold: s.threshold})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

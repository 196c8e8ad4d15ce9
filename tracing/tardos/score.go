package tardos

import (
	"fmt"
	"math"
	"sort"
)

// Scorer scores codewords against one leak and names the accused with the
// ledger's own rule: the fixed-point score (FixedScorer) against the
// fixed-point threshold the accusation transaction recomputes, so a trace
// never names a copy the ledger would refuse, nor misses one it would
// record. Scores and threshold are also given as float64 (Q32 values
// divided by 2³²) for display only.
type Scorer struct {
	fs *FixedScorer
}

// NewScorer builds the scorer for a leak's decisions under the title's
// biases, with the symmetric score of Škorić et al. (2008): at a position
// with bias p where the leak shows B, a copy holding B scores +√((1−p)/p)
// and one holding A scores −√(p/(1−p)); where it shows A, A scores
// +√(p/(1−p)) and B −√((1−p)/p); erased positions score 0. Both the score
// and the threshold are the ledger's fixed-point ones (NewFixedScorer with
// code.LogInvQ), which bound an innocent copy's chance of exceeding the
// threshold by Eps1/N.
func NewScorer(b Biases, d Decisions, code Code) (*Scorer, error) {
	m := len(b.T)
	if m != len(d) || m != code.M {
		return nil, fmt.Errorf("tardos.NewScorer: %w: %d biases, %d decisions, code of %d", ErrLength, m, len(d), code.M)
	}
	if code.LogInvQ == 0 {
		return nil, fmt.Errorf("tardos.NewScorer: %w: the code has no ln(N/Eps1) (build it with Params.Code)", ErrParams)
	}
	fs, err := NewFixedScorer(b, d, code.LogInvQ)
	if err != nil {
		return nil, fmt.Errorf("tardos.NewScorer: %w", err)
	}
	return &Scorer{fs: fs}, nil
}

// Fixed is the ledger's scorer underneath.
func (s *Scorer) Fixed() *FixedScorer { return s.fs }

// Threshold is the score a copy must exceed to be accused, for display
// (+Inf when no position was read).
func (s *Scorer) Threshold() float64 {
	if s.fs.threshold == math.MaxInt64 {
		return math.Inf(1)
	}
	return float64(s.fs.threshold) / Q
}

// Present is the number of non-erased positions.
func (s *Scorer) Present() int { return s.fs.present }

// Score is a codeword's score, for display; the codeword must be of the
// scorer's length.
func (s *Scorer) Score(c Codeword) (float64, error) {
	v, err := s.fs.Score(c)
	if err != nil {
		return 0, fmt.Errorf("tardos.Scorer.Score: %w", err)
	}
	return float64(v) / Q, nil
}

// Copy is a candidate copy: its identifier and its opened codeword.
type Copy struct {
	ID       uint64
	Codeword Codeword
}

// Accusation names a copy whose score exceeds the threshold: the ledger's
// Q32 values, and the same as float64 for display.
type Accusation struct {
	ID                 uint64
	ScoreQ, ThresholdQ int64
	Score, Threshold   float64
}

// Accuse scores every copy and returns those above the threshold, highest
// score first (ties by ID). A codeword of the wrong length is an error, not
// a silent skip: it means the caller opened the wrong title's codewords.
func (s *Scorer) Accuse(copies []Copy) ([]Accusation, error) {
	var out []Accusation
	z := s.fs.threshold
	for _, c := range copies {
		if len(c.Codeword) != len(s.fs.table) {
			return nil, fmt.Errorf("tardos.Scorer.Accuse: %w: copy %d has a codeword of %d bytes, want %d", ErrLength, c.ID, len(c.Codeword), len(s.fs.table))
		}
		if sc := s.fs.score(c.Codeword); sc > z {
			out = append(out, Accusation{ID: c.ID, ScoreQ: sc, ThresholdQ: z, Score: float64(sc) / Q, Threshold: float64(z) / Q})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ScoreQ != out[j].ScoreQ {
			return out[i].ScoreQ > out[j].ScoreQ
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

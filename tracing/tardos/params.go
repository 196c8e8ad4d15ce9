package tardos

import (
	"errors"
	"fmt"
	"math"

	"copystation/burn/titlepkg"
)

// Errors, wrapped with the operation that failed.
var (
	// ErrParams: the parameters are out of range or need more segments
	// than a title package holds.
	ErrParams = errors.New("tracing parameters out of range")
	// ErrLength: biases, codeword and decisions disagree on the code length.
	ErrLength = errors.New("code lengths differ")
	// ErrDecisions: an encoded decision vector is malformed.
	ErrDecisions = errors.New("malformed decision vector")
)

// Bounds on Params: a title's copies are counted in uint32, and a coalition
// larger than MaxColluders cannot fit any title package (C=16 already needs
// more than 4096 segments at any useful Eps1).
const (
	MaxCopies    = 1 << 32
	MaxColluders = 16
	// MaxLength is the largest code: one segment per position.
	MaxLength = titlepkg.MaxSegments
)

// LengthConstant is d in M = ⌈d·C²·ln(N/Eps1)⌉: π², the code length
// Škorić, Katzenbeisser and Celik (Des. Codes Cryptogr. 46, 2008) prove
// sufficient for the binary symmetric score. Laarhoven and de Weger (2014)
// reach π²/2 asymptotically; their finite-C constants were not verified
// here, so the provable π² is used (docs/tracing.md).
const LengthConstant = math.Pi * math.Pi

// Params are a title's tracing parameters, fixed at registration.
type Params struct {
	N    uint64  // copies expected, 1 to MaxCopies
	C    int     // largest coalition the code must catch, 1 to MaxColluders
	Eps1 float64 // probability that any innocent copy is accused, in (0, 0.5]
}

// Code is what Params fix: the code length and the bias cutoff.
type Code struct {
	M     int     // segments (positions)
	Delta float64 // biases lie in [Delta, 1-Delta]
	// LogInv is ln(N/Eps1): ln of the inverse per-copy false-accusation
	// probability, in floating point, for sizing M and for display.
	LogInv float64
	// LogInvQ is ln(N/Eps1) in Q32 as the ledger computes it
	// (FixedLogInv): what the threshold uses.
	LogInvQ uint64
}

// Code returns the code the parameters need, or ErrParams if they are out of
// range or the code is longer than MaxLength segments.
func (p Params) Code() (Code, error) {
	if p.N < 1 || p.N > MaxCopies || p.C < 1 || p.C > MaxColluders ||
		!(p.Eps1 > 0 && p.Eps1 <= 0.5) {
		return Code{}, fmt.Errorf("tardos.Params.Code: %w: N=%d (1 to %d), C=%d (1 to %d), Eps1=%g (in (0, 0.5])",
			ErrParams, p.N, uint64(MaxCopies), p.C, MaxColluders, p.Eps1)
	}
	logInv := math.Log(float64(p.N) / p.Eps1)
	c := float64(p.C)
	m := math.Ceil(LengthConstant * c * c * logInv)
	if m > MaxLength {
		return Code{}, fmt.Errorf("tardos.Params.Code: %w: N=%d, C=%d, Eps1=%g need %.0f segments, a title holds at most %d: lower C or raise Eps1",
			ErrParams, p.N, p.C, p.Eps1, m, MaxLength)
	}
	logInvQ, err := FixedLogInv(p.N, p.Eps1)
	if err != nil {
		return Code{}, fmt.Errorf("tardos.Params.Code: %w", err)
	}
	return Code{M: int(m), Delta: Cutoff(p.C), LogInv: logInv, LogInvQ: logInvQ}, nil
}

// Cutoff is the bias cutoff δ = 1/(10·C + 10). Tardos's δ = 1/(300·C)
// keeps the colluders' loss small but makes single scores large (up to
// √(1/δ)), which the innocent-tail bound (Threshold) pays for; this δ is
// our choice, checked by the simulations in docs/tracing.md, not a
// constant from the papers.
func Cutoff(c int) float64 { return 1 / (10*float64(c) + 10) }

// Threshold is global Bernstein's bound in floating point, for tests and
// explanation; the threshold that decides is NewFixedScorer's (the ledger's),
// which rounds this up and may be lower (the per-position bound). It is the
// accusation threshold Z for a decision vector with
// `present` non-erased positions whose largest single score is at most b:
// the smallest Z with exp(−Z²/(2(present + b·Z/3))) ≤ exp(−logInv), by
// Bernstein's inequality (an innocent copy's per-position scores are
// independent, mean 0, variance 1, bounded by b), so an innocent copy's
// score exceeds Z with probability at most Eps1/N.
func Threshold(present int, b, logInv float64) float64 {
	a := logInv * b / 3
	return a + math.Sqrt(a*a+2*logInv*float64(present))
}

// Package accuse scores a title's opened copies against a leak's decisions
// and names the accused: it checks every opened signature against the
// network's group key and the copy's label, derives the title's biases and
// each copy's Tardos codeword from them, and scores (docs/tracing.md,
// "Opening" and "How to run a trace").
package accuse

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"copystation/custody"
	"copystation/tracing/tardos"
)

// ErrOpening: an opened signature is not the network's signature on the
// label it claims, so it opens nothing; the opening must be redone.
var ErrOpening = errors.New("opened signature does not verify")

// infoTitleSeed turns σ_title into the title's 32-byte bias seed.
const infoTitleSeed = "copystation tardos title seed v1"

// Title is the traced title as the ledger records it, with its opened
// tracing signature σ_title.
type Title struct {
	ChainID, ID string
	Params      tardos.Params
	Segments    int // forensic segments: the code length scored
	Sigma       custody.Signature
}

// Copy is one copy of the title, as its ledger record names it, with its
// opened σ_copy.
type Copy struct {
	JobID, TokenID, StationKeyID string
	Height, Time                 int64 // the spend's block height and time (Unix seconds)
	Sigma                        custody.Signature
}

// Accused is a copy whose score is above the threshold.
type Accused struct {
	Copy
	Score, Threshold float64
}

// Biases checks σ_title against the group key and the title's tracing
// label and derives the biases from it (TitleBiases), over every segment of
// the title; the parameters must need no more segments than it has.
func Biases(group *custody.Group, t Title) (tardos.Biases, tardos.Code, error) {
	code, err := t.Params.Code()
	if err != nil {
		return tardos.Biases{}, code, fmt.Errorf("accuse.Biases: %w", err)
	}
	if t.Segments < code.M || t.Segments > tardos.MaxLength {
		return tardos.Biases{}, code, fmt.Errorf("accuse.Biases: %w: title %s has %d segments, its parameters need %d to %d", tardos.ErrParams, t.ID, t.Segments, code.M, tardos.MaxLength)
	}
	code.M = t.Segments // every segment is a position: more only helps
	b, err := TitleBiases(group, t.ChainID, t.ID, t.Params.C, t.Segments, t.Sigma)
	return b, code, err
}

// TitleBiases checks σ_title against the group key and the label of title
// on chainID, and derives the biases of a code of m positions for
// coalitions of c: seed = HKDF-SHA256(IKM = σ_title, salt = "", info =
// "copystation tardos title seed v1", 32 bytes), then tardos.DeriveBiases
// with δ = tardos.Cutoff(c). It takes no logarithm, so the ledger runs it.
func TitleBiases(group *custody.Group, chainID, titleID string, c, m int, sigma custody.Signature) (tardos.Biases, error) {
	if c < 1 || c > tardos.MaxColluders {
		return tardos.Biases{}, fmt.Errorf("accuse.TitleBiases: %w: C=%d", tardos.ErrParams, c)
	}
	label, err := custody.TracingLabel(chainID, titleID)
	if err != nil {
		return tardos.Biases{}, fmt.Errorf("accuse.TitleBiases: %w", err)
	}
	if err := custody.Verify(group.Key(), label, sigma); err != nil {
		return tardos.Biases{}, fmt.Errorf("accuse.TitleBiases: %w: title %s: %w", ErrOpening, titleID, err)
	}
	raw, err := hkdf.Key(sha256.New, sigma[:], nil, infoTitleSeed, 32)
	if err != nil {
		return tardos.Biases{}, fmt.Errorf("accuse.TitleBiases: %w", err)
	}
	var seed [32]byte
	copy(seed[:], raw)
	clear(raw)
	b, err := tardos.DeriveBiases(seed, tardos.Code{M: m, Delta: tardos.Cutoff(c)})
	clear(seed[:])
	if err != nil {
		return b, fmt.Errorf("accuse.TitleBiases: %w", err)
	}
	return b, nil
}

// Codeword checks a copy's σ_copy against the group key and the copy's
// label and derives its Tardos codeword: the codeword seed of
// custody.DeriveCodeword (docs/key-custody.md, "Labels"), mapped through
// the title's biases by tardos.DeriveCodeword.
func Codeword(group *custody.Group, t Title, b tardos.Biases, c Copy) (tardos.Codeword, error) {
	return CopyCodeword(group, custody.CopyRecord{ChainID: t.ChainID, TitleID: t.ID, JobID: c.JobID, TokenID: c.TokenID, StationKeyID: c.StationKeyID}, b, c.Sigma)
}

// CopyCodeword is Codeword for a copy record and its σ_copy.
func CopyCodeword(group *custody.Group, rec custody.CopyRecord, b tardos.Biases, sigma custody.Signature) (tardos.Codeword, error) {
	label, err := rec.Label()
	if err != nil {
		return nil, fmt.Errorf("accuse.Codeword: %w", err)
	}
	if err := custody.Verify(group.Key(), label, sigma); err != nil {
		return nil, fmt.Errorf("accuse.Codeword: %w: copy %s: %w", ErrOpening, rec.JobID, err)
	}
	cw, err := custody.DeriveCodeword(sigma, 1)
	if err != nil {
		return nil, fmt.Errorf("accuse.Codeword: %w", err)
	}
	return tardos.DeriveCodeword(cw.Seed, b)
}

// Trace scores the opened copies against the leak's decisions and returns
// the accused, highest score first. Any signature that does not verify is
// an error (ErrOpening), never a skipped copy. Codewords are derived on
// every core.
func Trace(group *custody.Group, t Title, d tardos.Decisions, copies []Copy) ([]Accused, error) {
	b, code, err := Biases(group, t)
	if err != nil {
		return nil, err
	}
	sc, err := tardos.NewScorer(b, d, code)
	if err != nil {
		return nil, fmt.Errorf("accuse.Trace: %w", err)
	}
	cands := make([]tardos.Copy, len(copies))
	errs := make([]error, len(copies))
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(copies); i += workers {
				cw, err := Codeword(group, t, b, copies[i])
				cands[i], errs[i] = tardos.Copy{ID: uint64(i), Codeword: cw}, err
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("accuse.Trace: %w", err)
	}
	acc, err := sc.Accuse(cands)
	if err != nil {
		return nil, fmt.Errorf("accuse.Trace: %w", err)
	}
	out := make([]Accused, len(acc))
	for i, a := range acc {
		out[i] = Accused{Copy: copies[a.ID], Score: a.Score, Threshold: a.Threshold}
	}
	return out, nil
}

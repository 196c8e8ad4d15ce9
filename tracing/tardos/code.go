package tardos

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"

	"copystation/burn/titlepkg"
)

// HKDF info prefixes (docs/tracing.md). Each expansion is
// HKDF-Expand(PRK = seed, info = prefix ‖ u32(M) ‖ u32(block)), one block
// per run of positions, since one expansion yields at most 255·32 bytes.
const (
	infoBias     = "copystation tardos bias v1"
	infoCodeword = "copystation tardos codeword v1"
)

const maxExpand = 255 * sha256.Size

// Biases are a title's per-position biases, secret to the network. Bias i
// is held as a 32-bit threshold T[i]: a copy takes variant B at position i
// when its 32-bit draw u < T[i], so Pr[B] = T[i]/2³² exactly, and the score
// uses that same value: generation and scoring never disagree on p.
type Biases struct {
	T []uint32
}

// P is the bias of position i: Pr[variant B].
func (b Biases) P(i int) float64 { return float64(b.T[i]) / (1 << 32) }

// expand fills out with HKDF-Expand output of `width` bytes per position,
// block by block, and calls use(position, bytes) for each.
func expand(op string, seed [32]byte, prefix string, m, width int, use func(int, []byte)) error {
	per := maxExpand / width
	for block, start := 0, 0; start < m; block, start = block+1, start+per {
		n := min(per, m-start)
		info := binary.BigEndian.AppendUint32([]byte(prefix), uint32(m))
		info = binary.BigEndian.AppendUint32(info, uint32(block))
		out, err := hkdf.Expand(sha256.New, seed[:], string(info), n*width)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		for i := range n {
			use(start+i, out[i*width:(i+1)*width])
		}
		clear(out)
	}
	return nil
}

// DeriveBiases derives a title's biases from its 32-byte secret seed: for
// each position a 64-bit draw x (8 bytes, big-endian), u = ⌊x/2¹¹⌋/2⁵³
// uniform in [0,1), r = r₀ + u·(π/2 − 2r₀) with r₀ = asin(√δ), p = sin²r
// (Tardos's arcsine density, cut off to [δ, 1−δ]), T = ⌊p·2³²⌋.
func DeriveBiases(titleSeed [32]byte, code Code) (Biases, error) {
	if code.M < 1 || code.M > MaxLength || !(code.Delta > 0 && code.Delta < 0.5) {
		return Biases{}, fmt.Errorf("tardos.DeriveBiases: %w: M=%d (1 to %d), Delta=%g (in (0, 0.5))", ErrParams, code.M, MaxLength, code.Delta)
	}
	r0 := math.Asin(math.Sqrt(code.Delta))
	span := math.Pi/2 - 2*r0
	b := Biases{T: make([]uint32, code.M)}
	err := expand("tardos.DeriveBiases", titleSeed, infoBias, code.M, 8, func(i int, x []byte) {
		u := float64(binary.BigEndian.Uint64(x)>>11) / (1 << 53)
		// Explicit float64 conversions stop the compiler fusing
		// multiply-adds, so every platform derives the same bits.
		r := r0 + float64(u*span)
		s := math.Sin(r)
		b.T[i] = uint32(float64(s*s) * (1 << 32))
	})
	if err != nil {
		return Biases{}, err
	}
	return b, nil
}

// Codeword is a copy's codeword, one bit per position packed most
// significant bit first (titlepkg.CodewordBit's order): 0 = variant A,
// 1 = variant B.
type Codeword []byte

// Bit is the variant of position i.
func (c Codeword) Bit(i int) int { return titlepkg.CodewordBit(c, i) }

// DeriveCodeword maps a copy's 32-byte seed (custody's codeword seed) to its
// codeword under the title's biases: a 32-bit draw u per position (4 bytes,
// big-endian), bit i = [u < T[i]].
func DeriveCodeword(copySeed [32]byte, b Biases) (Codeword, error) {
	m := len(b.T)
	if m < 1 || m > MaxLength {
		return nil, fmt.Errorf("tardos.DeriveCodeword: %w: %d biases, want 1 to %d", ErrLength, m, MaxLength)
	}
	c := make(Codeword, (m+7)/8)
	err := expand("tardos.DeriveCodeword", copySeed, infoCodeword, m, 4, func(i int, x []byte) {
		if binary.BigEndian.Uint32(x) < b.T[i] {
			c[i/8] |= 0x80 >> (i % 8)
		}
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

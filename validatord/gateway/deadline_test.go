package gateway_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"testing"

	"copystation/protocol"
)

// shortReader hands out at most one byte per Read, as a reader is allowed
// to, so a caller that does not loop gets a partly filled buffer.
type shortReader struct{ r io.Reader }

func (s shortReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return s.r.Read(p)
}

// nonZeroReader is an endless stream with no zero byte, so a zero in the
// nonce can only be a byte the node never filled.
type nonZeroReader struct{}

func (nonZeroReader) Read(p []byte) (int, error) {
	if _, err := rand.Read(p); err != nil {
		return 0, err
	}
	for i := range p {
		p[i] |= 1
	}
	return len(p), nil
}

// TestChallengeNonceFromShortReads: a random source that returns one byte
// per Read still fills the whole challenge nonce.
func TestChallengeNonceFromShortReads(t *testing.T) {
	n := startNode(t, refusingLedger{}, nodeOpts{now: newClock().Now, random: shortReader{nonZeroReader{}}})
	s := dialRaw(t, n)
	if len(s.chal.Nonce) != protocol.NonceLen || bytes.IndexByte(s.chal.Nonce, 0) >= 0 {
		t.Fatalf("challenge nonce = %x, want %d bytes all drawn from the random source (none zero)", s.chal.Nonce, protocol.NonceLen)
	}
}

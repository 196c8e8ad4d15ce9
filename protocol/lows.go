package protocol

import (
	"bytes"
	"cmp"
	"crypto/elliptic"
	"encoding/asn1"
	"fmt"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// ECDSA signatures are malleable: if (r, s) verifies, so does (r, n-s), and
// an ASN.1 decoder may accept several encodings of one pair. A signature
// that names a ledger transaction must have one form, so Verify accepts only
// the DER encoding of the low-S pair (s <= n/2, as in Bitcoin's BIP 62 and
// Ethereum's EIP-2), and Sign turns whatever the signer (a TPM does not
// normalise) returns into that form.

var (
	p256N     = elliptic.P256().Params().N
	p256HalfN = new(big.Int).Rsh(p256N, 1)
)

type ecdsaSig struct{ R, S *big.Int }

// p256NBytes and p256HalfNBytes are n and n/2, 32 bytes big-endian, for
// comparing a signature's integers as they are encoded.
var (
	p256NBytes     = p256N.FillBytes(make([]byte, 32))
	p256HalfNBytes = p256HalfN.FillBytes(make([]byte, 32))
)

// checkLowS refuses a signature that is not the DER encoding of a pair with
// 1 <= r < n and 1 <= s <= n/2. cryptobyte reads DER strictly (minimal
// lengths and integers, no trailing bytes), as crypto/ecdsa does, so the
// one encoding of a pair is the only one read; its integers are compared as
// bytes, which costs a few hundred nanoseconds against encoding/asn1's
// reflection, big.Int and re-encoding, paid by every node for every
// statement (docs/benchmarks.md, issue 17, twenty-second session).
func checkLowS(sig []byte) error {
	var r, s []byte
	in := cryptobyte.String(sig)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() ||
		!seq.ReadASN1Integer(&r) || !seq.ReadASN1Integer(&s) || !seq.Empty() {
		return fmt.Errorf("%w: not one canonical ASN.1 DER ECDSA signature", ErrBadSignature)
	}
	if !inOrder(r) || !inOrder(s) {
		return fmt.Errorf("%w: r or s out of range", ErrBadSignature)
	}
	if cmpBE(s, p256HalfNBytes) > 0 {
		return fmt.Errorf("%w: s is above n/2 (the high-S twin of a signature); only low-S signatures are accepted", ErrBadSignature)
	}
	return nil
}

// inOrder reports whether a non-negative integer, big-endian without
// leading zeros (as cryptobyte returns it), is in [1, n-1].
func inOrder(x []byte) bool {
	return !(len(x) == 1 && x[0] == 0) && cmpBE(x, p256NBytes) < 0
}

// cmpBE compares a big-endian integer without leading zeros with a 32-byte
// one.
func cmpBE(x, y32 []byte) int {
	if len(x) != 32 {
		return cmp.Compare(len(x), 32)
	}
	return bytes.Compare(x, y32)
}

// lowS returns the canonical low-S DER form of a signature.
func lowS(sig []byte) ([]byte, error) {
	var v ecdsaSig
	rest, err := asn1.Unmarshal(sig, &v)
	if err != nil || len(rest) != 0 || v.R == nil || v.S == nil {
		return nil, fmt.Errorf("the signer returned a signature that is not ASN.1 DER ECDSA")
	}
	if v.S.Cmp(p256HalfN) > 0 {
		v.S = new(big.Int).Sub(p256N, v.S)
	}
	return asn1.Marshal(v)
}

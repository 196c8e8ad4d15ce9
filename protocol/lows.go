package protocol

import (
	"bytes"
	"crypto/elliptic"
	"encoding/asn1"
	"fmt"
	"math/big"
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

// parseSig decodes a DER signature, refusing any other encoding of it.
func parseSig(sig []byte) (*ecdsaSig, error) {
	var v ecdsaSig
	rest, err := asn1.Unmarshal(sig, &v)
	if err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: not one ASN.1 DER ECDSA signature", ErrBadSignature)
	}
	if v.R.Sign() <= 0 || v.S.Sign() <= 0 || v.R.Cmp(p256N) >= 0 || v.S.Cmp(p256N) >= 0 {
		return nil, fmt.Errorf("%w: r or s out of range", ErrBadSignature)
	}
	if der, err := asn1.Marshal(v); err != nil || !bytes.Equal(der, sig) {
		return nil, fmt.Errorf("%w: not the canonical DER encoding", ErrBadSignature)
	}
	return &v, nil
}

// checkLowS refuses a signature that is not canonical DER with s <= n/2.
func checkLowS(sig []byte) error {
	v, err := parseSig(sig)
	if err != nil {
		return err
	}
	if v.S.Cmp(p256HalfN) > 0 {
		return fmt.Errorf("%w: s is above n/2 (the high-S twin of a signature); only low-S signatures are accepted", ErrBadSignature)
	}
	return nil
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

package tpm

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
)

// ErrDigest is returned for a digest the signing key can't sign.
var ErrDigest = errors.New("tpm: the station key signs SHA-256 digests only")

// Signer returns the station's signing key as a crypto.Signer: ECDSA P-256
// over SHA-256 digests, ASN.1 DER signatures, one TPM2_Sign per signature.
func (s *Station) Signer() crypto.Signer { return signer{s} }

// KeyExchanger returns the station's key-agreement key: one TPM2_ECDH_ZGen
// per ECDH call.
func (s *Station) KeyExchanger() ecdh.KeyExchanger { return exchanger{s} }

// SigningPublicKey returns the signing key's public key.
func (s *Station) SigningPublicKey() *ecdsa.PublicKey {
	pub, _ := ecdsaPublic(&s.sign.public)
	return pub
}

// AgreementPublicKey returns the key-agreement key's public key.
func (s *Station) AgreementPublicKey() *ecdh.PublicKey {
	pub, _ := ecdhPublic(&s.agree.public)
	return pub
}

// SigningPublicSEC1 returns the signing key as an uncompressed SEC1 point
// (65 bytes), the form the ledger uses.
func (s *Station) SigningPublicSEC1() []byte {
	b, _ := s.SigningPublicKey().Bytes()
	return b
}

// AgreementPublicSEC1 returns the key-agreement key as an uncompressed SEC1
// point (65 bytes).
func (s *Station) AgreementPublicSEC1() []byte { return s.AgreementPublicKey().Bytes() }

type signer struct{ s *Station }

func (g signer) Public() crypto.PublicKey { return g.s.SigningPublicKey() }

func (g signer) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts == nil || opts.HashFunc() != crypto.SHA256 || len(digest) != 32 {
		return nil, fmt.Errorf("tpm.Signer.Sign: %w", ErrDigest)
	}
	var sig []byte
	err := g.s.use(func(t transport.TPM) error {
		rsp, err := tpm2.Sign{
			KeyHandle: g.s.sign.auth(),
			Digest:    tpm2.TPM2BDigest{Buffer: digest},
			InScheme: tpm2.TPMTSigScheme{
				Scheme:  tpm2.TPMAlgECDSA,
				Details: tpm2.NewTPMUSigScheme(tpm2.TPMAlgECDSA, &tpm2.TPMSSchemeHash{HashAlg: tpm2.TPMAlgSHA256}),
			},
			Validation: tpm2.TPMTTKHashCheck{Tag: tpm2.TPMSTHashCheck, Hierarchy: tpm2.TPMRHNull},
		}.Execute(t)
		if err != nil {
			return refused(t, g.s.sign, err)
		}
		sig, err = derSignature(&rsp.Signature)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("tpm2.Sign: %w", err)
	}
	return sig, nil
}

// refused explains a TPM refusal of k: a failed PCR policy becomes
// ErrPolicyMismatch saying which PCRs moved.
func refused(t transport.TPM, k *key, err error) error {
	if k.bound && errors.Is(err, tpm2.TPMRCPolicyFail) {
		return policyMismatch(t, k, err)
	}
	return err
}

// derSignature converts a TPM ECDSA signature to ASN.1 DER.
func derSignature(sig *tpm2.TPMTSignature) ([]byte, error) {
	e, err := sig.Signature.ECDSA()
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(struct{ R, S *big.Int }{
		new(big.Int).SetBytes(e.SignatureR.Buffer),
		new(big.Int).SetBytes(e.SignatureS.Buffer),
	})
}

type exchanger struct{ s *Station }

func (x exchanger) PublicKey() *ecdh.PublicKey { return x.s.AgreementPublicKey() }
func (x exchanger) Curve() ecdh.Curve          { return ecdh.P256() }

// ECDH returns the X coordinate of the shared point, 32 bytes, as
// crypto/ecdh does. The peer key was validated on the curve by crypto/ecdh.
func (x exchanger) ECDH(peer *ecdh.PublicKey) ([]byte, error) {
	if peer == nil || peer.Curve() != ecdh.P256() {
		return nil, fmt.Errorf("tpm.KeyExchanger.ECDH: peer key is not P-256")
	}
	raw := peer.Bytes() // 0x04 || X || Y
	in := tpm2.TPMSECCPoint{
		X: tpm2.TPM2BECCParameter{Buffer: raw[1:33]},
		Y: tpm2.TPM2BECCParameter{Buffer: raw[33:65]},
	}
	var out []byte
	err := x.s.use(func(t transport.TPM) error {
		rsp, err := tpm2.ECDHZGen{KeyHandle: x.s.agree.auth(), InPoint: tpm2.New2B(in)}.Execute(t)
		if err != nil {
			return refused(t, x.s.agree, err)
		}
		p, err := rsp.OutPoint.Contents()
		if err != nil {
			return err
		}
		if len(p.X.Buffer) > 32 {
			return fmt.Errorf("%w: shared X is %d bytes", ErrTransport, len(p.X.Buffer))
		}
		out = make([]byte, 32)
		copy(out[32-len(p.X.Buffer):], p.X.Buffer)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("tpm2.ECDH_ZGen: %w", err)
	}
	return out, nil
}

func eccPoint(pub *tpm2.TPMTPublic) (*tpm2.TPMSECCParms, *tpm2.TPMSECCPoint, error) {
	if pub.Type != tpm2.TPMAlgECC {
		return nil, nil, fmt.Errorf("key type %v, want ECC", pub.Type)
	}
	parms, err := pub.Parameters.ECCDetail()
	if err != nil {
		return nil, nil, err
	}
	if parms.CurveID != tpm2.TPMECCNistP256 {
		return nil, nil, fmt.Errorf("curve %v, want NIST P-256", parms.CurveID)
	}
	pt, err := pub.Unique.ECC()
	if err != nil {
		return nil, nil, err
	}
	return parms, pt, nil
}

func ecdsaPublic(pub *tpm2.TPMTPublic) (*ecdsa.PublicKey, error) {
	parms, pt, err := eccPoint(pub)
	if err != nil {
		return nil, err
	}
	k, err := tpm2.ECDSAPub(parms, pt)
	if err != nil {
		return nil, err
	}
	if _, err := k.Bytes(); err != nil || k.Curve != elliptic.P256() {
		return nil, fmt.Errorf("public point not on P-256")
	}
	return k, nil
}

func ecdhPublic(pub *tpm2.TPMTPublic) (*ecdh.PublicKey, error) {
	parms, pt, err := eccPoint(pub)
	if err != nil {
		return nil, err
	}
	return tpm2.ECDHPub(parms, pt)
}

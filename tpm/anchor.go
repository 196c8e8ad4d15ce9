package tpm

import (
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"math/big"
	"time"

	"github.com/google/go-tpm/tpm2"
)

// oidSubjectAltName is critical in EK certificates (it names the TPM model);
// x509 leaves it unhandled when the SAN holds only directory names.
var oidSubjectAltName = asn1.ObjectIdentifier{2, 5, 29, 17}

// anchorEK decides why the operator may trust the EK: a certificate chaining
// to a manufacturer root, a recorded fingerprint, or (demo only) nothing.
func anchorEK(req *EnrollmentRequest, ek *tpm2.TPMTPublic, opts VerifyOptions) (string, error) {
	if !sameShape(ek, &tpm2.ECCEKTemplate) && !sameShape(ek, &tpm2.RSAEKTemplate) {
		return "", reject("EK is not made from a standard EK template")
	}
	if len(req.EK.Certificate) > 0 {
		cert, err := x509.ParseCertificate(req.EK.Certificate)
		if err != nil {
			return "", reject("EK certificate: %v", err)
		}
		pub, err := tpm2.Pub(*ek)
		if err != nil {
			return "", reject("EK public key: %v", err)
		}
		if k, ok := pub.(interface{ Equal(crypto.PublicKey) bool }); !ok || !k.Equal(cert.PublicKey) {
			return "", reject("EK certificate is for another key")
		}
		if opts.EKRoots != nil {
			var unhandled []asn1.ObjectIdentifier
			for _, o := range cert.UnhandledCriticalExtensions {
				if !o.Equal(oidSubjectAltName) {
					unhandled = append(unhandled, o)
				}
			}
			cert.UnhandledCriticalExtensions = unhandled
			now := opts.Now
			if now.IsZero() {
				now = time.Now()
			}
			_, err := cert.Verify(x509.VerifyOptions{
				Roots: opts.EKRoots, Intermediates: opts.EKIntermediates,
				CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
			})
			if err != nil {
				return "", reject("EK certificate does not chain to a trusted manufacturer root: %v", err)
			}
			return "certificate", nil
		}
	}
	if opts.KnownEKs[EKFingerprint(req.EK.Public)] {
		return "known", nil
	}
	if opts.AllowUnanchoredEK {
		return "unanchored", nil
	}
	return "", reject("the EK is not anchored: give the manufacturer roots (EK certificate) or record the EK fingerprint %s when provisioning", EKFingerprint(req.EK.Public))
}

func bigInt(b []byte) *big.Int { return new(big.Int).SetBytes(b) }

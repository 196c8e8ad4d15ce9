package tpm

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/google/go-tpm/tpm2"
)

// MaxRequestLen bounds an enrollment request file.
const MaxRequestLen = 64 << 10

// VerifyOptions say what the operator trusts.
type VerifyOptions struct {
	// Nonce, when set, must equal the request's nonce: the operator gave it
	// to the station, so the evidence is fresh.
	Nonce []byte
	// EKRoots are the TPM manufacturers' root CAs (and EKIntermediates
	// their intermediates); an EK certificate chaining to them anchors the
	// EK.
	EKRoots, EKIntermediates *x509.CertPool
	// KnownEKs anchors EKs by the hex SHA-256 of their TPM2B_PUBLIC
	// contents (EKFingerprint), as recorded when the operator provisioned
	// the machine; the way to anchor a TPM without an EK certificate.
	KnownEKs map[string]bool
	// AllowUnanchoredEK accepts an EK that neither anchors: for the demo
	// and tests only (anyone can then enroll a software "TPM").
	AllowUnanchoredEK bool
	// ExpectedPCRs, when set, are the values (SHA-256 bank, 32 bytes) the
	// operator expects for some or all of StationPCRs on this kind of
	// machine; the quoted values must equal them. Without it, the operator
	// records VerifiedStation.PCRs.
	ExpectedPCRs map[int][]byte
	// Now is the time for certificate validity (time.Now when zero).
	Now time.Time
}

// VerifiedStation is what VerifyEvidence proved.
type VerifiedStation struct {
	SigningKey   []byte // uncompressed SEC1, 65 bytes
	AgreementKey []byte // uncompressed SEC1, 65 bytes
	// EKFingerprint is the hex SHA-256 of the EK's public area.
	EKFingerprint string
	// EKAnchor says what anchored the EK: "certificate", "known" or
	// "unanchored".
	EKAnchor string
	// TPM is the TPM's description as the station reported it: not
	// authenticated (a TPM obfuscates firmwareVersion in certifications by
	// an owner-hierarchy key, so it can't be checked there).
	TPM TPMInfo
	// PCRs are the quoted values of StationPCRs, the boot state both
	// station keys are bound to.
	PCRs map[int][]byte
}

// ParseEnrollmentRequest decodes a request file strictly: bounded size, no
// unknown fields, one JSON value.
func ParseEnrollmentRequest(b []byte) (*EnrollmentRequest, error) {
	var req EnrollmentRequest
	if err := strictJSON(b, &req); err != nil {
		return nil, fmt.Errorf("tpm.ParseEnrollmentRequest: %w", err)
	}
	return &req, nil
}

func reject(format string, a ...any) error {
	return fmt.Errorf("tpm.VerifyEvidence: %w: %s", ErrEvidence, fmt.Sprintf(format, a...))
}

// VerifyEvidence checks, without trusting the station, that the request's
// signing and key-agreement keys were created inside the TPM whose EK it
// names and can't leave it. The trust chain (docs/tpm.md): the EK is
// anchored by its certificate or by the operator's record; the station keys'
// names (which cover their attributes) are certified by a restricted
// attestation key under the same storage root key; the attestation key's
// tie to the EK is proved by NewCredentialChallenge and CheckActivation,
// which the operator must run before enrolling.
func VerifyEvidence(req *EnrollmentRequest, opts VerifyOptions) (*VerifiedStation, error) {
	if req == nil || req.Version != EnrollmentVersion {
		return nil, reject("unsupported request version")
	}
	if opts.Nonce != nil && subtle.ConstantTimeCompare(opts.Nonce, req.Nonce) != 1 {
		return nil, reject("nonce is not the one the operator gave")
	}
	ek, ekName, err := parsePublic(req.EK.Public, "EK")
	if err != nil {
		return nil, err
	}
	out := &VerifiedStation{TPM: req.TPM, EKFingerprint: EKFingerprint(req.EK.Public)}
	if out.EKAnchor, err = anchorEK(req, ek, opts); err != nil {
		return nil, err
	}
	srk, srkName, err := parsePublic(req.SRKPublic, "SRK")
	if err != nil {
		return nil, err
	}
	if !sameShape(srk, &tpm2.ECCSRKTemplate) {
		return nil, reject("SRK is not made from the standard ECC SRK template")
	}
	srkQN := qualifiedName(tpm2.HandleName(tpm2.TPMRHOwner).Buffer, srkName)
	ak, akName, err := parsePublic(req.AKPublic, "AK")
	if err != nil {
		return nil, err
	}
	if !sameShape(ak, ptr(attestationTemplate())) {
		return nil, reject("attestation key is not a restricted, TPM-resident ECDSA P-256 key")
	}
	akKey, err := ecdsaPublic(ak)
	if err != nil {
		return nil, reject("attestation key: %v", err)
	}
	akQN := qualifiedName(srkQN, akName)
	qd := qualifyingData(req.Nonce, ekName)
	pcrs, err := verifyQuote(&req.PCRQuote, akQN, akKey, qd, opts.ExpectedPCRs)
	if err != nil {
		return nil, err
	}
	out.PCRs = pcrs.byNumber()
	for _, c := range []struct {
		role string
		ck   *CertifiedKey
		tmpl tpm2.TPMTPublic
		out  *[]byte
	}{
		{"signing key", &req.SigningKey, signingTemplate(), &out.SigningKey},
		{"agreement key", &req.AgreementKey, agreementTemplate(), &out.AgreementKey},
	} {
		// The key's name covers its authPolicy: it must be PolicyPCR
		// over the very values the TPM just quoted.
		tmpl, err := boundTemplate(c.tmpl, pcrs)
		if err != nil {
			return nil, reject("%s: %v", c.role, err)
		}
		pub, err := verifyCertified(c.role, c.ck, &tmpl, srkQN, akQN, akKey, qd)
		if err != nil {
			return nil, err
		}
		*c.out = pub
	}
	return out, nil
}

// verifyCertified checks one station key: its attributes, its TPM2_Certify
// by the AK (name, qualified name under the SRK, qualifying data) and the
// AK's signature. It returns the key as SEC1.
func verifyCertified(role string, ck *CertifiedKey, want *tpm2.TPMTPublic, srkQN, akQN []byte, ak *ecdsa.PublicKey, qd []byte) ([]byte, error) {
	pub, name, err := parsePublic(ck.Public, role)
	if err != nil {
		return nil, err
	}
	if !sameShape(pub, want) {
		if w := *want; func() bool { w.AuthPolicy = pub.AuthPolicy; return sameShape(pub, &w) }() {
			return nil, reject("%s is not bound to the quoted PCR values (its policy is not PolicyPCR over them): re-provision the station keys in the boot state the station runs", role)
		}
		return nil, reject("%s attributes are not fixedTPM|fixedParent|sensitiveDataOrigin P-256 %s without userWithAuth", role, role)
	}
	attest, err := verifyAttest(role+" certify_info", ck.CertifyInfo, ck.Signature, tpm2.TPMSTAttestCertify, akQN, ak, qd)
	if err != nil {
		return nil, err
	}
	cert, err := attest.Attested.Certify()
	if err != nil {
		return nil, reject("%s certify_info: %v", role, err)
	}
	switch {
	case !bytes.Equal(cert.Name.Buffer, name):
		return nil, reject("%s is not the key the TPM certified", role)
	case !bytes.Equal(cert.QualifiedName.Buffer, qualifiedName(srkQN, name)):
		return nil, reject("%s was not loaded under the station's storage root key", role)
	}
	if want.ObjectAttributes.Decrypt {
		k, err := ecdhPublic(pub)
		if err != nil {
			return nil, reject("%s: %v", role, err)
		}
		return k.Bytes(), nil
	}
	k, err := ecdsaPublic(pub)
	if err != nil {
		return nil, reject("%s: %v", role, err)
	}
	b, err := k.Bytes()
	if err != nil {
		return nil, reject("%s: %v", role, err)
	}
	return b, nil
}

// parsePublic parses a TPM2B_PUBLIC, insisting on a canonical encoding so
// the attributes checked are exactly those the name hashes, and returns the
// name (nameAlg || SHA-256 of the public area).
func parsePublic(b []byte, what string) (*tpm2.TPMTPublic, []byte, error) {
	p2b, err := tpm2.Unmarshal[tpm2.TPM2BPublic](b)
	if err != nil || !bytes.Equal(tpm2.Marshal(p2b), b) {
		return nil, nil, reject("%s is not a TPM2B_PUBLIC", what)
	}
	pub, err := p2b.Contents()
	if err != nil || !bytes.Equal(tpm2.Marshal(pub), p2b.Bytes()) {
		return nil, nil, reject("%s public area is malformed", what)
	}
	if pub.NameAlg != tpm2.TPMAlgSHA256 {
		return nil, nil, reject("%s name algorithm is not SHA-256", what)
	}
	sum := sha256.Sum256(p2b.Bytes())
	return pub, append(binary.BigEndian.AppendUint16(nil, uint16(tpm2.TPMAlgSHA256)), sum[:]...), nil
}

// qualifiedName is QN(child) = nameAlg || SHA-256(QN(parent) || Name(child))
// (Part 1, 16.6); a hierarchy's QN is its handle.
func qualifiedName(parentQN, name []byte) []byte {
	h := sha256.New()
	h.Write(parentQN)
	h.Write(name)
	return h.Sum(binary.BigEndian.AppendUint16(nil, uint16(tpm2.TPMAlgSHA256)))
}

// sameShape compares everything but the unique field (the key itself).
func sameShape(got, want *tpm2.TPMTPublic) bool {
	g, w := *got, *want
	g.Unique, w.Unique = tpm2.TPMUPublicID{}, tpm2.TPMUPublicID{}
	return bytes.Equal(tpm2.Marshal(g), tpm2.Marshal(w))
}

// EKFingerprint is the hex SHA-256 of an EK's TPM2B_PUBLIC as carried in a
// request; operators record it for TPMs without an EK certificate.
func EKFingerprint(ekPublic []byte) string {
	sum := sha256.Sum256(ekPublic)
	return hex.EncodeToString(sum[:])
}

func ptr[T any](v T) *T { return &v }

// CredentialChallenge is the operator's TPM2_MakeCredential equivalent: a
// secret encrypted to the request's EK and bound to its attestation key's
// name. Only that TPM with that attestation key loaded can recover it.
type CredentialChallenge struct {
	Version         int    `json:"version"`
	CredentialBlob  []byte `json:"credential_blob"`  // TPM2B_ID_OBJECT contents
	EncryptedSecret []byte `json:"encrypted_secret"` // TPM2B_ENCRYPTED_SECRET contents
}

// NewCredentialChallenge makes a challenge for a request VerifyEvidence
// accepted, with randomness from rand. The operator keeps the secret and
// compares it with the station's answer using CheckActivation.
func NewCredentialChallenge(rand io.Reader, req *EnrollmentRequest) (*CredentialChallenge, []byte, error) {
	ek, _, err := parsePublic(req.EK.Public, "EK")
	if err != nil {
		return nil, nil, err
	}
	_, akName, err := parsePublic(req.AKPublic, "AK")
	if err != nil {
		return nil, nil, err
	}
	encap, err := tpm2.ImportEncapsulationKey(ek)
	if err != nil {
		return nil, nil, fmt.Errorf("tpm.NewCredentialChallenge: %w: EK: %v", ErrEvidence, err)
	}
	secret := make([]byte, 32)
	if _, err := io.ReadFull(rand, secret); err != nil {
		return nil, nil, fmt.Errorf("tpm.NewCredentialChallenge: %w", err)
	}
	blob, encSecret, err := tpm2.CreateCredential(rand, encap, akName, secret)
	if err != nil {
		return nil, nil, fmt.Errorf("tpm.NewCredentialChallenge: %w", err)
	}
	return &CredentialChallenge{Version: EnrollmentVersion, CredentialBlob: blob, EncryptedSecret: encSecret}, secret, nil
}

// CheckActivation compares the station's answer with the challenge secret.
func CheckActivation(secret, answer []byte) error {
	if len(secret) == 0 || subtle.ConstantTimeCompare(secret, answer) != 1 {
		return fmt.Errorf("tpm.CheckActivation: %w: the attestation key is not in the TPM of the request's EK", ErrEvidence)
	}
	return nil
}

package tpm

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"slices"

	"github.com/google/go-tpm/tpm2"
)

// verifyAttest checks a TPM2B_ATTEST and its TPMT_SIGNATURE by the
// attestation key: canonical encoding, made by the TPM (TPM_GENERATED_VALUE:
// a restricted key signs nothing else that starts so), of type typ, for this
// EK and nonce (qd), signed by the AK whose qualified name is akQN.
func verifyAttest(what string, attestB, sigB []byte, typ tpm2.TPMISTAttest, akQN []byte, ak *ecdsa.PublicKey, qd []byte) (*tpm2.TPMSAttest, error) {
	attest2B, err := tpm2.Unmarshal[tpm2.TPM2BAttest](attestB)
	if err != nil || !bytes.Equal(tpm2.Marshal(attest2B), attestB) {
		return nil, reject("%s is not a TPM2B_ATTEST", what)
	}
	attest, err := attest2B.Contents()
	if err != nil || attest.Magic != tpm2.TPMGeneratedValue || attest.Type != typ {
		return nil, reject("%s is not a TPM-generated attestation of the right type", what)
	}
	switch {
	case !bytes.Equal(attest.ExtraData.Buffer, qd):
		return nil, reject("%s was made for another EK or nonce", what)
	case !bytes.Equal(attest.QualifiedSigner.Buffer, akQN):
		return nil, reject("%s was signed by another attestation key", what)
	}
	sig, err := tpm2.Unmarshal[tpm2.TPMTSignature](sigB)
	if err != nil {
		return nil, reject("%s signature: %v", what, err)
	}
	es, err := sig.Signature.ECDSA()
	if err != nil || sig.SigAlg != tpm2.TPMAlgECDSA || es.Hash != tpm2.TPMAlgSHA256 {
		return nil, reject("%s signature is not ECDSA SHA-256", what)
	}
	digest := sha256.Sum256(attest2B.Bytes())
	if !ecdsa.Verify(ak, digest[:], bigInt(es.SignatureR.Buffer), bigInt(es.SignatureS.Buffer)) {
		return nil, reject("%s signature does not verify", what)
	}
	return attest, nil
}

// verifyQuote checks the request's PCR quote: the AK's signature, the nonce
// and EK, that it covers exactly StationPCRs, that the reported values are
// the quoted ones, and that they equal those the operator expects. It
// returns the values the station keys' policy must be made of.
func verifyQuote(q *PCRQuote, akQN []byte, ak *ecdsa.PublicKey, qd []byte, expected map[int][]byte) (*pcrValues, error) {
	if !slices.Equal(q.PCRs, StationPCRs) || len(q.Values) != len(q.PCRs) {
		return nil, reject("pcr_quote covers PCRs %v, want %v with one value each", q.PCRs, StationPCRs)
	}
	v := &pcrValues{pcrs: q.PCRs, values: q.Values}
	for i, d := range v.values {
		if len(d) != sha256.Size {
			return nil, reject("pcr_quote: PCR %d value is %d bytes, want %d", v.pcrs[i], len(d), sha256.Size)
		}
	}
	attest, err := verifyAttest("pcr_quote", q.Quoted, q.Signature, tpm2.TPMSTAttestQuote, akQN, ak, qd)
	if err != nil {
		return nil, err
	}
	info, err := attest.Attested.Quote()
	if err != nil {
		return nil, reject("pcr_quote: %v", err)
	}
	sel, _, err := pcrSelection(v.pcrs)
	if err != nil {
		return nil, reject("pcr_quote: %v", err)
	}
	if !bytes.Equal(tpm2.Marshal(info.PCRSelect), tpm2.Marshal(sel)) {
		return nil, reject("pcr_quote: the TPM quoted another PCR selection than the one reported")
	}
	if !bytes.Equal(info.PCRDigest.Buffer, v.digest()) {
		return nil, reject("pcr_quote: the reported PCR values are not the quoted ones")
	}
	for pcr, want := range expected {
		i := slices.Index(v.pcrs, pcr)
		if i < 0 {
			return nil, reject("the operator expects PCR %d, which the station keys are not bound to (they are bound to %v)", pcr, StationPCRs)
		}
		if !bytes.Equal(v.values[i], want) {
			return nil, reject("PCR %d is %x, the operator expects %x: the station did not boot the expected firmware, boot loader or Secure Boot policy", pcr, v.values[i], want)
		}
	}
	return v, nil
}

// byNumber returns the values keyed by PCR number.
func (v *pcrValues) byNumber() map[int][]byte {
	m := make(map[int][]byte, len(v.pcrs))
	for i, p := range v.pcrs {
		m[p] = bytes.Clone(v.values[i])
	}
	return m
}

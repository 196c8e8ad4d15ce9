package validatord

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-tpm/tpm2"

	"copystation/tpm"
)

// softwareAKRequest forges what anyone can make from a genuine TPM's public
// EK: an "attestation key" in software whose public area claims a
// restricted, TPM-resident key, certifying two software station keys with
// the genuine EK's name and the operator's nonce in the qualifying data.
// Evidence checks alone accept it; only credential activation tells.
func softwareAKRequest(t *testing.T, genuine *tpm.EnrollmentRequest, nonce []byte) *tpm.EnrollmentRequest {
	t.Helper()
	f := *genuine
	ak, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var akName []byte
	f.AKPublic, akName = withSoftwareKey(t, genuine.AKPublic, &ak.PublicKey)
	ownerQN := tpm2.HandleName(tpm2.TPMRHOwner).Buffer
	srkQN := qn(ownerQN, publicName(t, genuine.SRKPublic))
	akQN := qn(srkQN, akName)
	h := sha256.New()
	h.Write([]byte("copystation tpm-enroll v1"))
	h.Write(binary.BigEndian.AppendUint16(nil, uint16(len(nonce))))
	h.Write(nonce)
	h.Write(publicName(t, genuine.EK.Public))
	qd := h.Sum(nil)
	for _, ck := range []*tpm.CertifiedKey{&f.SigningKey, &f.AgreementKey} {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pub, name := withSoftwareKey(t, ck.Public, &k.PublicKey)
		attest := tpm2.TPMSAttest{
			Magic: tpm2.TPMGeneratedValue, Type: tpm2.TPMSTAttestCertify,
			QualifiedSigner: tpm2.TPM2BName{Buffer: akQN},
			ExtraData:       tpm2.TPM2BData{Buffer: qd},
			Attested: tpm2.NewTPMUAttest(tpm2.TPMSTAttestCertify, &tpm2.TPMSCertifyInfo{
				Name: tpm2.TPM2BName{Buffer: name}, QualifiedName: tpm2.TPM2BName{Buffer: qn(srkQN, name)}}),
		}
		*ck = tpm.CertifiedKey{Public: pub, CertifyInfo: tpm2.Marshal(tpm2.New2B(attest)), Signature: softwareSign(t, ak, attest)}
	}
	// The software AK quotes the genuine PCR values, which the genuine
	// keys' policy (kept in their public areas) is made of.
	digest := sha256.New()
	for _, v := range genuine.PCRQuote.Values {
		digest.Write(v)
	}
	quote := tpm2.TPMSAttest{
		Magic: tpm2.TPMGeneratedValue, Type: tpm2.TPMSTAttestQuote,
		QualifiedSigner: tpm2.TPM2BName{Buffer: akQN},
		ExtraData:       tpm2.TPM2BData{Buffer: qd},
		Attested: tpm2.NewTPMUAttest(tpm2.TPMSTAttestQuote, &tpm2.TPMSQuoteInfo{
			PCRSelect: tpm2.TPMLPCRSelection{PCRSelections: []tpm2.TPMSPCRSelection{
				{Hash: tpm2.TPMAlgSHA256, PCRSelect: tpm2.PCClientCompatible.PCRs(0, 2, 4, 7)}}},
			PCRDigest: tpm2.TPM2BDigest{Buffer: digest.Sum(nil)}}),
	}
	f.PCRQuote.Quoted = tpm2.Marshal(tpm2.New2B(quote))
	f.PCRQuote.Signature = softwareSign(t, ak, quote)
	return &f
}

// softwareSign is a TPMT_SIGNATURE by a software key over a TPMS_ATTEST.
func softwareSign(t *testing.T, ak *ecdsa.PrivateKey, attest tpm2.TPMSAttest) []byte {
	t.Helper()
	d := sha256.Sum256(tpm2.Marshal(attest))
	r, s, err := ecdsa.Sign(rand.Reader, ak, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return tpm2.Marshal(tpm2.TPMTSignature{SigAlg: tpm2.TPMAlgECDSA,
		Signature: tpm2.NewTPMUSignature(tpm2.TPMAlgECDSA, &tpm2.TPMSSignatureECC{Hash: tpm2.TPMAlgSHA256,
			SignatureR: tpm2.TPM2BECCParameter{Buffer: r.Bytes()}, SignatureS: tpm2.TPM2BECCParameter{Buffer: s.Bytes()}})})
}

// withSoftwareKey is the public area of tmpl2B with its key replaced by k,
// and its name.
func withSoftwareKey(t *testing.T, tmpl2B []byte, k *ecdsa.PublicKey) ([]byte, []byte) {
	t.Helper()
	p2b, err := tpm2.Unmarshal[tpm2.TPM2BPublic](tmpl2B)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := p2b.Contents()
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := k.Bytes()
	pub.Unique = tpm2.NewTPMUPublicID(tpm2.TPMAlgECC, &tpm2.TPMSECCPoint{
		X: tpm2.TPM2BECCParameter{Buffer: raw[1:33]}, Y: tpm2.TPM2BECCParameter{Buffer: raw[33:]}})
	out := tpm2.Marshal(tpm2.New2B(*pub))
	return out, publicName(t, out)
}

// publicName is a TPM2B_PUBLIC's name: nameAlg SHA-256 || SHA-256(area).
func publicName(t *testing.T, b []byte) []byte {
	t.Helper()
	p2b, err := tpm2.Unmarshal[tpm2.TPM2BPublic](b)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(p2b.Bytes())
	return append([]byte{0, byte(tpm2.TPMAlgSHA256)}, sum[:]...)
}

// qn is a qualified name (TPM 2.0 Part 1, 16.6).
func qn(parentQN, name []byte) []byte {
	h := sha256.New()
	h.Write(parentQN)
	h.Write(name)
	return h.Sum([]byte{0, byte(tpm2.TPMAlgSHA256)})
}

func keyID(pub []byte) string {
	d := sha256.Sum256(pub)
	return hex.EncodeToString(d[:16])
}

// refuseSoftwareAK shows a request whose attestation key is software,
// carrying the genuine EK of the reference TPM in dir/tpmsim, passes every
// evidence check and is still never enrolled: not in one step (there is
// none without the lab flag) and not in two, since the genuine TPM cannot
// activate a credential bound to a key it does not hold.
func refuseSoftwareAK(t *testing.T, c *cli, dir string, st *tpm.Station, genuine *tpm.EnrollmentRequest, nonce []byte) {
	t.Helper()
	forged := softwareAKRequest(t, genuine, nonce)
	vs, err := tpm.VerifyEvidence(forged, tpm.VerifyOptions{Nonce: nonce, AllowUnanchoredEK: true})
	if err != nil {
		t.Fatalf("VerifyEvidence(software AK with the genuine EK) = %v; the forgery is meant to pass evidence checks", err)
	}
	js, _ := json.Marshal(forged)
	reqFile := filepath.Join(dir, "forged.json")
	os.WriteFile(reqFile, js, 0o600)
	base := []string{"station", "enroll", "--home", c.home, "--kek-file", c.kek, "--request", reqFile, "--allow-unanchored", "--nonce", hex.EncodeToString(nonce)}
	if code, _, errs := c.run(base...); code != ExitUsage || !strings.Contains(errs, "two steps") {
		t.Errorf("station enroll (one step, no flag) of a software AK = %d %q, want %d and the two-step procedure", code, errs, ExitUsage)
	}
	chFile := filepath.Join(dir, "forged-challenge.json")
	c.ok(append(base, "--challenge-out", chFile)...)
	chRaw, _ := os.ReadFile(chFile)
	ch, err := tpm.ParseCredentialChallenge(chRaw)
	if err != nil {
		t.Fatalf("challenge file: %v", err)
	}
	if _, err := st.ActivateCredential(ch); err == nil {
		t.Errorf("the genuine TPM activated a credential bound to a software AK")
	}
	ansFile := filepath.Join(dir, "forged-answer.json")
	guess, _ := json.Marshal(tpm.ActivationAnswer{Version: tpm.EnrollmentVersion, Secret: make([]byte, 32)})
	os.WriteFile(ansFile, guess, 0o600)
	if code, _, errs := c.run(append(base[:len(base)-2], "--challenge", chFile, "--answer", ansFile)...); code != ExitFailed || !strings.Contains(errs, "tpm.CheckActivation") {
		t.Errorf("station enroll step 2 of a software AK = %d %q, want %d and an activation refusal", code, errs, ExitFailed)
	}
	if code, _, errs := c.run("station", "show", "--home", c.home, "--id", keyID(vs.SigningKey)); code != ExitFailed || !strings.Contains(errs, "not found") {
		t.Errorf("station show of the forged station = %d %q, want not found", code, errs)
	}
}

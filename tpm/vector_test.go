package tpm

import (
	"bytes"
	"crypto/hpke"
	"encoding/hex"
	"testing"

	"github.com/google/go-tpm/tpm2"
)

// RFC 9180 test vector, mode 0, DHKEM(P-256, HKDF-SHA256), HKDF-SHA256,
// AES-256-GCM, encryption 0 (CFRG draft-irtf-cfrg-hpke test-vectors.json);
// the same vector keys/ checks in software.
const (
	vecInfo = "4f6465206f6e2061204772656369616e2055726e"
	vecSkRm = "317f915db7bc629c48fe765587897e01e282d3e8445f79f27f65d031a88082b2"
	vecPkRm = "04abc7e49a4c6b3566d77d0304addc6ed0e98512ffccf505e6a8e3eb25c685136f853148544876de76c0f2ef99cdc3a05ccf5ded7860c7c021238f9e2073d2356c"
	vecEnc  = "04c06b4f6bebc7bb495cb797ab753f911aff80aefb86fd8b6fcc35525f3ab5f03e0b21bd31a86c6048af3cb2d98e0d3bf01da5cc4c39ff5370d331a4f1f7d5a4e0"
	vecAad  = "436f756e742d30"
	vecPt   = "4265617574792069732074727574682c20747275746820626561757479"
	vecCt   = "58c61a45059d0c5704560e9d88b564a8b63f1364b8d1fcb3c4c6ddc1d291742465e902cd216f8908da49f8f96f"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHPKEVectorThroughTPM loads the vector's recipient key into the TPM
// (TPM2_LoadExternal; test only, a station key is never external) and opens
// the vector's ciphertext with TPM2_ECDH_ZGen doing the DH.
func TestHPKEVectorThroughTPM(t *testing.T) {
	tp, err := OpenSimulator(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Close()
	pk := unhex(t, vecPkRm)
	tmpl := tpm2.TPMTPublic{
		Type:             tpm2.TPMAlgECC,
		NameAlg:          tpm2.TPMAlgSHA256,
		ObjectAttributes: tpm2.TPMAObject{UserWithAuth: true, Decrypt: true, NoDA: true},
		Parameters: tpm2.NewTPMUPublicParms(tpm2.TPMAlgECC, &tpm2.TPMSECCParms{
			CurveID: tpm2.TPMECCNistP256, Scheme: tpm2.TPMTECCScheme{Scheme: tpm2.TPMAlgNull},
		}),
		Unique: tpm2.NewTPMUPublicID(tpm2.TPMAlgECC, &tpm2.TPMSECCPoint{
			X: tpm2.TPM2BECCParameter{Buffer: pk[1:33]}, Y: tpm2.TPM2BECCParameter{Buffer: pk[33:]}}),
	}
	rsp, err := tpm2.LoadExternal{
		InPrivate: tpm2.New2B(tpm2.TPMTSensitive{
			SensitiveType: tpm2.TPMAlgECC,
			Sensitive:     tpm2.NewTPMUSensitiveComposite(tpm2.TPMAlgECC, &tpm2.TPM2BECCParameter{Buffer: unhex(t, vecSkRm)}),
		}),
		InPublic:  tpm2.New2B(tmpl),
		Hierarchy: tpm2.TPMRHNull,
	}.Execute(tp)
	if err != nil {
		t.Fatalf("LoadExternal(skRm) = %v", err)
	}
	defer tpm2.FlushContext{FlushHandle: rsp.ObjectHandle}.Execute(tp)
	st := &Station{t: tp, agree: &key{handle: rsp.ObjectHandle, name: rsp.Name, public: tmpl}}
	priv, err := hpke.NewDHKEMPrivateKey(st.KeyExchanger())
	if err != nil {
		t.Fatal(err)
	}
	r, err := hpke.NewRecipient(unhex(t, vecEnc), priv, hpke.HKDFSHA256(), hpke.AES256GCM(), unhex(t, vecInfo))
	if err != nil {
		t.Fatalf("NewRecipient() = %v", err)
	}
	pt, err := r.Open(unhex(t, vecAad), unhex(t, vecCt))
	if err != nil || !bytes.Equal(pt, unhex(t, vecPt)) {
		t.Errorf("Open(vector ct) through the TPM = %x, %v, want %s", pt, err, vecPt)
	}
}

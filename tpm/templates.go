package tpm

import "github.com/google/go-tpm/tpm2"

// residentAttrs are the attributes that make a key TPM-resident and
// non-exportable: it never leaves this TPM (fixedTPM), is never re-parented
// (fixedParent), and its private part was generated inside (sensitiveDataOrigin).
// userWithAuth is clear: the station keys are used only through their
// authPolicy (TPM2_PolicyPCR on StationPCRs), never with their empty
// authValue. adminWithPolicy is clear, so the ADMIN role (TPM2_Certify at
// enrollment) still takes the empty authValue; it can't sign or decrypt.
var residentAttrs = tpm2.TPMAObject{
	FixedTPM:            true,
	FixedParent:         true,
	SensitiveDataOrigin: true,
	NoDA:                true,
}

func eccTemplate(attrs tpm2.TPMAObject, scheme tpm2.TPMTECCScheme) tpm2.TPMTPublic {
	return tpm2.TPMTPublic{
		Type:             tpm2.TPMAlgECC,
		NameAlg:          tpm2.TPMAlgSHA256,
		ObjectAttributes: attrs,
		Parameters: tpm2.NewTPMUPublicParms(tpm2.TPMAlgECC, &tpm2.TPMSECCParms{
			CurveID: tpm2.TPMECCNistP256,
			Scheme:  scheme,
			KDF:     tpm2.TPMTKDFScheme{Scheme: tpm2.TPMAlgNull},
		}),
		Unique: tpm2.NewTPMUPublicID(tpm2.TPMAlgECC, &tpm2.TPMSECCPoint{}),
	}
}

func ecdsaScheme() tpm2.TPMTECCScheme {
	return tpm2.TPMTECCScheme{
		Scheme:  tpm2.TPMAlgECDSA,
		Details: tpm2.NewTPMUAsymScheme(tpm2.TPMAlgECDSA, &tpm2.TPMSSigSchemeECDSA{HashAlg: tpm2.TPMAlgSHA256}),
	}
}

// signingTemplate is the station's signing key: ECDSA P-256 with SHA-256.
// createKey sets its authPolicy (boundTemplate).
func signingTemplate() tpm2.TPMTPublic {
	a := residentAttrs
	a.SignEncrypt = true
	return eccTemplate(a, ecdsaScheme())
}

// agreementTemplate is the station's key-agreement key: ECDH P-256, usable
// only through TPM2_ECDH_ZGen. createKey sets its authPolicy.
func agreementTemplate() tpm2.TPMTPublic {
	a := residentAttrs
	a.Decrypt = true
	return eccTemplate(a, tpm2.TPMTECCScheme{
		Scheme:  tpm2.TPMAlgECDH,
		Details: tpm2.NewTPMUAsymScheme(tpm2.TPMAlgECDH, &tpm2.TPMSKeySchemeECDH{HashAlg: tpm2.TPMAlgSHA256}),
	})
}

// attestationTemplate is the attestation key (AK): a restricted signing
// key, so it signs only TPM-generated attestation structures (TPM2_Certify)
// and never a digest that imitates one.
// It is not bound to PCRs (its signatures are what report them) and takes
// the empty authValue.
func attestationTemplate() tpm2.TPMTPublic {
	a := residentAttrs
	a.UserWithAuth = true
	a.SignEncrypt = true
	a.Restricted = true
	return eccTemplate(a, ecdsaScheme())
}

// boundTemplate is tmpl with the authPolicy of a key bound to v.
func boundTemplate(tmpl tpm2.TPMTPublic, v *pcrValues) (tpm2.TPMTPublic, error) {
	policy, err := v.policy()
	if err != nil {
		return tmpl, err
	}
	tmpl.AuthPolicy = tpm2.TPM2BDigest{Buffer: policy}
	return tmpl, nil
}

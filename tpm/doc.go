// Package tpm keeps the station's identity in its TPM 2.0: opening a device,
// swtpm or the in-process simulator, creating and loading the station keys,
// signing, ECDH, sealing secrets, and enrollment evidence with its verifier.
//
// # Concepts
//
// TPM → storage root key → station keys. Open gives a transport by URI.
// The storage root key (SRK) is an ECC P-256 primary key made from the
// standard template, so the same TPM re-creates the same SRK at every
// start. Under it live the station keys, created inside the TPM with
// fixedTPM, fixedParent and sensitiveDataOrigin: a signing key (a
// crypto.Signer, one TPM2_Sign per signature) and a key-agreement key (an
// ecdh.KeyExchanger, one TPM2_ECDH_ZGen per exchange). Their blobs (public
// area and TPM-encrypted private area) are kept in the state directory and
// loaded once by Load; only this TPM can load them.
//
// Station keys → PCR policy. Both keys are bound to the measured boot state:
// their authPolicy is TPM2_PolicyPCR over StationPCRs (0, 2, 4, 7) as they
// were at creation and userWithAuth is clear, so each use runs a one-off
// policy session, and a changed PCR makes the TPM refuse them
// (ErrPolicyMismatch, naming the PCR).
//
// Sealed secrets (the Noise static key, the database key) are TPM data
// objects under the SRK, optionally bound to PCR values.
//
// Evidence → VerifyEvidence → credential activation. Evidence is what a
// station hands an operator to be enrolled: the EK, its certificate when
// the TPM has one, an attestation key, its TPM2_Certify of both station
// keys and its TPM2_Quote of StationPCRs; VerifyEvidence also checks that
// the keys' policy is PolicyPCR over the quoted values. VerifyEvidence checks it on the operator's machine without trusting
// the station; a credential challenge bound to the EK proves the attestation
// key lives in the same TPM as the EK. docs/tpm.md gives the trust chain.
package tpm

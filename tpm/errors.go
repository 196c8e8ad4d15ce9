package tpm

import "errors"

// Sentinel errors of the package. Callers test them with errors.Is; every
// returned error wraps one of these (or a go-tpm TPMRC) with the operation
// name and what to do.
var (
	// ErrURI is returned for a TPM URI Open does not understand.
	ErrURI = errors.New("tpm: unsupported TPM URI")
	// ErrTransport is returned when the TPM can't be reached or answers
	// with a malformed frame.
	ErrTransport = errors.New("tpm: transport failure")
	// ErrNotProvisioned is returned when the state directory holds no
	// station keys: run `stationd tpm init`.
	ErrNotProvisioned = errors.New("tpm: station keys not provisioned")
	// ErrKeysUnloadable is returned when the key blobs in the state
	// directory don't load into this TPM: it was cleared or replaced, or
	// the blobs come from another TPM.
	ErrKeysUnloadable = errors.New("tpm: station key blobs do not load into this TPM")
	// ErrBlob is returned for a state file that is not a valid blob.
	ErrBlob = errors.New("tpm: malformed key blob")
	// ErrPolicyMismatch is returned when a station key's or a sealed
	// secret's PCR policy no longer holds: the measured boot state changed.
	ErrPolicyMismatch = errors.New("tpm: PCR policy check failed")
	// ErrKeysUnbound is returned for station keys made before they were
	// bound to the measured boot state: any software could use them.
	ErrKeysUnbound = errors.New("tpm: station keys are not bound to the measured boot state")
	// ErrEvidence is returned by VerifyEvidence for evidence that does not
	// prove what it claims.
	ErrEvidence = errors.New("tpm: enrollment evidence rejected")
	// ErrClosed is returned for a Station used after Close.
	ErrClosed = errors.New("tpm: station closed")
)

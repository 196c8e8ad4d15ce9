package keys

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
)

// Purposes for DeriveCopySecret. Each derived secret has its own label, so
// no two purposes ever share a key.
const (
	PurposeDiscKey  = "disc-key"
	PurposeCodeword = "forensic-codeword"
)

const deriveLabel = "copystation copy-secret v1"

// MinMasterLen is the smallest master secret DeriveCopySecret accepts.
const MinMasterLen = 32

// ErrDerive is returned for inputs DeriveCopySecret refuses.
var ErrDerive = errors.New("keys: invalid derivation input")

// DeriveDiscKey derives the 32-byte per-disc key for one attempt of one
// copy from the key service's copy secret, bound to the job and to the
// blank's media ID: a disc image encrypted under it is useless on any other
// blank. Every validation node holding the same secret derives the same key,
// so a retry that reaches another node gets the same disc key. It is
// DeriveCopySecret with the purpose ForAttempt(PurposeDiscKey, attempt).
func DeriveDiscKey(master []byte, jobID string, attempt int, mediaID []byte) ([]byte, error) {
	return DeriveCopySecret(master, ForAttempt(PurposeDiscKey, attempt), jobID, mediaID, KeySize)
}

// ForAttempt names a purpose for one attempt of a job ("disc-key/attempt-0").
// Everything keyed per disc is keyed per attempt too: a job retried on the
// same media ID (a BD-RE reformatted) must never reuse a disc key with the
// same derived nonce, while a repeat of the same attempt (a lost key
// release) must get the very same keys. The purpose is length-prefixed in
// the HKDF info, so this separates attempts as it separates purposes.
func ForAttempt(purpose string, attempt int) string {
	return purpose + "/attempt-" + strconv.Itoa(attempt)
}

// DeriveCopySecret derives n bytes for one purpose of one copy with
// HKDF-SHA256 (RFC 5869): IKM is the master secret, and the HKDF info is the
// label, the purpose, the job ID and the media ID, each length-prefixed.
func DeriveCopySecret(master []byte, purpose, jobID string, mediaID []byte, n int) ([]byte, error) {
	switch {
	case len(master) < MinMasterLen:
		return nil, fmt.Errorf("keys.DeriveCopySecret: %w: master secret is %d bytes, want at least %d", ErrDerive, len(master), MinMasterLen)
	case purpose == "" || len(purpose) > 255:
		return nil, fmt.Errorf("keys.DeriveCopySecret: %w: purpose is %d bytes, want 1 to 255", ErrDerive, len(purpose))
	case len(jobID) == 0 || len(jobID) > MaxJobIDLen:
		return nil, fmt.Errorf("keys.DeriveCopySecret: %w: job ID is %d bytes, want 1 to %d", ErrDerive, len(jobID), MaxJobIDLen)
	case len(mediaID) == 0 || len(mediaID) > MaxMediaIDLen:
		return nil, fmt.Errorf("keys.DeriveCopySecret: %w: media ID is %d bytes, want 1 to %d", ErrDerive, len(mediaID), MaxMediaIDLen)
	case n <= 0 || n > 255*sha256.Size:
		return nil, fmt.Errorf("keys.DeriveCopySecret: %w: length %d, want 1 to %d", ErrDerive, n, 255*sha256.Size)
	}
	info := make([]byte, 0, 1+len(deriveLabel)+1+len(purpose)+4+len(jobID)+len(mediaID))
	info = append(info, byte(len(deriveLabel)))
	info = append(info, deriveLabel...)
	info = append(info, byte(len(purpose)))
	info = append(info, purpose...)
	info = appendBytes16(info, []byte(jobID))
	info = appendBytes16(info, mediaID)
	out, err := hkdf.Key(sha256.New, master, nil, string(info), n)
	if err != nil {
		return nil, fmt.Errorf("keys.DeriveCopySecret: hkdf: %w", err)
	}
	return out, nil
}

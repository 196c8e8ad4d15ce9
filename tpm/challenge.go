package tpm

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// ActivationAnswer is the station's answer to a CredentialChallenge, as
// `stationd enroll --activate` writes it.
type ActivationAnswer struct {
	Version int    `json:"version"`
	Secret  []byte `json:"secret"`
}

// ParseCredentialChallenge decodes a challenge file strictly.
func ParseCredentialChallenge(b []byte) (*CredentialChallenge, error) {
	var ch CredentialChallenge
	if err := strictJSON(b, &ch); err != nil {
		return nil, fmt.Errorf("tpm.ParseCredentialChallenge: %w", err)
	}
	if ch.Version != EnrollmentVersion {
		return nil, fmt.Errorf("tpm.ParseCredentialChallenge: %w: version %d, want %d", ErrEvidence, ch.Version, EnrollmentVersion)
	}
	return &ch, nil
}

// ParseActivationAnswer decodes an answer file strictly.
func ParseActivationAnswer(b []byte) (*ActivationAnswer, error) {
	var a ActivationAnswer
	if err := strictJSON(b, &a); err != nil {
		return nil, fmt.Errorf("tpm.ParseActivationAnswer: %w", err)
	}
	if a.Version != EnrollmentVersion {
		return nil, fmt.Errorf("tpm.ParseActivationAnswer: %w: version %d, want %d", ErrEvidence, a.Version, EnrollmentVersion)
	}
	return &a, nil
}

// strictJSON decodes one bounded JSON value with no unknown fields.
func strictJSON(b []byte, v any) error {
	if len(b) > MaxRequestLen {
		return fmt.Errorf("%w: %d bytes, want at most %d", ErrEvidence, len(b), MaxRequestLen)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrEvidence, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: trailing data", ErrEvidence)
	}
	return nil
}

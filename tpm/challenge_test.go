package tpm

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// The station parses the operator's challenge file and the operator parses
// the station's answer file; both come from outside. A genuine challenge
// and answer, made on the TPM simulator, are committed as seeds under
// testdata/fuzz.

// FuzzParseCredentialChallenge: any bytes give an ErrEvidence or a
// challenge that re-encodes to bytes parsing to the same challenge.
func FuzzParseCredentialChallenge(f *testing.F) {
	f.Add([]byte(`{"version":1,"credential_blob":"AAE=","encrypted_secret":"AAE="}`))
	f.Add([]byte(`{"version":2,"credential_blob":null}`))
	f.Add([]byte(`{"version":1,"credential_blob":"AAE=","extra":1}`))
	f.Add([]byte(`{"version":1} {}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ch, err := ParseCredentialChallenge(b)
		if err != nil {
			if !errors.Is(err, ErrEvidence) {
				t.Fatalf("ParseCredentialChallenge(%q) = %v, want an ErrEvidence", b, err)
			}
			return
		}
		again, err := json.Marshal(ch)
		if err != nil {
			t.Fatalf("json.Marshal(%+v) = %v", ch, err)
		}
		ch2, err := ParseCredentialChallenge(again)
		if err != nil || ch2.Version != ch.Version || !bytes.Equal(ch2.CredentialBlob, ch.CredentialBlob) ||
			!bytes.Equal(ch2.EncryptedSecret, ch.EncryptedSecret) {
			t.Fatalf("ParseCredentialChallenge(re-encoded %q) = %+v, %v, want %+v", again, ch2, err, ch)
		}
	})
}

// FuzzParseActivationAnswer: the same property for the station's answer.
func FuzzParseActivationAnswer(f *testing.F) {
	f.Add([]byte(`{"version":1,"secret":"AAECAw=="}`))
	f.Add([]byte(`{"version":1,"secret":"not base64"}`))
	f.Add([]byte(`{"version":0}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseActivationAnswer(b)
		if err != nil {
			if !errors.Is(err, ErrEvidence) {
				t.Fatalf("ParseActivationAnswer(%q) = %v, want an ErrEvidence", b, err)
			}
			return
		}
		again, err := json.Marshal(a)
		if err != nil {
			t.Fatalf("json.Marshal(%+v) = %v", a, err)
		}
		a2, err := ParseActivationAnswer(again)
		if err != nil || a2.Version != a.Version || !bytes.Equal(a2.Secret, a.Secret) {
			t.Fatalf("ParseActivationAnswer(re-encoded %q) = %+v, %v, want %+v", again, a2, err, a)
		}
		// The operator's check must not panic on any answer.
		_ = CheckActivation(make([]byte, 32), a.Secret)
	})
}

package protocol

import (
	"bytes"
	"errors"
	"testing"
	"testing/cryptotest"
)

// TestUnmarshalEveryPrefix: every strict prefix of every message is refused
// as truncated, and one extra byte as trailing.
func TestUnmarshalEveryPrefix(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 2)
	for _, e := range examples(t) {
		if e.name == "SignedGrant" || e.wire {
			continue
		}
		t.Run(e.name, func(t *testing.T) {
			for n := 0; n < len(e.raw); n++ {
				if _, err := Unmarshal(e.raw[:n]); !errors.Is(err, ErrTruncated) {
					t.Fatalf("Unmarshal(first %d of %d bytes) = %v, want %v", n, len(e.raw), err, ErrTruncated)
				}
			}
			if _, err := Unmarshal(append(bytes.Clone(e.raw), 0)); !errors.Is(err, ErrTrailingBytes) {
				t.Fatalf("Unmarshal(x+1 byte) = %v, want %v", err, ErrTrailingBytes)
			}
		})
	}
}

func TestUnmarshalRefusals(t *testing.T) {
	long := make([]byte, MaxSealedLen+1)
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"version 2", []byte{0, 2, 1}, ErrVersion},
		{"version 3", []byte{0, 3, 1}, ErrVersion},
		{"version 5", []byte{0, 5, 1}, ErrVersion},
		{"unknown type", []byte{0, 4, 99}, ErrUnknownType},
		{"type zero", []byte{0, 4, 0}, ErrUnknownType},
		{"title partial of the wrong length", Marshal(&KeyRequestMsg{StationID: "s", JobID: "j", MediaID: []byte{1}, Sigma: make([]byte, SigmaLen),
			TitlePartials: []TitlePartial{{From: 0, To: 1, Sealed: make([]byte, TitlePartialLen-1)}}}), ErrFieldBadLength},
		{"title partial too long", Marshal(&KeyRequestMsg{StationID: "s", JobID: "j", MediaID: []byte{1}, Sigma: make([]byte, SigmaLen),
			TitlePartials: []TitlePartial{{From: 0, To: 1, Sealed: make([]byte, TitlePartialLen+1)}}}), ErrFieldTooLong},
		{"title partial to node 256", Marshal(&KeyReleaseMsg{JobID: "j", Format: fmtOK,
			TitlePartials: []TitlePartial{{From: 0, To: 256, Sealed: make([]byte, TitlePartialLen)}}}), ErrFieldInvalid},
		{"too many title partials", Marshal(&KeyReleaseMsg{JobID: "j", Format: fmtOK,
			TitlePartials: make([]TitlePartial, MaxTitlePartials+1)}), ErrFieldTooLong},
		{"key request with a short sigma", Marshal(&KeyRequestMsg{StationID: "s", JobID: "j", MediaID: []byte{1}, Sigma: make([]byte, 47)}), ErrFieldBadLength},
		{"key request without a media ID", Marshal(&KeyRequestMsg{StationID: "s", JobID: "j", Sigma: make([]byte, SigmaLen)}), ErrFieldBadLength},
		{"retry without its previous report", Marshal(&CopyRequestMsg{StationID: "s", JobID: "j", TokenID: "t", TitleID: "x", MediaID: []byte{1}, Attempt: 1}), ErrFieldInvalid},
		{"first attempt with a previous report", Marshal(&CopyRequestMsg{StationID: "s", JobID: "j", TokenID: "t", TitleID: "x", MediaID: []byte{1}, PrevReport: make([]byte, 32)}), ErrFieldInvalid},
		{"previous report of the wrong length", Marshal(&CopyRequestMsg{StationID: "s", JobID: "j", TokenID: "t", TitleID: "x", MediaID: []byte{1}, Attempt: 1, PrevReport: make([]byte, 31)}), ErrFieldBadLength},
		{"empty chain id", Marshal(&ChallengeMsg{Nonce: make([]byte, 32), NodeID: "n", HandshakeHash: make([]byte, 32)}), ErrFieldInvalid},
		{"nonce too short", Marshal(&ChallengeMsg{Nonce: make([]byte, 31), NodeID: "n", HandshakeHash: make([]byte, 32)}), ErrFieldBadLength},
		{"empty node id", Marshal(&ChallengeMsg{Nonce: make([]byte, 32), HandshakeHash: make([]byte, 32)}), ErrFieldInvalid},
		{"control char in id", Marshal(&CopyRequestMsg{StationID: "s\n", JobID: "j", TokenID: "t", TitleID: "x"}), ErrFieldInvalid},
		{"invalid utf8", Marshal(&RefusalMsg{Code: CodeBadRequest, Message: "\xff"}), ErrFieldInvalid},
		{"unknown refusal code", Marshal(&RefusalMsg{Code: 999}), ErrFieldInvalid},
		{"sealed too long", Marshal(&KeyReleaseMsg{JobID: "j", Sealed: long, Format: fmtOK}), ErrFieldTooLong},
		{"three layers", Marshal(&KeyReleaseMsg{JobID: "j", Format: func() (f fmtT) { f = fmtOK; f.Layers = 3; return }()}), ErrFieldInvalid},
		{"outcome 3", Marshal(&CopyReportMsg{StationID: "s", JobID: "j", Outcome: 3}), ErrFieldInvalid},
		{"signature too long", Marshal(&CopyReportMsg{StationID: "s", JobID: "j", Outcome: 1, Signature: make([]byte, 81)}), ErrFieldTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Unmarshal(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Unmarshal(%x) = %v, want %v", tt.in, err, tt.want)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Unmarshal(%x) = %T, want *DecodeError", tt.in, err)
			}
		})
	}
}

func TestDecodeGrantRefusals(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 3)
	var good []byte
	for _, e := range examples(t) {
		if e.name == "SignedGrant" {
			good = e.raw
		}
	}
	tampered := bytes.Clone(good)
	tampered[len(tampered)-80] ^= 1 // inside the title ID
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"bad label", append([]byte{0, 0, 0, 1, 'x'}, good[4+len(LabelCustomerGrant):]...), ErrFieldInvalid},
		{"truncated", good[:len(good)-1], ErrTruncated},
		{"trailing", append(bytes.Clone(good), 0), ErrTrailingBytes},
		{"too long", make([]byte, MaxGrantLen+1), ErrFieldTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DecodeGrant(tt.in); !errors.Is(err, tt.want) {
				t.Fatalf("DecodeGrant(%s) = %v, want %v", tt.name, err, tt.want)
			}
		})
	}
	g, err := DecodeGrant(tampered)
	if err != nil {
		t.Fatalf("DecodeGrant(tampered) = %v", err)
	}
	if err := g.Verify(pubBytes(t, exampleKey(t, "customer"))); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("Verify(tampered grant) = %v, want %v", err, ErrBadSignature)
	}
}

func TestCodesUniqueAndNamed(t *testing.T) {
	seen := map[string]Code{}
	for c := Code(0); c < 64; c++ {
		if !c.Known() {
			continue
		}
		if other, dup := seen[c.String()]; dup {
			t.Errorf("Code(%d).String() = %q, same as Code(%d)", c, c.String(), other)
		}
		seen[c.String()] = c
	}
	if len(seen) != len(codeNames) {
		t.Errorf("known codes = %d, want %d", len(seen), len(codeNames))
	}
}

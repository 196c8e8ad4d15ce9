package protocol

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"testing"

	"copystation/keys"
)

// exampleKey returns a fixed P-256 key for documentation examples.
func exampleKey(t testing.TB, name string) *ecdsa.PrivateKey {
	t.Helper()
	d := sha256.Sum256([]byte("copystation example key " + name))
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
	if err != nil {
		t.Fatalf("ParseRawPrivateKey(%s) = %v", name, err)
	}
	return k
}

func pubBytes(t testing.TB, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	b, err := k.PublicKey.Bytes()
	if err != nil {
		t.Fatalf("PublicKey.Bytes() = %v", err)
	}
	return b
}

func fill(n int, b byte) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = b + byte(i)
	}
	return p
}

type example struct {
	name string
	raw  []byte // the encoding shown in docs/protocol.md
}

// examples builds one of every message and the customer grant from fixed
// keys. With a fixed global random source (cryptotest.SetGlobalRandom) the
// signatures, and so every byte, are reproducible.
func examples(t testing.TB) []example {
	station, customer, node := exampleKey(t, "station"), exampleKey(t, "customer"), exampleKey(t, "node")
	stationID, nodeID := KeyID(pubBytes(t, station)), NodeID(pubBytes(t, node))
	hh := fill(HandshakeHashLen, 0xa0)
	ch := &ChallengeMsg{Nonce: fill(NonceLen, 0x10), NodeID: nodeID, Expiry: 1795000000, HandshakeHash: hh}
	grant := &SignedGrant{
		Grant: CustomerGrant{TokenID: "tok-1", StationID: stationID, TitleID: "title-1", Expiry: 1795003600},
	}
	sign := func(k *ecdsa.PrivateKey, st Statement) []byte {
		sig, err := Sign(nil, k, st)
		if err != nil {
			t.Fatalf("Sign = %v", err)
		}
		return sig
	}
	grant.Signature = sign(customer, &grant.Grant)
	req := &CopyRequestMsg{StationID: stationID, JobID: "job-1", TokenID: "tok-1", TitleID: "title-1",
		Profile: 0x41, MediaID: fill(16, 0x30), Grant: grant.Encode()}
	req.Signature = sign(station, req.Statement(hh, ch))
	rel := &KeyReleaseMsg{JobID: "job-1", Sealed: fill(48, 0x50),
		Format: keys.FormatMetadata{Profile: 0x41, Layers: 1, Finalize: true, MaxSpeedX: 6, HeaderSectors: 32},
		Height: 42, TxHash: fill(32, 0x70)}
	rel.NodeSignature = sign(node, rel.Statement(hh))
	rep := &CopyReportMsg{StationID: stationID, JobID: "job-1", MediaID: fill(16, 0x30),
		Outcome: OutcomeMade, ImageHash: fill(32, 0x90), Reason: ""}
	rep.Signature = sign(station, rep.Statement(hh))
	rc := &ReceiptMsg{JobID: "job-1", Outcome: OutcomeMade, Height: 43, TxHash: fill(32, 0xb0)}
	rc.NodeSignature = sign(node, rc.Statement(hh))
	ref := &RefusalMsg{Code: CodeTokenSpent, Message: "token tok-1 was already used for another copy"}
	return []example{
		{"Challenge", Marshal(ch)},
		{"SignedGrant", grant.Encode()},
		{"CopyRequest", Marshal(req)},
		{"KeyRelease", Marshal(rel)},
		{"Refusal", Marshal(ref)},
		{"CopyReport", Marshal(rep)},
		{"Receipt", Marshal(rc)},
	}
}

type fmtT = keys.FormatMetadata

var fmtOK = keys.FormatMetadata{Profile: 0x41, Layers: 1}

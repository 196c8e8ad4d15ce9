package protocol

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"fmt"
	"testing"
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
	wire bool   // a frame as sent on the connection, not a message plaintext
}

// seeded is a deterministic byte stream for example keys.
func seeded(label string) *bytes.Reader {
	var b []byte
	for i := 0; len(b) < 4096; i++ {
		d := sha256.Sum256([]byte(fmt.Sprintf("%s %d", label, i)))
		b = append(b, d[:]...)
	}
	return bytes.NewReader(b)
}

func frame(p []byte) []byte { return append([]byte{byte(len(p) >> 8), byte(len(p))}, p...) }

// handshakeExamples runs an IK handshake with fixed keys and returns its
// two frames, the handshake hash, and the node's first transport frame (the
// challenge) encrypted.
func handshakeExamples(t testing.TB, nodeID string) ([]example, []byte) {
	node, _ := GenerateStaticKey(seeded("node noise"))
	st, _ := GenerateStaticKey(seeded("station noise"))
	ini, err := newState(true, st, node.Public, seeded("station ephemeral"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := newState(false, node, nil, seeded("node ephemeral"))
	if err != nil {
		t.Fatal(err)
	}
	m1, _, _, err := ini.WriteMessage(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := resp.ReadMessage(nil, m1); err != nil {
		t.Fatal(err)
	}
	m2, _, send, err := resp.WriteMessage(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	hh := resp.ChannelBinding()
	ch := &ChallengeMsg{Nonce: fill(NonceLen, 0x10), NodeID: nodeID, Expiry: 1795000000, HandshakeHash: hh, ChainID: exampleChain}
	ct, err := send.Encrypt(nil, nil, Marshal(ch))
	if err != nil {
		t.Fatal(err)
	}
	return []example{
		{name: "IK message 1 (station to node, framed)", raw: frame(m1), wire: true},
		{name: "IK message 2 (node to station, framed)", raw: frame(m2), wire: true},
		{name: "Challenge encrypted in its transport frame", raw: frame(ct), wire: true},
	}, hh
}

// examples builds one of every message and the customer grant from fixed
// keys. With a fixed global random source (cryptotest.SetGlobalRandom) the
// signatures, and so every byte, are reproducible.
func examples(t testing.TB) []example {
	station, customer, node := exampleKey(t, "station"), exampleKey(t, "customer"), exampleKey(t, "node")
	stationID, nodeID := KeyID(pubBytes(t, station)), NodeID(pubBytes(t, node))
	wire, hh := handshakeExamples(t, nodeID)
	ch := &ChallengeMsg{Nonce: fill(NonceLen, 0x10), NodeID: nodeID, Expiry: 1795000000, HandshakeHash: hh, ChainID: exampleChain}
	grant := &SignedGrant{
		Grant: CustomerGrant{ChainID: exampleChain, TokenID: "tok-1", StationID: stationID, TitleID: "title-1", Expiry: 1795003600},
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
	rel := &KeyReleaseMsg{JobID: "job-1", Sealed: fill(48, 0x50), // stands for a sealed partial (132 bytes)
		Format: Format{Profile: 0x41, Layers: 1, Finalize: true, MaxSpeedX: 6, HeaderSectors: 32},
		Height: 42, TxHash: fill(32, 0x70),
		// a traced title: the node's title partial sealed to custody node 1
		// (a real answer carries one per custody node)
		TitlePartials: []TitlePartial{{From: 0, To: 1, Sealed: fill(TitlePartialLen, 0x60)}}}
	rel.NodeSignature = sign(node, rel.Statement(exampleChain, hh))
	spoil := &CopyReportMsg{StationID: stationID, JobID: "job-1", MediaID: fill(16, 0x30),
		Outcome: OutcomeSpoiled, Reason: "verify failed"}
	spoil.Signature = sign(station, spoil.Statement(exampleChain, hh))
	retry := &CopyRequestMsg{StationID: stationID, JobID: "job-1", TokenID: "tok-1", TitleID: "title-1",
		Profile: 0x41, MediaID: fill(16, 0x40), Grant: grant.Encode(),
		Attempt: 1, PrevReport: ReportDigest(spoil.Statement(exampleChain, hh))}
	retry.Signature = sign(station, retry.Statement(hh, ch))
	rep := &CopyReportMsg{StationID: stationID, JobID: "job-1", Attempt: 1, MediaID: fill(16, 0x40),
		Outcome: OutcomeMade, DiscDigest: fill(32, 0x90), Reason: ""}
	rep.Signature = sign(station, rep.Statement(exampleChain, hh))
	rc := &ReceiptMsg{JobID: "job-1", Outcome: OutcomeMade, Height: 43, TxHash: fill(32, 0xb0)}
	rc.NodeSignature = sign(node, rc.Statement(exampleChain, hh))
	kreq := &KeyRequestMsg{StationID: stationID, JobID: "job-1", MediaID: fill(16, 0x30), Sigma: fill(SigmaLen, 0xa0),
		TitlePartials: []TitlePartial{{From: 0, To: 1, Sealed: fill(TitlePartialLen, 0x60)}}}
	kreq.Signature = sign(station, kreq.Statement(hh, ch))
	srel := &ShareReleaseMsg{JobID: "job-1", Sealed: fill(48, 0x58)}
	srel.NodeSignature = sign(node, srel.Statement(exampleChain, hh))
	// stands for a custody epoch record (a real one is the group and
	// every title's new roots) and its group signature
	ep := &EpochMsg{Record: fill(40, 0xc0), Sig: fill(EpochSigLen, 0xd0)}
	ref := &RefusalMsg{Code: CodeTokenSpent, Message: "token tok-1 was already used for another copy"}
	return append(wire, []example{
		{name: "Challenge", raw: Marshal(ch)},
		{name: "SignedGrant", raw: grant.Encode()},
		{name: "CopyRequest", raw: Marshal(req)},
		{name: "Epoch", raw: Marshal(ep)},
		{name: "KeyRelease", raw: Marshal(rel)},
		{name: "KeyRequest", raw: Marshal(kreq)},
		{name: "ShareRelease", raw: Marshal(srel)},
		{name: "Refusal", raw: Marshal(ref)},
		{name: "CopyReportSpoiled", raw: Marshal(spoil)},
		{name: "CopyRequestRetry", raw: Marshal(retry)},
		{name: "CopyReport", raw: Marshal(rep)},
		{name: "Receipt", raw: Marshal(rc)},
	}...)
}

// exampleChain is the chain ID of the examples' network.
const exampleChain = "copystation-example"

type fmtT = Format

var fmtOK = Format{Profile: 0x41, Layers: 1}

package gateway_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"copystation/keys"
	"copystation/ledgerclient"
	"copystation/protocol"
	"copystation/validatord/contract"
)

// fixture is one real validation node with its gateway, a title, an
// enrolled station and a token the station owns.
type fixture struct {
	clk    *clock
	ledger *chain
	node   *testNode
	st     *station
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{clk: newClock(), st: softStation(t)}
	f.ledger = startChain(t, 1)
	f.ledger.registerTitle("title-1")
	f.ledger.enroll(f.st.signPub, f.st.exchanger.PublicKey())
	f.ledger.mint("tok-1", "title-1", f.st.signPub)
	f.node = startNode(t, f.ledger.node(0).Ledger, nodeOpts{now: f.clk.Now})
	return f
}

func (f *fixture) params(job string) ledgerclient.CopyRequestParams {
	return f.ledger.paramsFor(job, "tok-1", "title-1", []byte("media-0001"))
}

func (f *fixture) attempts(t *testing.T, job string) int { return f.ledger.attempts(t, job) }

func (f *fixture) tokenState(t *testing.T, id string) string { return f.ledger.tokenState(t, id) }

func TestAuthorizeReportAndRetry(t *testing.T) {
	f := newFixture(t)
	c := f.st.client(t, f.clk.Now, f.node.pin)
	ctx := context.Background()
	a, err := c.Authorize(ctx, f.params("job-1"))
	if err != nil {
		t.Fatalf("Authorize = %v", err)
	}
	if len(a.Keys.DiscKey) != keys.KeySize || a.Format != bdr || a.Keys.Format != bdr {
		t.Fatalf("Authorize keys = %x/%+v, want a %d-byte disc key and format %+v", a.Keys.DiscKey, a.Format, keys.KeySize, bdr)
	}
	if a.Receipt.Height == 0 || len(a.Receipt.TxHash) != 32 || a.Receipt.NodeID != f.node.server.NodeID() {
		t.Fatalf("Authorize receipt = %+v, want a height, a 32-byte tx hash and node %s", a.Receipt, f.node.server.NodeID())
	}
	// A retry with the same job (the answer was lost) gets the same keys
	// and spends nothing more.
	b, err := c.Authorize(ctx, f.params("job-1"))
	if err != nil {
		t.Fatalf("Authorize(retry) = %v", err)
	}
	if !bytes.Equal(a.Keys.DiscKey, b.Keys.DiscKey) || !bytes.Equal(a.Keys.BaseKey, b.Keys.BaseKey) || b.Receipt.Height != a.Receipt.Height {
		t.Fatalf("Authorize(retry) = %x at %d, want %x at %d", b.Keys.DiscKey, b.Receipt.Height, a.Keys.DiscKey, a.Receipt.Height)
	}
	if n := f.attempts(t, "job-1"); n != 1 {
		t.Fatalf("attempts(job-1) = %d, want 1", n)
	}
	// Another job on the same token is refused: spent.
	if _, err := c.Authorize(ctx, f.params("job-2")); !errors.Is(err, ledgerclient.ErrTokenSpent) {
		t.Fatalf("Authorize(job-2) = %v, want %v", err, ledgerclient.ErrTokenSpent)
	}
	rc, err := c.Report(ctx, ledgerclient.ReportParams{JobID: "job-1", MediaID: []byte("media-0001"),
		Outcome: protocol.OutcomeMade, DiscDigest: make([]byte, 32)})
	if err != nil {
		t.Fatalf("Report = %v", err)
	}
	if rc.Height <= a.Receipt.Height {
		t.Fatalf("Report height = %d, want above %d", rc.Height, a.Receipt.Height)
	}
	if _, err := c.Authorize(ctx, f.params("job-1")); !errors.Is(err, ledgerclient.ErrCopyMade) {
		t.Fatalf("Authorize(after made) = %v, want %v", err, ledgerclient.ErrCopyMade)
	}
}

// TestReplayedRequestRefused: a request signed on one connection, replayed
// on another, does not verify; nothing is spent.
func TestReplayedRequestRefused(t *testing.T) {
	f := newFixture(t)
	first := dialRaw(t, f.node)
	req := first.signedRequest(t, f.st, protocol.CopyRequestMsg{JobID: "job-1", TokenID: "tok-1", TitleID: "title-1", Profile: 0x41, MediaID: []byte("m1")})
	first.conn.Close()
	second := dialRaw(t, f.node)
	a := second.roundTrip(t, req)
	if r, ok := a.(*protocol.RefusalMsg); !ok || r.Code != protocol.CodeBadSignature {
		t.Fatalf("replayed request answer = %+v, want refusal %s", a, protocol.CodeBadSignature)
	}
	if n, s := f.attempts(t, "job-1"), f.tokenState(t, "tok-1"); n != 0 || s != contract.TokenUnspent {
		t.Fatalf("after replay: attempts %d, token %s; want 0, %s", n, s, contract.TokenUnspent)
	}
}

// TestRelayedSignatureRefused: a signature made for another handshake (a
// relay between two connections: the attacker holds a challenge on its own
// connection and gets the station to sign it on another) does not verify.
func TestRelayedSignatureRefused(t *testing.T) {
	f := newFixture(t)
	victim, attacker := dialRaw(t, f.node), dialRaw(t, f.node)
	// The station signs over its own handshake hash but the attacker's
	// challenge: the node sees the attacker's handshake hash.
	req := protocol.CopyRequestMsg{StationID: f.st.id, JobID: "job-1", TokenID: "tok-1", TitleID: "title-1", Profile: 0x41, MediaID: []byte("m1")}
	sig, err := protocol.Sign(rand.Reader, f.st.signer, req.Statement(victim.ch.HandshakeHash(), attacker.chal))
	if err != nil {
		t.Fatal(err)
	}
	req.Signature = sig
	a := attacker.roundTrip(t, &req)
	if r, ok := a.(*protocol.RefusalMsg); !ok || r.Code != protocol.CodeBadSignature {
		t.Fatalf("relayed request answer = %+v, want refusal %s", a, protocol.CodeBadSignature)
	}
	if n := f.attempts(t, "job-1"); n != 0 {
		t.Fatalf("attempts after relay = %d, want 0", n)
	}
}

// TestReplayedReleaseRefused: a node's signed key release from one
// connection, replayed to the station on another, is rejected: its
// signature covers the first connection's handshake hash.
func TestReplayedReleaseRefused(t *testing.T) {
	f := newFixture(t)
	first := dialRaw(t, f.node)
	ans := first.roundTrip(t, first.signedRequest(t, f.st, protocol.CopyRequestMsg{JobID: "job-1", TokenID: "tok-1", TitleID: "title-1", Profile: 0x41, MediaID: []byte("media-0001")}))
	captured, ok := ans.(*protocol.KeyReleaseMsg)
	if !ok {
		t.Fatalf("first answer = %+v, want a key release", ans)
	}
	// The replayer holds the node's keys (the worst case: a captured node
	// that replays instead of asking the ledger).
	rogue := startReplayer(t, f.node, captured)
	c := f.st.client(t, f.clk.Now, rogue)
	_, err := c.Authorize(context.Background(), f.params("job-1"))
	if !errors.Is(err, ledgerclient.ErrNodeMisbehaved) || !errors.Is(err, ledgerclient.ErrNoNodeReachable) {
		t.Fatalf("Authorize(replayed release) = %v, want %v and %v", err, ledgerclient.ErrNodeMisbehaved, ledgerclient.ErrNoNodeReachable)
	}
	// Even with the signature check skipped, the envelope would not open:
	// it is bound to the first connection's transcript.
	_, _, err = keys.OpenPartial(f.st.exchanger, keys.Info{JobID: "job-1", MediaID: []byte("media-0001"), Transcript: make([]byte, 32)}, captured.Sealed)
	if !errors.Is(err, keys.ErrOpen) {
		t.Fatalf("keys.OpenPartial(replayed envelope, other transcript) = %v, want %v", err, keys.ErrOpen)
	}
}

func TestUnpinnedNodeRefused(t *testing.T) {
	f := newFixture(t)
	other, _ := protocol.GenerateStaticKey(rand.Reader)
	wrongNoise := f.node.pin
	wrongNoise.NoiseKey = other.Public
	wrongSigner := f.node.pin
	wrongSigner.SigningKey = newParty(t).pub
	tests := []struct {
		name string
		pin  ledgerclient.Node
		want error
	}{
		{"noise key not pinned", wrongNoise, protocol.ErrHandshake},
		{"signing key not pinned", wrongSigner, ledgerclient.ErrNodeMisbehaved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.st.client(t, f.clk.Now, tt.pin)
			_, err := c.Authorize(context.Background(), f.params("job-1"))
			if !errors.Is(err, ledgerclient.ErrNoNodeReachable) || !errors.Is(err, tt.want) {
				t.Fatalf("Authorize = %v, want %v and %v", err, ledgerclient.ErrNoNodeReachable, tt.want)
			}
			if n := f.attempts(t, "job-1"); n != 0 {
				t.Fatalf("attempts = %d, want 0", n)
			}
		})
	}
}

func TestRevokedStationRefused(t *testing.T) {
	f := newFixture(t)
	f.ledger.revoke(f.st.id)
	c := f.st.client(t, f.clk.Now, f.node.pin)
	if _, err := c.Authorize(context.Background(), f.params("job-1")); !errors.Is(err, ledgerclient.ErrStationRevoked) {
		t.Fatalf("Authorize(revoked) = %v, want %v", err, ledgerclient.ErrStationRevoked)
	}
	if s := f.tokenState(t, "tok-1"); s != contract.TokenUnspent {
		t.Fatalf("token after refusal = %s, want %s", s, contract.TokenUnspent)
	}
	stranger := softStation(t)
	c = stranger.client(t, f.clk.Now, f.node.pin)
	if _, err := c.Authorize(context.Background(), f.params("job-2")); !errors.Is(err, ledgerclient.ErrStationUnknown) {
		t.Fatalf("Authorize(unenrolled) = %v, want %v", err, ledgerclient.ErrStationUnknown)
	}
}

func TestChallengeExpired(t *testing.T) {
	f := newFixture(t)
	s := dialRaw(t, f.node)
	f.clk.Advance(31 * time.Second)
	a := s.roundTrip(t, s.signedRequest(t, f.st, protocol.CopyRequestMsg{JobID: "job-1", TokenID: "tok-1", TitleID: "title-1", Profile: 0x41, MediaID: []byte("m1")}))
	if r, ok := a.(*protocol.RefusalMsg); !ok || r.Code != protocol.CodeChallengeExpired {
		t.Fatalf("late request answer = %+v, want refusal %s", a, protocol.CodeChallengeExpired)
	}
	if n := f.attempts(t, "job-1"); n != 0 {
		t.Fatalf("attempts = %d, want 0", n)
	}
}

func TestCustomerGrant(t *testing.T) {
	f := newFixture(t)
	customer := newParty(t)
	f.ledger.mint("tok-c", "title-1", customer.pub)
	now := f.clk.Now().Unix()
	grant := func(g protocol.CustomerGrant, signer *party) []byte {
		sg := &protocol.SignedGrant{Grant: g}
		sig, err := protocol.Sign(rand.Reader, signer.key, &sg.Grant)
		if err != nil {
			t.Fatal(err)
		}
		sg.Signature = sig
		return sg.Encode()
	}
	good := protocol.CustomerGrant{ChainID: "copystation-local", TokenID: "tok-c", StationID: f.st.id, TitleID: "title-1", Expiry: now + 600}
	otherStation, expired := good, good
	otherStation.StationID = softStation(t).id
	expired.Expiry = now - 1
	tests := []struct {
		name  string
		grant []byte
		want  error
	}{
		{"no grant", nil, ledgerclient.ErrNotOwner},
		{"for another station", grant(otherStation, customer), ledgerclient.ErrGrantMismatch},
		{"expired", grant(expired, customer), ledgerclient.ErrGrantExpired},
		{"signed by someone else", grant(good, newParty(t)), ledgerclient.ErrNotOwner},
		{"malformed", []byte("not a grant"), ledgerclient.ErrBadGrant},
		{"good", grant(good, customer), nil},
	}
	c := f.st.client(t, f.clk.Now, f.node.pin)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := f.ledger.paramsFor("cjob-"+string(rune('a'+i)), "tok-c", "title-1", []byte("media-c"))
			p.Grant = tt.grant
			_, err := c.Authorize(context.Background(), p)
			if !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
				t.Fatalf("Authorize(%s) = %v, want %v", tt.name, err, tt.want)
			}
			wantState := contract.TokenUnspent
			if tt.want == nil {
				wantState = contract.TokenSpent
			}
			if s := f.tokenState(t, "tok-c"); s != wantState {
				t.Fatalf("token after %s = %s, want %s", tt.name, s, wantState)
			}
		})
	}
}

// TestGrantEncodingIsTheContracts: the grant a kiosk forwards decodes with
// the contract's decoder to the same grant and signature.
func TestGrantEncodingIsTheContracts(t *testing.T) {
	customer := newParty(t)
	sg := &protocol.SignedGrant{Grant: protocol.CustomerGrant{ChainID: "c", TokenID: "t", StationID: "s", TitleID: "x", Expiry: 99}}
	sg.Signature, _ = protocol.Sign(rand.Reader, customer.key, &sg.Grant)
	g, sig, err := contract.DecodeGrant(sg.Encode())
	if err != nil || *g != sg.Grant || !bytes.Equal(sig, sg.Signature) {
		t.Fatalf("contract.DecodeGrant(protocol encoding) = %+v, %x, %v; want %+v, %x", g, sig, err, sg.Grant, sg.Signature)
	}
}

// TestSpoiledRetry: a disc reported spoiled may be retried under the same
// spend on a new blank: new disc keys, the same package key, one token.
func TestSpoiledRetry(t *testing.T) {
	f := newFixture(t)
	c := f.st.client(t, f.clk.Now, f.node.pin)
	ctx := context.Background()
	first, err := c.Authorize(ctx, f.params("job-1"))
	if err != nil {
		t.Fatalf("Authorize = %v", err)
	}
	p2 := f.params("job-1")
	p2.MediaID = []byte("media-0002")
	if _, err := c.Authorize(ctx, p2); !errors.Is(err, ledgerclient.ErrAttemptPending) {
		t.Fatalf("Authorize(new blank before the report) = %v, want %v", err, ledgerclient.ErrAttemptPending)
	}
	rc, err := c.Report(ctx, ledgerclient.ReportParams{JobID: "job-1", MediaID: []byte("media-0001"),
		Outcome: protocol.OutcomeSpoiled, Reason: "write error at sector 1234"})
	if err != nil {
		t.Fatalf("Report(spoiled) = %v", err)
	}
	if _, err := c.Authorize(ctx, p2); !errors.Is(err, ledgerclient.ErrAttemptMismatch) {
		t.Fatalf("Authorize(retry naming attempt 0 again) = %v, want %v", err, ledgerclient.ErrAttemptMismatch)
	}
	p2.Attempt, p2.PrevReport = 1, rc.ReportDigest
	second, err := c.Authorize(ctx, p2)
	if err != nil {
		t.Fatalf("Authorize(retry on a new blank) = %v", err)
	}
	if bytes.Equal(first.Keys.DiscKey, second.Keys.DiscKey) || !bytes.Equal(first.Keys.BaseKey, second.Keys.BaseKey) {
		t.Fatalf("retry keys: disc %x -> %x, package equal %v; want a new disc key and the same package key",
			first.Keys.DiscKey, second.Keys.DiscKey, bytes.Equal(first.Keys.BaseKey, second.Keys.BaseKey))
	}
	if n := f.attempts(t, "job-1"); n != 2 {
		t.Fatalf("attempts = %d, want 2", n)
	}
}

// TestKioskRetryAfterGrantExpired: a kiosk disc spoiled after the
// customer's authorisation ran out (by the node's clock) is retried under
// the same spend; a new job with that authorisation is still refused.
func TestKioskRetryAfterGrantExpired(t *testing.T) {
	f := newFixture(t)
	customer := newParty(t)
	f.ledger.mint("tok-c", "title-1", customer.pub)
	sg := &protocol.SignedGrant{Grant: protocol.CustomerGrant{ChainID: "copystation-local", TokenID: "tok-c", StationID: f.st.id, TitleID: "title-1", Expiry: f.clk.Now().Unix() + 300}}
	sg.Signature, _ = protocol.Sign(rand.Reader, customer.key, &sg.Grant)
	c := f.st.client(t, f.clk.Now, f.node.pin)
	ctx := context.Background()
	p := f.ledger.paramsFor("kjob", "tok-c", "title-1", []byte("media-k1"))
	p.Grant = sg.Encode()
	if _, err := c.Authorize(ctx, p); err != nil {
		t.Fatalf("Authorize = %v", err)
	}
	rc, err := c.Report(ctx, ledgerclient.ReportParams{JobID: "kjob", MediaID: p.MediaID, Outcome: protocol.OutcomeSpoiled, Reason: "verify failed"})
	if err != nil {
		t.Fatalf("Report(spoiled) = %v", err)
	}
	f.clk.Advance(10 * time.Minute) // the burn and its verification outlast the grant
	retry := p
	retry.MediaID = []byte("media-k2")
	retry.Attempt, retry.PrevReport = 1, rc.ReportDigest
	if _, err := c.Authorize(ctx, retry); err != nil {
		t.Fatalf("Authorize(retry after the grant expired) = %v, want keys", err)
	}
	if n := f.attempts(t, "kjob"); n != 2 {
		t.Fatalf("attempts = %d, want 2", n)
	}
	fresh := p
	fresh.JobID = "kjob-2"
	if _, err := c.Authorize(ctx, fresh); !errors.Is(err, ledgerclient.ErrGrantExpired) {
		t.Fatalf("Authorize(new job, expired grant) = %v, want %v", err, ledgerclient.ErrGrantExpired)
	}
}

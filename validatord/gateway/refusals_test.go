package gateway_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"copystation/ledgerclient"
	"copystation/protocol"
)

// TestMalformedRequestAnswered: a message that decrypts but does not
// decode, or is not a station's, is answered with refusal 1 naming what is
// wrong, as docs/protocol.md says, before the connection closes; nothing
// reaches the ledger.
func TestMalformedRequestAnswered(t *testing.T) {
	f := newFixture(t)
	good := func(s *rawSession) []byte {
		return protocol.Marshal(s.signedRequest(t, f.st, protocol.CopyRequestMsg{JobID: "job-1", TokenID: "tok-1", TitleID: "title-1", Profile: 0x41, MediaID: []byte("m1")}))
	}
	tests := []struct {
		name string
		send func(s *rawSession) error
		want string // in the refusal's message
	}{
		{"truncated request", func(s *rawSession) error { b := good(s); return s.ch.SendPlaintext(b[:len(b)-10]) }, "CopyRequest"},
		{"trailing bytes", func(s *rawSession) error { return s.ch.SendPlaintext(append(good(s), 0)) }, "left over"},
		{"unknown version", func(s *rawSession) error { b := good(s); b[1] = 9; return s.ch.SendPlaintext(b) }, "version"},
		{"unknown type", func(s *rawSession) error { return s.ch.SendPlaintext([]byte{0, byte(protocol.Version), 0x7f}) }, "type"},
		{"challenge from station", func(s *rawSession) error { return s.ch.Send(s.chal) }, "Challenge"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := dialRaw(t, f.node)
			if err := tt.send(s); err != nil {
				t.Fatalf("send = %v", err)
			}
			m, err := s.ch.Receive()
			r, ok := m.(*protocol.RefusalMsg)
			if err != nil || !ok || r.Code != protocol.CodeBadRequest || !strings.Contains(r.Message, tt.want) {
				t.Fatalf("answer to %s = %+v, %v; want refusal %d (%s) mentioning %q", tt.name, m, err, protocol.CodeBadRequest, protocol.CodeBadRequest, tt.want)
			}
			if err := closedByPeer(s.conn); err != nil {
				t.Fatalf("after the refusal: %v", err)
			}
			if n := f.attempts(t, "job-1"); n != 0 {
				t.Fatalf("attempts after %s = %d, want 0", tt.name, n)
			}
		})
	}
}

// TestChallengeExpiredReachable: with the node's own deadlines, a request
// that comes after its challenge expired (but before the node stops
// waiting) is answered with refusal 3, not cut off: the challenge ends
// before the request deadline.
func TestChallengeExpiredReachable(t *testing.T) {
	st := softStation(t)
	const wait = 3 * time.Second
	n := refusingNode(t, st, nodeOpts{request: wait})
	accepted := time.Now()
	s := dialRaw(t, n)
	expiry := time.Unix(s.chal.Expiry, 0)
	if !expiry.Before(accepted.Add(wait)) {
		t.Fatalf("challenge expires at %v, %v after connecting; want before the node's request deadline (%v), or refusal 3 can never be sent",
			expiry, expiry.Sub(accepted), wait)
	}
	time.Sleep(time.Until(expiry) + 50*time.Millisecond)
	s.conn.SetDeadline(time.Now().Add(5 * time.Second))
	a := s.roundTrip(t, s.signedRequest(t, st, protocol.CopyRequestMsg{JobID: "job-1", TokenID: "tok-1", TitleID: "title-1", Profile: 0x41, MediaID: []byte("m1")}))
	if r, ok := a.(*protocol.RefusalMsg); !ok || r.Code != protocol.CodeChallengeExpired {
		t.Fatalf("request after the challenge expired: answer %+v, want refusal %d", a, protocol.CodeChallengeExpired)
	}
}

// TestNonASCIIJobIDRefused: a job ID outside the ledger's characters is
// refused with refusal 1 naming the character as sent, not a byte of it
// printed as another character.
func TestNonASCIIJobIDRefused(t *testing.T) {
	f := newFixture(t)
	c := f.st.client(t, f.clk.Now, f.node.pin)
	_, err := c.Authorize(context.Background(), f.params("jöb-1"))
	var r *ledgerclient.RefusalError
	if !errors.As(err, &r) || r.Code != protocol.CodeBadRequest {
		t.Fatalf("Authorize(job jöb-1) = %v, want refusal %d", err, protocol.CodeBadRequest)
	}
	if !strings.Contains(r.Message, `"jöb-1"`) || !strings.Contains(r.Message, `'ö'`) || strings.Contains(r.Message, "Ã") {
		t.Fatalf("refusal message = %q, want the job ID \"jöb-1\" and the character 'ö' as sent", r.Message)
	}
}

// TestRefusalsSayOnlyWhatTheStationNeeds: another station's refusals do
// not name the token's owner, the job that spent it, another station, or a
// job's disc.
func TestRefusalsSayOnlyWhatTheStationNeeds(t *testing.T) {
	f := newFixture(t) // station A owns tok-1
	a, b := f.st, softStation(t)
	f.ledger.enroll(b.signPub, b.exchanger.PublicKey())
	customer := newParty(t)
	f.ledger.mint("tok-c", "title-1", customer.pub)
	f.ledger.mint("tok-b", "title-1", b.signPub)
	grant := func(st *station) []byte {
		sg := &protocol.SignedGrant{Grant: protocol.CustomerGrant{ChainID: "copystation-local", TokenID: "tok-c", StationID: st.id, TitleID: "title-1", Expiry: f.clk.Now().Unix() + 600}}
		sg.Signature, _ = protocol.Sign(rand.Reader, customer.key, &sg.Grant)
		return sg.Encode()
	}
	ctx := context.Background()
	ca, cb := a.client(t, f.clk.Now, f.node.pin), b.client(t, f.clk.Now, f.node.pin)
	// A spends the customer's token with job secret-job on media-0001.
	spend := f.ledger.paramsFor("secret-job", "tok-c", "title-1", []byte("media-0001"))
	spend.Grant = grant(a)
	if _, err := ca.Authorize(ctx, spend); err != nil {
		t.Fatalf("Authorize(A, tok-c) = %v", err)
	}
	secrets := []string{protocol.KeyID(customer.pub), a.id, "secret-job", hex.EncodeToString([]byte("media-0001"))}
	tests := []struct {
		name string
		do   func() error
		code protocol.Code
		own  string // a secret the asking station sent itself, which its refusal may repeat
	}{
		{"another customer's token, no grant", func() error {
			_, err := cb.Authorize(ctx, paramsFor("b-1", "tok-c", "title-1", []byte("mb")))
			return err
		}, protocol.CodeNotOwner, ""},
		{"another station's token", func() error {
			_, err := cb.Authorize(ctx, paramsFor("b-2", "tok-1", "title-1", []byte("mb")))
			return err
		}, protocol.CodeNotOwner, ""},
		{"token spent by another station's job", func() error {
			p := paramsFor("b-3", "tok-c", "title-1", []byte("mb"))
			p.Grant = grant(b)
			_, err := cb.Authorize(ctx, p)
			return err
		}, protocol.CodeTokenSpent, ""},
		{"another station's job ID", func() error {
			_, err := cb.Authorize(ctx, paramsFor("secret-job", "tok-b", "title-1", []byte("mb")))
			return err
		}, protocol.CodeJobMismatch, "secret-job"},
		{"report for another station's job", func() error {
			_, err := cb.Report(ctx, ledgerclient.ReportParams{JobID: "secret-job", MediaID: []byte("mb"), Outcome: protocol.OutcomeSpoiled, Reason: "x"})
			return err
		}, protocol.CodeJobMismatch, "secret-job"},
		{"own job on another disc while one is pending", func() error {
			p := f.ledger.paramsFor("secret-job", "tok-c", "title-1", []byte("media-0002"))
			p.Grant = grant(a)
			_, err := ca.Authorize(ctx, p)
			return err
		}, protocol.CodeAttemptPending, "secret-job"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			var r *ledgerclient.RefusalError
			if !errors.As(err, &r) || r.Code != tt.code {
				t.Fatalf("%s: %v, want refusal %d (%s)", tt.name, err, tt.code, tt.code)
			}
			for _, s := range secrets {
				if s != tt.own && strings.Contains(r.Message, s) {
					t.Errorf("%s: refusal %q names %q, which is not the asking station's", tt.name, r.Message, s)
				}
			}
		})
	}
}

// TestLedgerMalformedRefusalExplained: a request the ledger itself finds
// malformed (a made report without the disc digest) is refused with code 1
// and the ledger's account, which concerns the request's own fields.
func TestLedgerMalformedRefusalExplained(t *testing.T) {
	f := newFixture(t)
	c := f.st.client(t, f.clk.Now, f.node.pin)
	ctx := context.Background()
	if _, err := c.Authorize(ctx, f.params("job-1")); err != nil {
		t.Fatalf("Authorize = %v", err)
	}
	_, err := c.Report(ctx, ledgerclient.ReportParams{JobID: "job-1", MediaID: []byte("media-0001"), Outcome: protocol.OutcomeMade})
	var r *ledgerclient.RefusalError
	if !errors.As(err, &r) || r.Code != protocol.CodeBadRequest || !strings.Contains(r.Message, "disc digest") {
		t.Fatalf("Report(made, no disc digest) = %v, want refusal %d explaining the disc digest", err, protocol.CodeBadRequest)
	}
}

package embedded

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"copystation/keys"
	"copystation/protocol"
	"copystation/validatord/contract"
	"copystation/validatord/ledger"
)

func (s *station) report(t *testing.T, job, media string, outcome uint8) (*protocol.CopyReport, []byte) {
	rep := &protocol.CopyReport{ChainID: testChainID, HandshakeHash: []byte("hh"), JobID: job, Attempt: s.attempt, MediaID: []byte(media), Outcome: outcome, DiscDigest: make([]byte, 32)}
	sig, err := protocol.Sign(rand.Reader, s.sign, rep)
	if err != nil {
		t.Fatal(err)
	}
	return rep, sig
}

// TestLedgerAPI walks the gateway's API through a copy's life on one node:
// key release only for the committed, pending disc; reports; a retry after
// a spoiled disc; refusals typed by contract code.
func TestLedgerAPI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n, err := Start(ctx, t.TempDir(), Options{})
	if err != nil {
		t.Fatalf("Start() = %v", err)
	}
	defer n.Stop()
	st, other := newStation(t), newStation(t)
	setup(t, ctx, n, st)
	if _, err := n.Operator.EnrollStation(ctx, other.signPub, other.ka.PublicKey().Bytes(), []uint16{0x41}, nil); err != nil {
		t.Fatal(err)
	}
	if err := n.Issuer.MintToken(ctx, "tok-1", "film-1", st.signPub); err != nil {
		t.Fatal(err)
	}
	var l ledger.Ledger = n.Ledger
	if got, err := l.Station(ctx, st.id); err != nil || got.Status != contract.StationActive {
		t.Fatalf("Station(%s) = %+v, %v, want active", st.id, got, err)
	}
	if _, err := l.Station(ctx, "nope"); !errors.Is(err, ledger.ErrStationNotFound) {
		t.Fatalf("Station(nope) = %v, want %v", err, ledger.ErrStationNotFound)
	}
	req, sig := st.request(t, "job-1", "tok-1", "m1")
	if _, err := l.Spend(ctx, st.signPub, req, sig); err != nil {
		t.Fatalf("Spend() = %v", err)
	}
	info := func(media string) keys.Info {
		return keys.Info{JobID: "job-1", MediaID: []byte(media), Transcript: []byte("t")}
	}
	release := func(stationID, media string) error {
		_, err := l.ReleasePartial(ctx, stationID, info(media))
		return err
	}
	report := func(outcome uint8, media string) error {
		rep, sig := st.report(t, "job-1", media, outcome)
		_, err := l.Report(ctx, st.signPub, rep, sig)
		return err
	}
	steps := []struct {
		name string
		do   func() error
		want error
	}{
		{"release", func() error { return release(st.id, "m1") }, nil},
		{"release to another station", func() error { return release(other.id, "m1") }, contract.CodeJobConflict},
		{"release for another disc", func() error { return release(st.id, "m2") }, contract.CodeReportMismatch},
		{"report spoiled", func() error {
			rep, sig := st.report(t, "job-1", "m1", protocol.OutcomeSpoiled)
			_, err := l.Report(ctx, st.signPub, rep, sig)
			st.prev = protocol.ReportDigest(rep)
			return err
		}, nil},
		{"release after spoiled", func() error { return release(st.id, "m1") }, contract.CodeAlreadyReported},
		{"report again", func() error { return report(protocol.OutcomeMade, "m1") }, contract.CodeAlreadyReported},
		{"retry on a new disc", func() error {
			st.attempt = 1
			req, sig := st.request(t, "job-1", "tok-1", "m2")
			rc, err := l.Spend(ctx, st.signPub, req, sig)
			if err == nil && rc.Attempt != 1 {
				return errors.New("retry receipt is not attempt 1")
			}
			return err
		}, nil},
		{"release the retry", func() error { return release(st.id, "m2") }, nil},
		{"report made", func() error { return report(protocol.OutcomeMade, "m2") }, nil},
		{"release after made", func() error { return release(st.id, "m2") }, contract.CodeCopyMade},
		{"spend after made", func() error {
			req, sig := st.request(t, "job-1", "tok-1", "m2")
			_, err := l.Spend(ctx, st.signPub, req, sig)
			return err
		}, contract.CodeCopyMade},
		{"release unknown job", func() error {
			_, err := l.ReleasePartial(ctx, st.id, keys.Info{JobID: "nope", MediaID: []byte("m")})
			return err
		}, contract.CodeUnknownCopy},
		{"spend with a bad signature", func() error {
			req, sig := st.request(t, "job-9", "tok-1", "m9")
			sig[len(sig)-1] ^= 1
			_, err := l.Spend(ctx, st.signPub, req, sig)
			return err
		}, contract.CodeBadSignature},
	}
	for _, s := range steps {
		err := s.do()
		if s.want == nil && err != nil || s.want != nil && !errors.Is(err, s.want) {
			t.Fatalf("%s: err = %v, want %v", s.name, err, s.want)
		}
		var ref *ledger.RefusalError
		if s.want != nil && !errors.As(err, &ref) {
			t.Fatalf("%s: err = %T, want *ledger.RefusalError", s.name, err)
		}
	}
	c, _ := n.App.Copy("job-1")
	if len(c.Attempts) != 2 || c.Attempts[0].Outcome != contract.OutcomeSpoiled || c.Attempts[1].Outcome != contract.OutcomeMade {
		t.Fatalf("Copy(job-1) = %+v, want a spoiled then a made attempt", c.Attempts)
	}
}

// TestRemoteRefusal: a transaction CheckTx refuses comes back through the
// RPC as a typed refusal.
func TestRemoteRefusal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := Start(ctx, t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	r, err := ledger.Dial(n.Config.RPCListen)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Submit(ctx, "test", []byte("garbage")); !errors.Is(err, contract.CodeBadEncoding) {
		t.Fatalf("Remote.Submit(garbage) = %v, want %v", err, contract.CodeBadEncoding)
	}
}

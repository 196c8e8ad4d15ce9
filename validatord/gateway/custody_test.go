package gateway_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"copystation/custody"
	"copystation/keys"
	"copystation/ledgerclient"
	"copystation/protocol"
	vchain "copystation/validatord/chain"
	"copystation/validatord/embedded"
	"copystation/validatord/keyservice"
	"copystation/validatord/vault"
)

// custodyNet is four real validation nodes on loopback, each with its own
// custody share from the genesis ceremony (t = 2 of 4), a gateway on each,
// and node 0 run with a fault: it signs a wrong partial.
type custodyNet struct {
	*chain
	kek   []byte
	gw    []*testNode
	clk   *clock
	st    *station
	group *custody.Group
}

func startCustodyNet(t *testing.T) *custodyNet {
	t.Helper()
	kek := make([]byte, 32)
	rand.Read(kek)
	c := startChainOpts(t, 4, embedded.Options{KEK: kek, Faults: map[int]keyservice.Fault{0: keyservice.FaultWrongPartial}})
	n := &custodyNet{chain: c, kek: kek, clk: newClock(), st: softStation(t)}
	c.registerTitleSegments("title-1", 16)
	c.enroll(n.st.signPub, n.st.exchanger.PublicKey())
	for i := range 3 {
		c.mint(fmt.Sprintf("tok-%d", i), "title-1", n.st.signPub)
	}
	for i := range 4 {
		n.gw = append(n.gw, startNode(t, c.node(i).Ledger, nodeOpts{now: n.clk.Now}))
	}
	cust, err := c.node(0).App.Custody()
	if err != nil {
		t.Fatal(err)
	}
	if n.group, err = custody.UnmarshalGroup(cust.Group); err != nil || n.group.T() != 2 {
		t.Fatalf("genesis group = %v (t %d), want t = 2 of 4", err, n.group.T())
	}
	return n
}

// client is a station pinned to the gateways in the order given, logging
// what it is told about wrong partials.
func (n *custodyNet) client(t *testing.T, log *[]string, order ...int) *ledgerclient.Client {
	t.Helper()
	var pins []ledgerclient.Node
	for _, i := range order {
		pins = append(pins, n.gw[i].pin)
	}
	var mu sync.Mutex
	c, err := ledgerclient.New(ledgerclient.Config{Nodes: pins, Group: groupOf(t, pins...), Signer: n.st.signer,
		KeyExchanger: n.st.exchanger, Random: rand.Reader, Now: n.clk.Now, StepTimeout: 2 * time.Second, AnswerTimeout: 10 * time.Second,
		Logf: func(f string, a ...any) { mu.Lock(); *log = append(*log, fmt.Sprintf(f, a...)); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sigma makes a copy's group signature as a station does, from nodes 1
// and 2 (the honest ones that are up), to hand-craft round-2 requests.
func (n *custodyNet) sigma(t *testing.T, job, media string) custody.Signature {
	t.Helper()
	info := keys.Info{JobID: job, MediaID: []byte(media), Transcript: []byte("t")}
	var ps []custody.Partial
	for _, i := range []int{1, 2} {
		rel, err := n.node(i).Ledger.ReleasePartial(n.ctx(), n.st.id, info)
		if err != nil {
			t.Fatalf("ReleasePartial(node %d) = %v", i, err)
		}
		pb, _, err := keys.OpenPartial(n.st.exchanger, info, rel.Sealed)
		if err != nil {
			t.Fatal(err)
		}
		p, err := custody.UnmarshalPartial(pb)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	cp, err := n.node(1).Ledger.Copy(n.ctx(), job)
	if err != nil {
		t.Fatal(err)
	}
	label, _ := n.node(1).Keys.Label(cp)
	sig, _, err := custody.Combine(n.group, label, ps)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// TestThresholdRelease is issue 12's must-show on four nodes: a copy
// succeeds while one node is stopped and another returns a wrong partial
// (named, logged, skipped); the codeword is the same through every node
// and every retry and differs between copies; a node that never saw the
// spend final releases nothing; and one node's home with its KEK and the
// whole ledger cannot make the copy's group signature.
func TestThresholdRelease(t *testing.T) {
	n := startCustodyNet(t)
	// Node 3 stops before any spend; its gateway with it.
	n.gw[3].stop()
	if err := n.nw.Stop(3); err != nil {
		t.Fatal(err)
	}
	var log []string
	p := n.paramsFor("job-1", "tok-0", "title-1", []byte("media-1"))
	first, err := n.client(t, &log, 0, 1, 2, 3).Authorize(context.Background(), p)
	if err != nil {
		t.Fatalf("Authorize with node 3 down and node 0 faulty = %v", err)
	}
	liar := n.gw[0].server.NodeID()
	if len(first.Rejected) != 1 || !errors.Is(first.Rejected[0], ledgerclient.ErrWrongPartial) || !strings.Contains(first.Rejected[0].Error(), liar) {
		t.Fatalf("Authorize rejected %v, want node 0 (%s) named with %v", first.Rejected, liar, ledgerclient.ErrWrongPartial)
	}
	if len(log) != 1 || !strings.Contains(log[0], liar) {
		t.Errorf("station log = %q, want one line naming node 0 (%s)", log, liar)
	}
	want := []string{n.gw[1].server.NodeID(), n.gw[2].server.NodeID()}
	got := slices.Clone(first.Partials)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("partials from %v, want nodes 1 and 2 %v", first.Partials, want)
	}
	if got := n.attempts(t, "job-1"); got != 1 {
		t.Fatalf("attempts = %d, want 1: only the first node spends", got)
	}
	cw := first.Keys.Codeword
	sig := n.sigma(t, "job-1", "media-1")
	if d := custody.DeriveCodeword; true {
		c, _ := d(sig, 8*len(cw))
		dk, _ := custody.DiscKey(sig, 0, []byte("media-1"))
		if !bytes.Equal(c.Bytes(), cw) || !bytes.Equal(first.Keys.DiscKey, dk[:]) {
			t.Fatalf("codeword %x / disc key: want the ones the copy's group signature gives", cw)
		}
	}

	t.Run("same codeword through every node and retry", func(t *testing.T) {
		// node 1 first, then the faulty node 0 among those asked at once:
		// the combined signature fails, node 0 is named, node 2 asked
		again, err := n.client(t, new([]string), 1, 0, 2).Authorize(context.Background(), p)
		if err != nil {
			t.Fatalf("Authorize(same attempt, other nodes first) = %v", err)
		}
		if len(again.Rejected) != 1 || !strings.Contains(again.Rejected[0].Error(), liar) {
			t.Fatalf("Authorize(nodes 1, 0, 2) rejected %v, want node 0 (%s) named", again.Rejected, liar)
		}
		if !bytes.Equal(again.Keys.Codeword, cw) || !bytes.Equal(again.Keys.DiscKey, first.Keys.DiscKey) {
			t.Fatalf("the same attempt through other nodes got another codeword or disc key")
		}
		c := n.client(t, new([]string), 1, 2)
		rc, err := c.Report(context.Background(), ledgerclient.ReportParams{JobID: "job-1", MediaID: []byte("media-1"), Outcome: protocol.OutcomeSpoiled, Reason: "test"})
		if err != nil {
			t.Fatalf("Report(spoiled) = %v", err)
		}
		retry := p
		retry.MediaID, retry.Attempt, retry.PrevReport = []byte("media-2"), 1, rc.ReportDigest
		r, err := c.Authorize(context.Background(), retry)
		if err != nil {
			t.Fatalf("Authorize(retry) = %v", err)
		}
		if !bytes.Equal(r.Keys.Codeword, cw) || bytes.Equal(r.Keys.DiscKey, first.Keys.DiscKey) {
			t.Fatalf("retry: codeword equal %v, disc key equal %v; want the same codeword and a new disc key",
				bytes.Equal(r.Keys.Codeword, cw), bytes.Equal(r.Keys.DiscKey, first.Keys.DiscKey))
		}
		other, err := c.Authorize(context.Background(), n.paramsFor("job-2", "tok-1", "title-1", []byte("media-3")))
		if err != nil {
			t.Fatalf("Authorize(another copy) = %v", err)
		}
		if bytes.Equal(other.Keys.Codeword, cw) {
			t.Fatalf("another copy has the same codeword %x", cw)
		}
	})

	t.Run("a node that never saw the spend releases nothing", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := n.nw.RestartTuned(ctx, 3, embedded.Partition); err != nil {
			t.Fatal(err)
		}
		g3 := startNode(t, n.node(3).Ledger, nodeOpts{now: n.clk.Now})
		sig := n.sigma(t, "job-2", "media-3")
		r := dialRaw(t, g3)
		req := &protocol.KeyRequestMsg{StationID: n.st.id, JobID: "job-2", MediaID: []byte("media-3"), Sigma: sig[:]}
		s, err := protocol.Sign(rand.Reader, n.st.signer, req.Statement(r.ch.HandshakeHash(), r.chal))
		if err != nil {
			t.Fatal(err)
		}
		req.Signature = s
		a := r.roundTrip(t, req)
		if ref, ok := a.(*protocol.RefusalMsg); !ok || ref.Code != protocol.CodeCopyUnknown {
			t.Fatalf("KeyRequest at the partitioned node = %#v, want a refusal %s", a, protocol.CodeCopyUnknown)
		}
		// The same request, with the right sigma, at a node that has the
		// spend, is answered; with another copy's sigma it is refused.
		for _, tc := range []struct {
			sig  custody.Signature
			want protocol.MsgType
		}{{sig, protocol.MsgShareRelease}, {n.sigma(t, "job-1", "media-2"), protocol.MsgRefusal}} {
			r := dialRaw(t, n.gw[1])
			req := &protocol.KeyRequestMsg{StationID: n.st.id, JobID: "job-2", MediaID: []byte("media-3"), Sigma: tc.sig[:]}
			req.Signature, _ = protocol.Sign(rand.Reader, n.st.signer, req.Statement(r.ch.HandshakeHash(), r.chal))
			if a := r.roundTrip(t, req); a.Type() != tc.want {
				t.Fatalf("KeyRequest at node 1 = %#v, want %s", a, tc.want)
			} else if ref, ok := a.(*protocol.RefusalMsg); ok && ref.Code != protocol.CodeBadSigma {
				t.Fatalf("KeyRequest with another copy's sigma = %s, want %s", ref.Code, protocol.CodeBadSigma)
			}
		}
	})

	t.Run("one home, its KEK and the ledger cannot make sigma", func(t *testing.T) {
		sec, err := vault.Load(filepath.Join(n.nw.Homes[1], vchain.FileVault), n.kek)
		if err != nil {
			t.Fatal(err)
		}
		defer sec.Wipe()
		share, err := custody.UnmarshalKeyShare(sec.CustodyShare)
		if err != nil {
			t.Fatal(err)
		}
		cp, err := n.node(1).Ledger.Copy(n.ctx(), "job-1")
		if err != nil {
			t.Fatal(err)
		}
		label, _ := n.node(1).Keys.Label(cp)
		own, err := custody.PartialSign(share, label)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := custody.Combine(n.group, label, []custody.Partial{own}); !errors.Is(err, custody.ErrNotEnoughShares) {
			t.Fatalf("Combine(one node's own partial) = %v, want %v", err, custody.ErrNotEnoughShares)
		}
		// Nor does a forged sigma from that share pass another node.
		var forged custody.Signature
		copy(forged[:], own.Sig[:])
		if _, err := n.node(2).Keys.CheckSigma(cp, forged[:]); !errors.Is(err, keyservice.ErrBadSigma) {
			t.Fatalf("CheckSigma(one share's partial as sigma) = %v, want %v", err, keyservice.ErrBadSigma)
		}
	})
}

package gateway_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"copystation/ledgerclient"
)

// TestRetryOnAnotherNode: on a two-node network, node 0 commits the spend
// but its answer is lost; the station's retry reaches node 1 and gets the
// very keys node 0 would have released, and the token is spent once.
func TestRetryOnAnotherNode(t *testing.T) {
	clk := newClock()
	l := startChain(t, 2)
	st := softStation(t)
	l.registerTitle("title-1")
	l.enroll(st.signPub, st.exchanger.PublicKey())
	l.mint("tok-1", "title-1", st.signPub)
	n0 := startNode(t, l.node(0).Ledger, nodeOpts{now: clk.Now})
	n1 := startNode(t, l.node(1).Ledger, nodeOpts{now: clk.Now})
	c, err := ledgerclient.New(ledgerclient.Config{Nodes: []ledgerclient.Node{startDropper(t, n0), n1.pin}, Group: groupOf(t, n1.pin),
		Signer: st.signer, KeyExchanger: st.exchanger, Random: rand.Reader, Now: clk.Now,
		StepTimeout: 2 * time.Second, AnswerTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	p := l.paramsFor("job-1", "tok-1", "title-1", []byte("media-1"))
	viaN1, err := c.Authorize(context.Background(), p)
	if err != nil {
		t.Fatalf("Authorize(node 0 drops, node 1 answers) = %v", err)
	}
	if viaN1.Receipt.NodeID != n1.server.NodeID() {
		t.Fatalf("answered by %s, want node 1 %s", viaN1.Receipt.NodeID, n1.server.NodeID())
	}
	if got := l.attempts(t, "job-1"); got != 1 {
		t.Fatalf("attempts(job-1) = %d, want 1", got)
	}
	// Node 0, asked directly, releases the same keys for the same spend.
	direct := st.client(t, clk.Now, n0.pin)
	viaN0, err := direct.Authorize(context.Background(), p)
	if err != nil {
		t.Fatalf("Authorize(node 0) = %v", err)
	}
	for _, f := range []struct {
		name   string
		n0, n1 []byte
	}{
		{"base key", viaN0.Keys.BaseKey, viaN1.Keys.BaseKey},
		{"disc key", viaN0.Keys.DiscKey, viaN1.Keys.DiscKey},
		{"codeword", viaN0.Keys.Codeword, viaN1.Keys.Codeword},
	} {
		if !bytes.Equal(f.n0, f.n1) || len(f.n0) == 0 {
			t.Errorf("%s: node 0 %x, node 1 %x; want equal and non-empty", f.name, f.n0, f.n1)
		}
	}
	if viaN0.Receipt.Height != viaN1.Receipt.Height || !bytes.Equal(viaN0.Receipt.TxHash, viaN1.Receipt.TxHash) {
		t.Errorf("receipts: node 0 %d/%x, node 1 %d/%x; want the same spend", viaN0.Receipt.Height, viaN0.Receipt.TxHash, viaN1.Receipt.Height, viaN1.Receipt.TxHash)
	}
	if s := l.tokenState(t, "tok-1"); s != "spent" {
		t.Errorf("token = %s, want spent", s)
	}
}

// TestConcurrentSpendsOnce: two jobs for the same token, sent at the same
// moment through the gateways of two different nodes, get exactly one
// copy: the other is refused as spent.
func TestConcurrentSpendsOnce(t *testing.T) {
	clk := newClock()
	l := startChain(t, 2)
	st := softStation(t)
	l.registerTitle("title-1")
	l.enroll(st.signPub, st.exchanger.PublicKey())
	n0 := startNode(t, l.node(0).Ledger, nodeOpts{now: clk.Now})
	n1 := startNode(t, l.node(1).Ledger, nodeOpts{now: clk.Now})
	clients := []*ledgerclient.Client{st.client(t, clk.Now, n0.pin), st.client(t, clk.Now, n1.pin)}
	for round := range 3 {
		tok := fmt.Sprintf("tok-%d", round)
		l.mint(tok, "title-1", st.signPub)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a, err := c.Authorize(context.Background(), l.paramsFor(fmt.Sprintf("job-%d-%d", round, i), tok, "title-1", []byte("media")))
				if err == nil {
					a.Keys.Wipe()
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		ok, spent := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, ledgerclient.ErrTokenSpent):
				spent++
			default:
				t.Fatalf("round %d: Authorize = %v, want success or %v", round, err, ledgerclient.ErrTokenSpent)
			}
		}
		if ok != 1 || spent != 1 {
			t.Fatalf("round %d: %d granted, %d refused as spent; want 1 and 1", round, ok, spent)
		}
	}
}

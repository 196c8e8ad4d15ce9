package gateway_test

import (
	"context"
	"testing"
	"time"
)

// TestGatewayVerifiesOnce: the node whose gateway receives a copy request
// verifies the station's signature over it once: the gateway's check
// (before it admits the station) serves the contract's check of the spend
// it submits. Another node verifies it itself, reusing nothing.
func TestGatewayVerifiesOnce(t *testing.T) {
	clk := newClock()
	l := startChain(t, 2)
	st := softStation(t)
	l.registerTitle("title-1")
	l.enroll(st.signPub, st.exchanger.PublicKey())
	l.mint("tok-1", "title-1", st.signPub)
	n0 := startNode(t, l.node(0).Ledger, nodeOpts{now: clk.Now})
	a, err := st.client(t, clk.Now, n0.pin).Authorize(context.Background(), l.paramsFor("job-1", "tok-1", "title-1", []byte("media")))
	if err != nil {
		t.Fatalf("Authorize = %v", err)
	}
	a.Keys.Wipe()
	if v, r := l.node(0).App.StatementChecks(); v != 1 || r != 1 {
		t.Errorf("node 0 (the gateway's) StatementChecks() = %d verified, %d reused; want 1 and 1", v, r)
	}
	// Node 1 has executed the spend once it knows the copy.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := l.node(1).App.Copy("job-1"); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("node 1 has not committed the spend after 10 s: %v", err)
		}
	}
	if v, r := l.node(1).App.StatementChecks(); v < 1 || r != 0 {
		t.Errorf("node 1 StatementChecks() = %d verified, %d reused; want at least 1 verified, none reused", v, r)
	}
}

package gateway_test

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"copystation/ledgerclient"
)

// TestStationPinsChainID: a station configured for another network refuses
// a node's challenge before signing anything, and nothing is spent; the
// same station pinned to the node's network is served.
func TestStationPinsChainID(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		chain string
		want  error
	}{{"copystation-prod", ledgerclient.ErrWrongChain}, {"copystation-local", nil}} {
		c, err := ledgerclient.New(ledgerclient.Config{Nodes: []ledgerclient.Node{f.node.pin}, Group: groupOf(t, f.node.pin), Signer: f.st.signer,
			KeyExchanger: f.st.exchanger, Random: rand.Reader, Now: f.clk.Now, StepTimeout: 2 * time.Second,
			AnswerTimeout: 5 * time.Second, ChainID: tc.chain})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Authorize(context.Background(), f.params("job-1"))
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Fatalf("Authorize(pinned %s) = %v, want %v", tc.chain, err, tc.want)
		}
		if tc.want != nil {
			if n := f.attempts(t, "job-1"); n != 0 {
				t.Fatalf("attempts after a refused challenge = %d, want 0", n)
			}
		}
	}
}

// TestLargeRelease: the share release of a title with 1,500 forensic
// segments (a share of one variant key each, with its sibling hashes)
// reaches the station whole, in Fragment frames, through a real node;
// before releases spanned frames the gateway could not send them after the
// spend.
func TestLargeRelease(t *testing.T) {
	f := newFixture(t)
	f.ledger.registerTitleSegments("title-big", 1500)
	f.ledger.mint("tok-big", "title-big", f.st.signPub)
	c := f.st.client(t, f.clk.Now, f.node.pin)
	p := f.ledger.paramsFor("job-big", "tok-big", "title-big", []byte("media-0001"))
	a, err := c.Authorize(context.Background(), p)
	if err != nil {
		t.Fatalf("Authorize(1,500 segments) = %v", err)
	}
	if len(a.Keys.VariantKeys) != 1500 || len(a.Keys.Codeword) != (1500+7)/8 {
		t.Fatalf("Authorize = %d variant keys, %d-byte codeword; want 1500 and %d", len(a.Keys.VariantKeys), len(a.Keys.Codeword), (1500+7)/8)
	}
}

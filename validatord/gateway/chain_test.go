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
		c, err := ledgerclient.New(ledgerclient.Config{Nodes: []ledgerclient.Node{f.node.pin}, Signer: f.st.signer,
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

package validatord

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"copystation/protocol"
	"copystation/validatord/embedded"
	"copystation/validatord/ledger/ledgertest"
)

// TestMetricsStatementChecks: /metrics counts the node's checks of station
// signatures, and a spend its gateway verified (ledger.Local's
// VerifyStatement, as the gateway calls it) is verified once, its CheckTx
// reusing the gateway's check; a spend submitted without it is verified
// by CheckTx.
func TestMetricsStatementChecks(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	n, err := embedded.Start(ctx, t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatalf("embedded.Start() = %v", err)
	}
	defer n.Stop()
	if _, err := ledgertest.DealTitle(ctx, n.Issuer, t.TempDir(), "film-1", 1); err != nil {
		t.Fatal(err)
	}
	st, err := ledgertest.EnrollStation(ctx, n.Operator)
	if err != nil {
		t.Fatal(err)
	}
	key, pub := st.Key, st.Pub
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mctx, mstop := context.WithCancel(ctx)
	defer mstop()
	serveMetrics(mctx, ln, n.Ledger.Node(), t.Logf)
	scrape := func() string {
		t.Helper()
		res, err := http.Get("http://" + ln.Addr().String() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	chainID, _ := n.Ledger.ChainID(ctx)
	for i, viaGateway := range []bool{true, false} {
		tok, job := fmt.Sprintf("tok-%d", i), fmt.Sprintf("job-%d", i)
		if err := n.Issuer.MintToken(ctx, tok, "film-1", pub); err != nil {
			t.Fatal(err)
		}
		req := &protocol.CopyRequest{ChainID: chainID, HandshakeHash: []byte("hh"), ChallengeNonce: []byte("n"), NodeID: "n0",
			ChallengeExpiry: time.Now().Add(time.Minute).Unix(), JobID: job, TokenID: tok, TitleID: "film-1", Profile: 0x41, MediaID: []byte(job)}
		sig, _ := protocol.Sign(rand.Reader, key, req)
		if viaGateway {
			if err := n.Ledger.VerifyStatement(pub, req, sig); err != nil {
				t.Fatalf("VerifyStatement = %v", err)
			}
		}
		if _, err := n.Ledger.Spend(ctx, pub, req, sig); err != nil {
			t.Fatalf("Spend(%s) = %v", job, err)
		}
	}
	got := scrape()
	for _, want := range []string{
		"\ncopystation_node_statement_checks_total{how=\"verified\"} 2\n",
		"\ncopystation_node_statement_checks_total{how=\"reused\"} 1\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("/metrics lacks %q:\n%s", strings.TrimSpace(want), grepMetric(got, "statement_checks"))
		}
	}
}

func grepMetric(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

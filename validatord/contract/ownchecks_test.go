package contract

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"copystation/protocol"
)

// TestGatewayCheckReused: a statement this node's gateway verified
// (VerifyStatement) is not verified again by the CheckTx of the transaction
// carrying it, alone or in a batch; a statement with another signature, or
// one the gateway refused, is verified (and refused) as before; and a node
// whose gateway saw nothing verifies everything.
func TestGatewayCheckReused(t *testing.T) {
	w := newWorld(t)
	w.mint("tok-b", "film-1", w.stA)
	sign := func(req *protocol.CopyRequest) []byte {
		sig, err := protocol.Sign(rand.Reader, w.stA.key, req)
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	check := func(tx []byte) Code {
		r, err := w.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: tx})
		if err != nil {
			t.Fatal(err)
		}
		return Code(r.Code)
	}
	want := func(verified, reused uint64) {
		t.Helper()
		if v, r := w.app.StatementChecks(); v != verified || r != reused {
			t.Errorf("StatementChecks() = %d verified, %d reused; want %d, %d", v, r, verified, reused)
		}
	}

	req1 := w.request("job-1", "tok-a", "film-1", 0x41, "m1")
	sig1 := sign(req1)
	if err := w.app.VerifyStatement(w.stA.pub, req1, sig1); err != nil {
		t.Fatalf("VerifyStatement = %v", err)
	}
	want(1, 0)
	tx1, err := NewSpendTx(w.stA.pub, req1, sig1)
	if err != nil {
		t.Fatal(err)
	}
	if c := check(tx1); c != OK {
		t.Fatalf("CheckTx of the gateway's statement = %d, want OK", c)
	}
	want(1, 1)

	// The same statement under another valid signature (ECDSA draws a new
	// one each time) is another triple: verified.
	req2 := w.request("job-2", "tok-b", "film-1", 0x41, "m2")
	sig2 := sign(req2)
	if err := w.app.VerifyStatement(w.stA.pub, req2, sig2); err != nil {
		t.Fatal(err)
	}
	tx2, _ := NewSpendTx(w.stA.pub, req2, sign(req2))
	if c := check(tx2); c != OK {
		t.Fatalf("CheckTx under a second signature = %d, want OK", c)
	}
	want(3, 1)

	// A signature the gateway refused is not remembered: CheckTx verifies
	// it and refuses it too.
	req3 := w.request("job-3", "tok-b", "film-1", 0x41, "m3")
	bad := sign(req3)
	bad[len(bad)-1] ^= 1
	if err := w.app.VerifyStatement(w.stA.pub, req3, bad); !errors.Is(err, protocol.ErrBadSignature) {
		t.Fatalf("VerifyStatement(bad signature) = %v, want %v", err, protocol.ErrBadSignature)
	}
	tx3, _ := NewSpendTx(w.stA.pub, req3, bad)
	if c := check(tx3); c != CodeBadSignature {
		t.Fatalf("CheckTx of the refused signature = %d, want %d", c, CodeBadSignature)
	}
	want(5, 1)

	// In a batch, each statement the gateway verified is reused.
	req4 := w.request("job-4", "tok-b", "film-1", 0x41, "m4")
	sig4 := sign(req4)
	if err := w.app.VerifyStatement(w.stA.pub, req4, sig4); err != nil {
		t.Fatal(err)
	}
	tx4, _ := NewSpendTx(w.stA.pub, req4, sig4)
	if c := check(mustBatch(t, tx4, w.spendTx(w.stA, w.request("job-5", "tok-a", "film-1", 0x41, "m5")))); c != OK {
		t.Fatalf("CheckTx(batch) = %d, want OK", c)
	}
	want(7, 2)

	// Another node, whose gateway saw none of it, verifies each.
	other := w.twin(t, w.chainID)
	if r, _ := other.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: tx1}); Code(r.Code) != OK {
		t.Fatalf("another node's CheckTx = %d %s, want OK", r.Code, r.Log)
	}
	if v, r := other.app.StatementChecks(); v != 1 || r != 0 {
		t.Errorf("another node's StatementChecks() = %d, %d; want 1 verified, 0 reused", v, r)
	}
}

// BenchmarkCheckTxAfterGateway: the CPU a node spends on a station's spend
// before the block, with the spend received by its own gateway, which
// verifies the station's signature before it admits the station: CheckTx
// then either verifies it again (gateway=protocol, the gateway's plain
// protocol.Verify) or finds the gateway's check (gateway=app, the node's
// App.VerifyStatement). Figures are CPU time a spend (getrusage):
//
//	go test -run '^$' -bench BenchmarkCheckTxAfterGateway -benchtime 5000x ./validatord/contract
func BenchmarkCheckTxAfterGateway(b *testing.B) {
	for _, gw := range []string{"protocol", "app"} {
		b.Run("gateway="+gw, func(b *testing.B) {
			l := newBenchLedger(b, 0, 500)
			mints, spends := l.mints(0, b.N)
			for from := 0; from < len(mints); from += 1_000 {
				l.run(mints[from:min(from+1_000, len(mints))])
			}
			type stmt struct {
				pub, sig []byte
				st       protocol.Statement
			}
			ss := make([]stmt, len(spends))
			for i, raw := range spends {
				t, err := DecodeTx(raw)
				if err != nil {
					b.Fatal(err)
				}
				st, _, err := t.statement()
				if err != nil || st == nil {
					b.Fatalf("spend %d: statement %v, %v", i, st, err)
				}
				ss[i] = stmt{t.Signer, t.Sig, st}
			}
			verify := protocol.Verify
			if gw == "app" {
				verify = l.app.VerifyStatement
			}
			// A thousand at a time, gateway then CheckTx: a statement
			// reaches CheckTx milliseconds after its gateway's check, well
			// within the 4,096 the contract remembers.
			var inGateway, inCheckTx time.Duration
			b.ResetTimer()
			for from := 0; from < len(spends); from += 1_000 {
				to := min(from+1_000, len(spends))
				c0 := cpuTime()
				for _, s := range ss[from:to] {
					if err := verify(s.pub, s.st, s.sig); err != nil {
						b.Fatal(err)
					}
				}
				c1 := cpuTime()
				for _, tx := range spends[from:to] {
					r, err := l.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: tx})
					if err != nil || r.Code != 0 {
						b.Fatalf("CheckTx = %v, %v", r, err)
					}
				}
				inGateway += c1 - c0
				inCheckTx += cpuTime() - c1
			}
			b.StopTimer()
			perSpend := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N) }
			b.ReportMetric(perSpend(inGateway), "gateway-cpu-us/spend")
			b.ReportMetric(perSpend(inCheckTx), "checktx-cpu-us/spend")
			b.ReportMetric(perSpend(inGateway+inCheckTx), "node-cpu-us/spend")
		})
	}
}

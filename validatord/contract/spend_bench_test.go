package contract

import (
	"context"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
)

// BenchmarkSpendBlocks measures one node's application work per spend on
// pebble on disk, apart from CometBFT: Watch (what the node a spend is
// submitted to does before broadcasting it, ledger.Local.Submit), CheckTx
// (decoding and the P-256 verification, as for a transaction gossiped to
// the node) and the execution of blocks of 250 spends: FinalizeBlock
// (which finds the transaction verified) and Commit, each apart (CometBFT
// runs Commit with the mempool locked). The ledger holds 5,000 copies
// beforehand. Figures are CPU time per spend (getrusage), so they hold on a
// shared machine; allocs/op counts every allocation of the timed part:
//
//	go test -run '^$' -bench BenchmarkSpendBlocks -benchtime 5000x ./validatord/contract
func BenchmarkSpendBlocks(b *testing.B) {
	const perBlock = 250
	l := newBenchLedger(b, 5_000, 500)
	mints, spends := l.mints(5_000, 5_000+b.N)
	for from := 0; from < len(mints); from += 1_000 {
		l.run(mints[from:min(from+1_000, len(mints))])
	}
	b.ReportAllocs()
	b.ResetTimer()
	cw := cpuTime()
	stops := make([]func(), len(spends))
	for i, tx := range spends {
		_, stops[i] = l.app.Watch(Hash(tx))
	}
	c0 := cpuTime()
	for _, tx := range spends {
		r, err := l.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: tx})
		if err != nil || r.Code != 0 {
			b.Fatalf("CheckTx = %v, %v", r, err)
		}
	}
	c1 := cpuTime()
	var inFinalize, inCommit time.Duration
	for from := 0; from < len(spends); from += perBlock {
		l.height++
		cf := cpuTime()
		if _, err := l.app.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{Height: l.height, Time: l.now, Txs: spends[from:min(from+perBlock, len(spends))]}); err != nil {
			b.Fatal(err)
		}
		cc := cpuTime()
		inFinalize += cc - cf
		if _, err := l.app.Commit(context.Background(), &abci.CommitRequest{}); err != nil {
			b.Fatal(err)
		}
		inCommit += cpuTime() - cc
	}
	c2 := cpuTime()
	b.StopTimer()
	for _, stop := range stops {
		stop()
	}
	perSpend := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N) }
	b.ReportMetric(perSpend(c0-cw), "watch-cpu-us/spend")
	b.ReportMetric(perSpend(c1-c0), "checktx-cpu-us/spend")
	b.ReportMetric(perSpend(c2-c1), "exec-cpu-us/spend")
	b.ReportMetric(perSpend(inFinalize), "finalize-cpu-us/spend")
	b.ReportMetric(perSpend(inCommit), "commit-cpu-us/spend")
}

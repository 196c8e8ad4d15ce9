package embedded

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkSpend4ProcsGatewayRate is BenchmarkSpend4ProcsRate with the
// load where a deployment has it: inside each node's process, submitted
// through ledger.Local as the station gateway does, so neither CometBFT's
// RPC nor a client process costs anything in the timed phase. The parent
// signs every spend, writes each node's share (spend i to node i%4) to a
// file, and tells every child the common start time and rate over its
// stdin (childServe); each child runs the same open loop on its share
// (spend i due at start + i/rate, latency from its due time) and writes
// its latencies back. cpu-ms/spend is the four children's CPU and this
// process's (idle while the children work); no block events are read, so
// spends/block and ms/block come from node 0's status before and after.
// Run one rate at a time, e.g. -test.bench
// '^BenchmarkSpend4ProcsGatewayRate$/^rate=2000$' -test.benchtime=10000x.
func BenchmarkSpend4ProcsGatewayRate(b *testing.B) {
	for _, rate := range spendRates {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) { benchSpendProcsGateway(b, 4, rate) })
	}
}

func benchSpendProcsGateway(b *testing.B, nodes, rate int) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	pn := startProcNet(b, ctx, nodes, false)
	txs, _ := pn.signSpends(b, pn.mint(b, ctx, b.N))
	dir := b.TempDir()
	paths := make([]string, nodes)
	for k := range nodes {
		var share [][]byte
		for i := k; i < len(txs); i += nodes {
			share = append(share, txs[i])
		}
		paths[k] = filepath.Join(dir, fmt.Sprintf("node%d.txs", k))
		if err := writeTxs(paths[k], share); err != nil {
			b.Fatal(err)
		}
	}
	interval := time.Second / time.Duration(rate)
	b.ResetTimer()
	h0, err := pn.height(ctx, 0)
	if err != nil {
		b.Fatal(err)
	}
	// Far enough ahead for every child to have read its file.
	start := time.Now().Add(500 * time.Millisecond)
	for k, c := range pn.children {
		if _, err := fmt.Fprintf(c.stdin, "load %s %d %d %d %d\n", paths[k], start.UnixNano(), int64(interval), nodes, k); err != nil {
			b.Fatalf("node %d: load command: %v", k, err)
		}
	}
	stopProfile := profileSpends(b)
	stopChildren := pn.profileChildren(b)
	time.Sleep(time.Until(start))
	use0 := pn.usage(b)
	results := make([][]byte, nodes)
	for k := range nodes {
		if results[k], err = pn.awaitLoad(ctx, k, paths[k]+".out"); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start) // to within the 10 ms poll
	use1 := pn.usage(b)
	stopChildren()
	stopProfile()
	h1, err := pn.height(ctx, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	var lat []time.Duration
	var refused, failed int
	for _, r := range results {
		for j := 0; j+loadRecord <= len(r); j += loadRecord {
			lat = append(lat, time.Duration(binary.BigEndian.Uint64(r[j:])))
			switch r[j+8] {
			case loadRefused:
				refused++
			case loadFailed:
				failed++
			}
		}
	}
	if len(lat) != b.N || failed > 0 {
		b.Fatalf("%d results of %d spends, %d failed (the reasons are on stderr above)", len(lat), b.N, failed)
	}
	committed := reportOpenLoop(b, rate, int64(refused), elapsed, lat, h0, h1)
	nodeCPU, selfCPU := use1.nodes.cpu-use0.nodes.cpu, use1.self.cpu-use0.self.cpu
	b.ReportMetric((nodeCPU+selfCPU).Seconds()*1000/committed, "cpu-ms/spend")
	b.ReportMetric(nodeCPU.Seconds()*1000/committed, "node-cpu-ms/spend")
	b.ReportMetric(float64(use1.nodes.minflt-use0.nodes.minflt)/committed, "minflt/spend")
	b.ReportMetric(float64((use1.nodesWait-use0.nodesWait).Milliseconds())/elapsed.Seconds(), "node-runq-ms/s")
}

// awaitLoad waits for child k's results file, or fails if the child exits.
func (pn *procNet) awaitLoad(ctx context.Context, k int, path string) ([]byte, error) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		r, err := os.ReadFile(path)
		if err == nil {
			return r, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("node %d: no load results: %w", k, ctx.Err())
		case <-pn.children[k].exited:
			return nil, fmt.Errorf("node %d exited during the load: %v (its reason is on stderr above)", k, pn.children[k].err)
		case <-tick.C:
		}
	}
}

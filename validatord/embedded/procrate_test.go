package embedded

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"copystation/protocol"
	"copystation/validatord/contract"
)

// BenchmarkSpend4ProcsRate is BenchmarkSpend4NodesRate in a deployment's
// shape: the four nodes are four processes (children of the test binary,
// each a chain.Start of a home made by chain.Testnet on the disk under
// b.TempDir(), with every node's own configuration), so each has its own Go
// scheduler and Linux's scheduler arbitrates between them, where in process
// the four share one Go scheduler of GOMAXPROCS 2. Each child keeps Go's
// default GOMAXPROCS (the machine's cores).
//
// The load is the same open loop: spend i is due at start + i/rate, sent in
// its own goroutine to node i%4 with broadcast_tx_sync over that node's
// CometBFT RPC, and its latency runs from its due time until the benchmark
// receives that node's NewBlock event (websocket) for the block holding it;
// a spend refused because the mempool is full is counted in "refused", any
// other refusal or a failed result fails the run. Set-up (the title, the
// station, b.N tokens) goes through node 0's RPC too, and every request is
// signed before the timed phase.
//
// It prints what BenchmarkSpend4NodesRate does, where it can be had over
// RPC: offered/s, spends/s (committed), refused, p50/p99/p999-ms,
// blocks-p50/p99 (blocks a spend waited), spends/block, ms/block and
// late-blocks (from node 0's blocks), and block-gap (the intervals between
// node 0's block events as this process receives them, the commit gap of
// BenchmarkSpend4NodesRate with the events' delivery on top). The
// consensus phases, which the in-process benchmark times from round-step
// events, are not printed: over the websocket those events arrive bunched
// behind the block events, and their intervals said nothing.
// cpu-ms/spend is ALL the machine's CPU for the spends: the four children
// (utime + stime from /proc/<pid>/stat) and this process (getrusage), which
// holds the RPC clients and the websocket readers (HTTP, JSON-RPC, the
// decoding of every block event), beside their server side in the nodes
// (HTTP, JSON-RPC, the encoding of every block event): costs the
// in-process benchmark, whose spends go through ledger.Local as the
// gateway's do, does not pay (docs/benchmarks.md, issue 17, ninth session,
// has what they come to). node-cpu-ms/spend is
// the children's part alone. node-runq-ms/s and bench-runq-ms/s are the
// time the children's threads, and this process's, spent runnable but
// waiting for a CPU (/proc/<pid>/task/*/schedstat), per second of the run:
// 1,000 is one thread always waiting. Linux's scheduler's queue; Go's own
// run queue inside a process does not show there.
//
// BenchmarkSpend4ProcsGatewayRate runs the same load inside the node
// processes instead, without the RPC; docs/benchmarks.md (issue 17, ninth
// session) has the three side by side.
//
// SPEND_CPUPROFILE and SPEND_TRACE profile the timed phase in this process
// and in each node process, whose files get ".node0" to ".node3" added.
// Run one rate at a time, e.g. -test.bench
// '^BenchmarkSpend4ProcsRate$/^rate=2000$' -test.benchtime=10000x.
func BenchmarkSpend4ProcsRate(b *testing.B) {
	for _, rate := range spendRates {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) { benchSpendProcsRate(b, 4, rate) })
	}
}

func benchSpendProcsRate(b *testing.B, nodes, rate int) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	pn := startProcNet(b, ctx, nodes, true)
	pn.runRate(b, ctx, pn.mint(b, ctx, b.N), rate)
}

// BenchmarkSpend4NodesRPCRate is BenchmarkSpend4ProcsRate with the four
// nodes in this process (StartNetwork, as BenchmarkSpend4NodesRate) and
// the same load through the same RPC clients and block events: beside the
// other two it parts what the processes change from what the RPC costs.
// Its cpu-ms/spend is this process's CPU, nodes and clients together.
func BenchmarkSpend4NodesRPCRate(b *testing.B) {
	for _, rate := range spendRates {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			bn := startBenchNet(b, ctx, 4, Options{})
			defer bn.nw.Close()
			toks := bn.mint(b, ctx, b.N)
			pn := &procNet{st: bn.st}
			addrs := make([]string, bn.nw.Len())
			for i := range addrs {
				addrs[i] = bn.nw.Node(i).Config.RPCListen
			}
			pn.connect(b, ctx, addrs)
			pn.runRate(b, ctx, toks, rate)
		})
	}
}

// runRate is the timed phase: the tokens spent at rate, open loop, through
// the nodes' RPC; see BenchmarkSpend4ProcsRate.
func (pn *procNet) runRate(b *testing.B, ctx context.Context, toks []string, rate int) {
	nodes := len(pn.rpcs)
	txs, hashes := pn.signSpends(b, toks)
	lat := make([]time.Duration, b.N)
	waited := make([]int64, b.N) // blocks committed between due and commit
	var failed sync.Once
	var refused atomic.Int64
	b.ResetTimer()
	h0, err := pn.height(ctx, 0)
	if err != nil {
		b.Fatal(err)
	}
	stopProfile := profileSpends(b) // this process's
	stopChildren := pn.profileChildren(b)
	use0 := pn.usage(b)
	start := time.Now()
	openLoop(b.N, every(start, rate), func(i int, due time.Time) {
		n := i % nodes
		w := pn.watch[n]
		res, stop := w.watch(hashes[i])
		defer stop()
		h := w.height.Load()
		r, err := pn.rpcs[n].BroadcastTxSync(ctx, txs[i])
		switch {
		case err != nil && strings.Contains(err.Error(), "mempool is full"):
			// The network is not keeping up with the offered rate:
			// counted, its latency the time until the refusal.
			refused.Add(1)
			lat[i] = time.Since(due)
			return
		case err != nil:
			failed.Do(func() { b.Errorf("spend %d via node %d: broadcast_tx_sync: %v", i, n, err) })
			return
		case r.Code != uint32(contract.OK):
			failed.Do(func() { b.Errorf("spend %d via node %d: CheckTx code %d: %s", i, n, r.Code, r.Log) })
			return
		}
		select {
		case c := <-res:
			if c.code != uint32(contract.OK) {
				failed.Do(func() { b.Errorf("spend %d at height %d: code %d: %s", i, c.height, c.code, c.log) })
			}
			lat[i] = time.Since(due)
			waited[i] = c.height - h
		case <-ctx.Done():
			failed.Do(func() {
				b.Errorf("spend %d via node %d: no block holding it (%d block events lost): %v", i, n, w.lost.Load(), ctx.Err())
			})
		}
	})
	elapsed := time.Since(start)
	use1 := pn.usage(b)
	stopChildren()
	stopProfile()
	h1, err := pn.height(ctx, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	for i, w := range pn.watch {
		if n, bad := w.lost.Load(), w.bad.Load(); n > 0 || bad > 0 {
			b.Errorf("node %d: %d heights without a block event, %d events or errors that did not decode", i, n, bad)
		}
	}
	nodeCPU, selfCPU := use1.nodes.cpu-use0.nodes.cpu, use1.self.cpu-use0.self.cpu
	slices.Sort(waited)
	b.ReportMetric(float64(waited[len(waited)/2]), "blocks-p50")
	b.ReportMetric(float64(waited[len(waited)*99/100]), "blocks-p99")
	if gaps := pn.watch[0].gaps(h0, h1); len(gaps) > 0 {
		b.ReportMetric(ms(gaps[len(gaps)/2]), "block-gap-p50-ms")
		b.ReportMetric(ms(gaps[len(gaps)*99/100]), "block-gap-p99-ms")
	}
	committed := reportOpenLoop(b, rate, refused.Load(), elapsed, lat, h0, h1)
	b.ReportMetric((nodeCPU+selfCPU).Seconds()*1000/committed, "cpu-ms/spend")
	if len(pn.children) > 0 {
		b.ReportMetric(nodeCPU.Seconds()*1000/committed, "node-cpu-ms/spend")
		b.ReportMetric(float64((use1.nodesWait-use0.nodesWait).Milliseconds())/elapsed.Seconds(), "node-runq-ms/s")
	}
	b.ReportMetric(float64(use1.nodes.minflt-use0.nodes.minflt+use1.self.minflt-use0.self.minflt)/committed, "minflt/spend")
	// Thread time spent runnable but waiting for a CPU, per second of the
	// run: 1000 is one thread always waiting.
	b.ReportMetric(float64((use1.selfWait-use0.selfWait).Milliseconds())/elapsed.Seconds(), "bench-runq-ms/s")
	if h1 > h0 {
		b.ReportMetric(float64(pn.watch[0].lateBlocks(h0, h1)), "late-blocks")
	}
}

// signSpends signs a spend of each token, as the station, and returns the
// transactions and their hashes.
func (pn *procNet) signSpends(b *testing.B, toks []string) (txs, hashes [][]byte) {
	txs, hashes = make([][]byte, len(toks)), make([][]byte, len(toks))
	for i, tok := range toks {
		req, _ := pn.st.request(b, "job-"+tok, tok, "m-"+tok)
		req.ChallengeExpiry = time.Now().Add(10 * time.Minute).Unix()
		sig, err := protocol.Sign(rand.Reader, pn.st.sign, req)
		if err != nil {
			b.Fatal(err)
		}
		if txs[i], err = contract.NewSpendTx(pn.st.signPub, req, sig); err != nil {
			b.Fatal(err)
		}
		hashes[i] = contract.Hash(txs[i])
	}
	return txs, hashes
}

// procsUsage is what the node processes together, and this process, have
// spent so far: CPU, minor faults, and time their threads waited for a CPU.
type procsUsage struct {
	nodes, self         usage
	nodesWait, selfWait time.Duration
}

func (pn *procNet) usage(b *testing.B) procsUsage {
	var u procsUsage
	for i, c := range pn.children {
		nu, err := procUsage(c.cmd.Process.Pid)
		if err != nil {
			b.Fatalf("node %d: %v", i, err)
		}
		w, err := runqWait(c.cmd.Process.Pid)
		if err != nil {
			b.Fatalf("node %d: %v", i, err)
		}
		u.nodes.cpu += nu.cpu
		u.nodes.minflt += nu.minflt
		u.nodesWait += w
	}
	u.self = processUsage(b)
	w, err := runqWait(os.Getpid())
	if err != nil {
		b.Fatal(err)
	}
	u.selfWait = w
	return u
}

package embedded

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cfg "github.com/cometbft/cometbft/config"

	"copystation/protocol"
	"copystation/validatord/ledger"
)

// BenchmarkSpend4NodesRate offers spends to 4 nodes at a fixed rate, open
// loop: spend i is due at start + i/rate whatever the earlier spends are
// doing, and its latency is counted from that due time, not from when a
// client got round to sending it, so a stalled sender or a backlog cannot
// hide latency ("coordinated omission"). This is the measure of issue 17's
// target (a throughput sustained with a latency bound): a closed loop of
// workers that each resubmit the moment their spend commits
// (BenchmarkSpend4Nodes) offers load in bursts, one per block, and its rate
// is whatever the latency allows. It prints the offered and achieved
// spends/s, p50, p99 and p999 latency, cpu-ms/spend, disk-kB/spend and
// spends/block. Run one rate at a time with -benchtime=Nx (b.N spends,
// N/rate seconds of load), e.g. -bench 'Spend4NodesRate/rate=2000'
// -benchtime=10000x; SPEND_WARM=N first spends N more at the same rate,
// untimed, so that the timed spends meet nodes in service rather than
// just started. SPEND_GATEWAY=protocol or app first has each spend's node
// check it as its gateway would (gatewayCheck).
func BenchmarkSpend4NodesRate(b *testing.B) {
	for _, rate := range spendRates {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) { benchSpendRate(b, 4, rate, Options{}, false) })
	}
}

// BenchmarkSpendKiosk4NodesRate is BenchmarkSpend4NodesRate with a kiosk's
// spends: each token is a customer's and each request carries the
// customer's grant, whose signature every node verifies as it executes
// the block (the owner's key is in the token's record), a second P-256
// verification per node beside CheckTx's of the station's signature.
// BenchmarkSpend4NodesRate's tokens are the station's own, a home
// appliance's spends. (Its name does not contain "Spend4NodesRate", so
// -bench 'Spend4NodesRate/rate=2000$' runs the appliance spends alone.)
func BenchmarkSpendKiosk4NodesRate(b *testing.B) {
	for _, rate := range []int{1000, 1500, 2000} {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) { benchSpendRate(b, 4, rate, Options{}, true) })
	}
}

// BenchmarkSpend4NodesRateTuned is BenchmarkSpend4NodesRate over CometBFT's
// timeout_commit (chain.LANTimeouts has 100 ms) at several offered rates:
// 0 starts the next height as soon as this one is committed, without
// waiting for the last precommits (a timeout never affects safety, and with
// a validator down the next height starts at once as well). Shorter pauses
// make more, smaller blocks, which cost more CPU per spend; run one
// sub-benchmark at a time and alternate them, e.g.
// -bench 'Spend4NodesRateTuned/commit=0s/rate=1500$'.
func BenchmarkSpend4NodesRateTuned(b *testing.B) {
	for _, commit := range []time.Duration{100 * time.Millisecond, 50 * time.Millisecond, 0} {
		for _, rate := range []int{1000, 1500, 2000} {
			b.Run(fmt.Sprintf("commit=%v/rate=%d", commit, rate), func(b *testing.B) {
				benchSpendRate(b, 4, rate, Options{Tune: func(c *cfg.Config) { c.Consensus.TimeoutCommit = commit }}, false)
			})
		}
	}
}

// BenchmarkSpend4NodesGather is BenchmarkSpend4NodesRate at 2,000 spends a
// second over the window each node's ledger gathers statements into one
// batch (ledger.NewLocalGather; "off" sends each alone, as before
// batches). Run one at a time and alternate them, e.g.
// -bench 'Spend4NodesGather/window=off$'.
func BenchmarkSpend4NodesGather(b *testing.B) {
	for _, w := range []time.Duration{-1, 5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond} {
		name := "off"
		if w > 0 {
			name = w.String()
		}
		b.Run("window="+name, func(b *testing.B) { benchSpendRate(b, 4, 2000, Options{GatherWindow: w}, false) })
	}
}

func benchSpendRate(b *testing.B, nodes, rate int, o Options, kiosk bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bn := startBenchNet(b, ctx, nodes, o)
	defer bn.nw.Close()
	var cust *customer
	if kiosk {
		cust = newCustomer(b)
	}
	warm := warmSpends(b)
	gw := gatewayCheck(b)
	if b.N == 1 {
		warm = 0 // the testing package's first run of one spend, never reported with -benchtime=Nx
	}
	toks := bn.mintFor(b, ctx, b.N+warm, cust)
	reqs := make([]*protocol.CopyRequest, b.N+warm)
	sigs := make([][]byte, b.N+warm)
	for i, tok := range toks {
		req, _ := bn.st.request(b, "job-"+tok, tok, "m-"+tok)
		if cust != nil {
			req.CustomerGrant = cust.grant(b, tok, bn.st.id)
		}
		req.ChallengeExpiry = time.Now().Add(10 * time.Minute).Unix()
		sig, err := protocol.Sign(rand.Reader, bn.st.sign, req)
		if err != nil {
			b.Fatal(err)
		}
		reqs[i], sigs[i] = req, sig
	}
	// The nodes are fixed for the run (none is stopped), so each spend's
	// node is looked up once, outside the timed phase.
	ns := make([]*Node, nodes)
	for i := range ns {
		ns[i] = bn.nw.Node(i)
	}
	if warm > 0 {
		// A node in service: the spends after the timed ones' tokens, at
		// the same rate, all committed before the timed phase begins.
		var refusedWarm atomic.Int64
		openLoop(warm, every(time.Now(), rate), func(i int, _ time.Time) {
			_, err := ns[i%nodes].Ledger.Spend(ctx, bn.st.signPub, reqs[b.N+i], sigs[b.N+i])
			switch {
			case errors.Is(err, ledger.ErrUnavailable):
				refusedWarm.Add(1)
			case err != nil:
				b.Errorf("warm-up Spend(%d) = %v", i, err)
			}
		})
		b.Logf("warm-up: %d spends, %d refused as the mempools were full", warm, refusedWarm.Load())
	}
	lat := make([]time.Duration, b.N)
	waited := make([]int64, b.N) // blocks committed between due and commit
	steps, err := watchSteps(ctx, ns)
	if err != nil {
		b.Fatal(err)
	}
	var failed sync.Once
	var refused atomic.Int64
	b.ResetTimer()
	stopProfile := profileSpends(b)
	h0, _ := ns[0].App.LastCommit()
	use0 := processUsage(b)
	start := time.Now()
	openLoop(b.N, every(start, rate), func(i int, due time.Time) {
		n := ns[i%nodes]
		h, _ := n.App.LastCommit()
		if gw != nil {
			if err := gw(n, bn.st.signPub, reqs[i], sigs[i]); err != nil {
				failed.Do(func() { b.Errorf("the gateway's check of spend %d = %v", i, err) })
			}
		}
		rc, err := n.Ledger.Spend(ctx, bn.st.signPub, reqs[i], sigs[i])
		switch {
		case errors.Is(err, ledger.ErrUnavailable):
			// A full mempool: the network is not keeping up with the
			// offered rate. Counted (its latency stays in the figures:
			// the time until the refusal), and the run goes on.
			refused.Add(1)
		case err != nil:
			failed.Do(func() { b.Errorf("Spend(%d) = %v", i, err) })
		}
		lat[i] = time.Since(due)
		waited[i] = rc.Height - h
	})
	elapsed := time.Since(start)
	use := processUsage(b)
	cpu, faults, written := use.cpu-use0.cpu, use.minflt-use0.minflt, use.written-use0.written
	h1, _ := ns[0].App.LastCommit()
	stopProfile()
	b.StopTimer()
	heapSpends(b)
	steps.stop(ns)
	slices.Sort(waited)
	b.ReportMetric(float64(waited[len(waited)/2]), "blocks-p50")
	b.ReportMetric(float64(waited[len(waited)*99/100]), "blocks-p99")
	gaps := steps.commitGaps(0, h0)
	if len(gaps) > 0 {
		b.ReportMetric(ms(gaps[len(gaps)/2]), "commit-gap-p50-ms")
		b.ReportMetric(ms(gaps[len(gaps)*99/100]), "commit-gap-p99-ms")
	}
	committed := reportOpenLoop(b, rate, refused.Load(), elapsed, lat, h0, h1)
	b.ReportMetric(cpu.Seconds()*1000/committed, "cpu-ms/spend")
	b.ReportMetric(float64(faults)/committed, "minflt/spend")
	b.ReportMetric(float64(written)/1000/committed, "disk-kB/spend")
	var relayed int64 // by the stall watch (chain/gossip.go): none while blocks come
	for _, n := range ns {
		_, r := n.TxsSent()
		relayed += r
	}
	b.ReportMetric(float64(relayed), "relayed")
	if h1 > h0 {
		late, kb, txs := blockRounds(ns[0], h0+1, h1)
		b.ReportMetric(float64(late), "late-blocks")
		b.ReportMetric(kb, "kB/block")
		b.ReportMetric(float64(b.N)/float64(max(txs, 1)), "spends/tx")
		steps.reportPhases(b, nodes, h0, h1)
	}
}

// openLoop calls send(i, due) for i from 0 to n-1, each on a goroutine of
// its own at its due time due(i), whatever the earlier calls are doing,
// and returns when every call has returned. Every open-loop spend
// benchmark paces its spends with it.
func openLoop(n int, due func(i int) time.Time, send func(i int, due time.Time)) {
	var wg sync.WaitGroup
	for i := range n {
		at := due(i)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			send(i, at)
		}()
	}
	wg.Wait()
}

// every is the due times of spends offered at rate a second from start.
func every(start time.Time, rate int) func(i int) time.Time {
	interval := time.Second / time.Duration(rate)
	return func(i int) time.Time { return start.Add(time.Duration(i) * interval) }
}

// warmSpends is SPEND_WARM, the spends an open-loop benchmark offers at its
// rate before the timed phase (0 if unset): a node some seconds into
// service, its memtables and caches grown and its stores larger, where a
// run from a fresh start times a young node (docs/benchmarks.md, issue 17,
// twenty-first session).
func warmSpends(b *testing.B) int {
	v := os.Getenv("SPEND_WARM")
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		b.Fatalf("SPEND_WARM=%q: want a number of spends, 0 or more", v)
	}
	return n
}

// gatewayCheck is the check SPEND_GATEWAY asks each spend's node to make
// before it is submitted, as the node's station gateway does in a
// deployment: "protocol" verifies with protocol.Verify (the gateway before
// the twenty-fourth session, whose check CheckTx made again), "app" with
// the node's ledger (ledger.Local.VerifyStatement, whose check CheckTx
// reuses); unset, none (the spends come from the node's ledger alone).
func gatewayCheck(b *testing.B) func(n *Node, pub []byte, req *protocol.CopyRequest, sig []byte) error {
	switch v := os.Getenv("SPEND_GATEWAY"); v {
	case "":
		return nil
	case "protocol":
		return func(_ *Node, pub []byte, req *protocol.CopyRequest, sig []byte) error {
			return protocol.Verify(pub, req, sig)
		}
	case "app":
		return func(n *Node, pub []byte, req *protocol.CopyRequest, sig []byte) error {
			return n.Ledger.VerifyStatement(pub, req, sig)
		}
	default:
		b.Fatalf("SPEND_GATEWAY=%q: want protocol or app", v)
		return nil
	}
}

// spendRates are the offered rates, spends a second, of the appliance
// spend benchmarks.
var spendRates = []int{1000, 1500, 1750, 2000, 2500}

// reportOpenLoop reports what every open-loop spend benchmark prints: the
// offered rate, the spends a full mempool refused, the committed rate,
// latency p50, p99 and p999 (lat is sorted in place) and, if heights h0 to
// h1 passed, spends and milliseconds a block. It returns the spends
// committed (at least 1), the divisor of per-spend figures.
func reportOpenLoop(b *testing.B, rate int, refused int64, elapsed time.Duration, lat []time.Duration, h0, h1 int64) float64 {
	slices.Sort(lat)
	b.ReportMetric(float64(rate), "offered/s")
	b.ReportMetric(float64(refused), "refused")
	b.ReportMetric(float64(int64(b.N)-refused)/elapsed.Seconds(), "spends/s") // committed
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
	b.ReportMetric(ms(lat[len(lat)*999/1000]), "p999-ms")
	if h1 > h0 {
		b.ReportMetric(float64(b.N)/float64(h1-h0), "spends/block")
		b.ReportMetric(float64(elapsed.Milliseconds())/float64(h1-h0), "ms/block")
	}
	return float64(max(int64(b.N)-refused, 1))
}

// blockRounds reads from a node's block store how many of heights from..to
// were committed in a round after the first (a proposal or votes missed
// their timeout, so the height cost a timeout more), the mean block size
// and the transactions the blocks held (a batch counts once).
func blockRounds(n *Node, from, to int64) (late int, kB float64, txs int) {
	bs := n.Comet.BlockStore()
	var bytes int
	for h := from; h <= to; h++ {
		c := bs.LoadSeenCommit(h)
		if c == nil {
			c = bs.LoadBlockCommit(h)
		}
		if c != nil && c.Round > 0 {
			late++
		}
		if m := bs.LoadBlockMeta(h); m != nil {
			bytes += m.BlockSize
			txs += m.NumTxs
		}
	}
	return late, float64(bytes) / 1024 / float64(to-from+1), txs
}

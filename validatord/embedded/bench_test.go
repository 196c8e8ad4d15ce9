package embedded

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	cfg "github.com/cometbft/cometbft/config"

	"copystation/protocol"
)

type benchNet struct {
	nw   *Network
	st   *station
	next int // tokens used so far
}

func startBenchNet(b *testing.B, ctx context.Context, n int, o Options) *benchNet {
	nw, err := StartNetwork(ctx, b.TempDir(), n, o)
	if err != nil {
		b.Fatalf("StartNetwork(%d) = %v", n, err)
	}
	bn := &benchNet{nw: nw, st: newStation(b)}
	setup(b, ctx, nw.Node(0), bn.st)
	return bn
}

// mint mints count tokens for the station (mintTokens).
func (bn *benchNet) mint(b *testing.B, ctx context.Context, count int) []string {
	return bn.mintFor(b, ctx, count, nil)
}

// mintFor mints count tokens for a customer, or for the station if nil.
func (bn *benchNet) mintFor(b *testing.B, ctx context.Context, count int, c *customer) []string {
	ids := make([]string, count)
	for i := range ids {
		ids[i] = fmt.Sprintf("bench-%d", bn.next)
		bn.next++
	}
	owner := bn.st.signPub
	if c != nil {
		owner = c.pub
	}
	mintTokens(b, ctx, bn.nw, owner, ids)
	bn.settle(b, ctx)
	return ids
}

// settle waits until every node has committed node 0's last block, then
// compacts each node's contract store (contract.App.CompactStore): the
// timed phase then reads the minted tokens from tables, as a deployment,
// whose tokens were minted long before they are spent, does, and not from
// the memtable the minting filled.
func (bn *benchNet) settle(b *testing.B, ctx context.Context) {
	h, _ := bn.nw.Node(0).App.LastCommit()
	for i := range bn.nw.Len() {
		n := bn.nw.Node(i)
		if err := n.WaitHeight(ctx, h); err != nil {
			b.Fatal(err)
		}
		if err := n.App.CompactStore(); err != nil {
			b.Fatal(err)
		}
	}
}

func benchSpends(b *testing.B, nodes, workers int) { benchSpendsTuned(b, nodes, workers, nil) }

func benchSpendsTuned(b *testing.B, nodes, workers int, tune func(*cfg.Config)) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bn := startBenchNet(b, ctx, nodes, Options{Tune: tune})
	defer bn.nw.Close()
	toks := bn.mint(b, ctx, b.N)
	type job struct {
		req *protocol.CopyRequest
		sig []byte
	}
	jobs := make([]job, b.N)
	for i, tok := range toks {
		req, sig := bn.st.request(b, "job-"+tok, tok, "m-"+tok)
		req.ChallengeExpiry = time.Now().Add(10 * time.Minute).Unix()
		sig, _ = protocol.Sign(rand.Reader, bn.st.sign, req)
		jobs[i] = job{req, sig}
	}
	lat := make([]time.Duration, b.N)
	work := make(chan int)
	var wg sync.WaitGroup
	var failed sync.Once
	b.ResetTimer()
	stopProfile := profileSpends(b)
	h0, _ := bn.nw.Node(0).App.LastCommit()
	cpu0 := processCPU(b)
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				n := bn.nw.Node((i + w) % nodes)
				t0 := time.Now()
				if _, err := n.Ledger.Spend(ctx, bn.st.signPub, jobs[i].req, jobs[i].sig); err != nil {
					failed.Do(func() { b.Errorf("Spend(%d) = %v", i, err) })
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	for i := range b.N {
		work <- i
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)
	cpu := processCPU(b) - cpu0
	h1, _ := bn.nw.Node(0).App.LastCommit()
	stopProfile()
	b.StopTimer()
	heapSpends(b)
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "spends/s")
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
	// CPU per spend, all nodes and the clients together: what the machine
	// must give for a throughput whatever the latency (2,000 spends/s on
	// 2 cores needs at most 1 ms), and far less sensitive to other load
	// than spends/s.
	b.ReportMetric(cpu.Seconds()*1000/float64(b.N), "cpu-ms/spend")
	// Each block costs its rounds, votes, WAL and store writes whatever
	// it holds, so the CPU per spend falls as blocks grow.
	if h1 > h0 {
		b.ReportMetric(float64(b.N)/float64(h1-h0), "spends/block")
	}
}

// profileSpends starts a CPU profile of the timed phase alone (the spends,
// without the network's start and the minting that -test.cpuprofile would
// also count) when SPEND_CPUPROFILE names a file; each run overwrites it.
func profileSpends(b *testing.B) (stop func()) {
	stopTrace := traceSpends(b)
	path := os.Getenv("SPEND_CPUPROFILE")
	if path == "" {
		return stopTrace
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatalf("SPEND_CPUPROFILE: %v", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		b.Fatalf("SPEND_CPUPROFILE: %v", err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Errorf("SPEND_CPUPROFILE: %v", err)
		}
		stopTrace()
	}
}

// heapSpends writes a heap profile to the file SPEND_HEAPPROFILE names, if
// set, after a collection at the end of an in-process spend benchmark's
// timed phase, with the nodes still running: what the collector marks
// every cycle (go tool pprof -sample_index=inuse_space FILE), which
// -test.memprofile, written after the nodes stop, cannot show.
func heapSpends(b *testing.B) {
	path := os.Getenv("SPEND_HEAPPROFILE")
	if path == "" {
		return
	}
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		b.Fatalf("SPEND_HEAPPROFILE: %v", err)
	}
	err = pprof.WriteHeapProfile(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Errorf("SPEND_HEAPPROFILE: %v", err)
	}
}

// traceSpends writes an execution trace of the timed phase to the file
// SPEND_TRACE names, if set: where the consensus goroutines wait (system
// calls, locks, the scheduler), which a CPU profile does not show
// (go tool trace -pprof=syscall FILE).
func traceSpends(b *testing.B) (stop func()) {
	path := os.Getenv("SPEND_TRACE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatalf("SPEND_TRACE: %v", err)
	}
	if err := trace.Start(f); err != nil {
		f.Close()
		b.Fatalf("SPEND_TRACE: %v", err)
	}
	return func() {
		trace.Stop()
		if err := f.Close(); err != nil {
			b.Errorf("SPEND_TRACE: %v", err)
		}
	}
}

// processCPU is the process's user and system CPU time so far.
func processCPU(b *testing.B) time.Duration { return processUsage(b).cpu }

// usage is what the process has spent so far: CPU (user and system) and
// minor page faults, each of which costs this VM about 13 µs of system
// time (docs/benchmarks.md, issue 17, eighth session).
type usage struct {
	cpu     time.Duration
	minflt  int64
	written int64 // bytes written to storage (getrusage's blocks of 512)
}

func processUsage(b *testing.B) usage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return usage{time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), ru.Minflt, ru.Oublock * 512}
}

// BenchmarkSpend1Node and BenchmarkSpend4Nodes measure committed spends
// per second and spend latency (submit to commit) with 256 concurrent
// stations' requests, spread over the nodes; the Serial variants send one
// spend at a time, the latency of an unloaded network. Run with
// -benchtime=Nx.
func BenchmarkSpend1Node(b *testing.B)        { benchSpends(b, 1, 256) }
func BenchmarkSpend4Nodes(b *testing.B)       { benchSpends(b, 4, 256) }
func BenchmarkSpendSerial1Node(b *testing.B)  { benchSpends(b, 1, 1) }
func BenchmarkSpendSerial4Nodes(b *testing.B) { benchSpends(b, 4, 1) }

// BenchmarkSpend4NodesTuned is BenchmarkSpend4Nodes over CometBFT's
// timeout_commit and the requests in flight, the two that bound
// throughput once CPU does not (throughput = in flight / latency): run one
// sub-benchmark at a time and alternate them, e.g.
// -bench 'Spend4NodesTuned/commit=50ms/inflight=512'.
func BenchmarkSpend4NodesTuned(b *testing.B) {
	for _, commit := range []time.Duration{100 * time.Millisecond, 50 * time.Millisecond, 25 * time.Millisecond} {
		for _, inflight := range []int{256, 512} {
			b.Run(fmt.Sprintf("commit=%v/inflight=%d", commit, inflight), func(b *testing.B) {
				benchSpendsTuned(b, 4, inflight, func(c *cfg.Config) { c.Consensus.TimeoutCommit = commit })
			})
		}
	}
}

// ms is a duration in milliseconds, to the microsecond, for a metric.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

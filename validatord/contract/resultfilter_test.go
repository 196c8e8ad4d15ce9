package contract

import (
	"bytes"
	"context"
	"encoding/hex"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"
)

// readCountingDB is a real store that counts the reads of result keys and
// copy records, to see which lookups the filters spare.
type readCountingDB struct {
	dbm.DB
	resultReads atomic.Int64
	copyReads   atomic.Int64 // of copy records (c/)
	scans       sync.Map     // iterations begun, by start key
}

func (d *readCountingDB) Iterator(start, end []byte) (dbm.Iterator, error) {
	n, _ := d.scans.LoadOrStore(string(start), new(atomic.Int64))
	n.(*atomic.Int64).Add(1)
	return d.DB.Iterator(start, end)
}

func (d *readCountingDB) Get(k []byte) ([]byte, error) {
	if bytes.HasPrefix(k, []byte(resultsPfx)) {
		d.resultReads.Add(1)
	}
	if bytes.HasPrefix(k, []byte("c/")) {
		d.copyReads.Add(1)
	}
	return d.DB.Get(k)
}

// issuerTx is a fresh transaction that the chain accepts.
func issuerTx(t *testing.T, c *chain, op *party) []byte {
	return c.gov(op, TxAddIssuer, AddIssuerBody{Key: newParty(t).pub})
}

// TestResultLookupsOfANewTx: watching a transaction not yet committed, and
// committing it, read no result key from the store (each was a pebble
// lookup per spend before the filter); watching it once committed still
// answers at once from the store.
func TestResultLookupsOfANewTx(t *testing.T) {
	db := &readCountingDB{DB: dbm.NewMemDB()}
	op := newParty(t)
	c := newChain(t, db, Genesis{Operators: [][]byte{op.pub}})
	tx := issuerTx(t, c, op)
	ch, stop := c.app.Watch(Hash(tx))
	defer stop()
	if n := db.resultReads.Load(); n != 0 {
		t.Errorf("Watch(new tx) read %d result keys, want 0", n)
	}
	if r := c.one(tx); r.Code != 0 {
		t.Fatalf("add issuer = %d %s", r.Code, r.Log)
	}
	if n := db.resultReads.Load(); n != 0 {
		t.Errorf("executing and committing a new tx read %d result keys, want 0", n)
	}
	r := <-ch
	if r.Code != OK || r.Height != c.height {
		t.Fatalf("Watch() result = %+v, want OK at %d", r, c.height)
	}
	ch2, stop2 := c.app.Watch(Hash(tx))
	defer stop2()
	select {
	case r2 := <-ch2:
		if r2.Height != r.Height {
			t.Fatalf("Watch(committed tx) = %+v, want %+v", r2, r)
		}
	default:
		t.Fatal("Watch(committed tx) did not answer at once")
	}
}

// TestResultAfterRestart: a node reopened on its store finds the results
// committed before (the filter is rebuilt from the store), and a repeat of
// a committed transaction keeps its first result.
func TestResultAfterRestart(t *testing.T) {
	db := dbm.NewMemDB()
	op := newParty(t)
	c := newChain(t, db, Genesis{Operators: [][]byte{op.pub}})
	tx := issuerTx(t, c, op)
	c.one(tx)
	first := c.height
	re, err := New(db, Options{})
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	if r, ok := re.Result(Hash(tx)); !ok || r.Height != first || r.Code != OK {
		t.Fatalf("Result() after restart = %+v, %v, want OK at %d", r, ok, first)
	}
	ch, stop := re.Watch(Hash(tx))
	defer stop()
	select {
	case r := <-ch:
		if r.Height != first {
			t.Fatalf("Watch() after restart = %+v, want height %d", r, first)
		}
	default:
		t.Fatal("Watch(committed tx) after restart did not answer at once")
	}
	c.app = re
	if r := c.one(tx); Code(r.Code) != CodeBadNonce {
		t.Fatalf("repeat = %d %s, want CodeBadNonce", r.Code, r.Log)
	}
	if r, _ := re.Result(Hash(tx)); r.Height != first || r.Code != OK {
		t.Fatalf("Result() after a repeat = %+v, want the first (OK at %d)", r, first)
	}
}

// TestWatchBetweenFinalizeAndCommit: a watcher registered after its block
// executed but before it is committed (the filter does not know the result
// yet) gets it at the commit.
func TestWatchBetweenFinalizeAndCommit(t *testing.T) {
	op := newParty(t)
	c := newChain(t, dbm.NewMemDB(), Genesis{Operators: [][]byte{op.pub}})
	tx := issuerTx(t, c, op)
	c.height++
	if _, err := c.app.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{Height: c.height, Time: c.now, Txs: [][]byte{tx}}); err != nil {
		t.Fatal(err)
	}
	ch, stop := c.app.Watch(Hash(tx))
	defer stop()
	select {
	case r := <-ch:
		t.Fatalf("Watch() before the commit answered %+v", r)
	default:
	}
	if _, err := c.app.Commit(context.Background(), &abci.CommitRequest{}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-ch:
		if r.Code != OK || r.Height != c.height {
			t.Fatalf("Watch() result = %+v, want OK at %d", r, c.height)
		}
	default:
		t.Fatal("Watch() got nothing at the commit")
	}
}

// TestResultFilterFull: with every bit of the filter set (every answer a
// false positive), the store decides, so outcomes are unchanged: a new
// transaction is watched and committed with its result, a repeat keeps
// the first.
func TestResultFilterFull(t *testing.T) {
	db := &readCountingDB{DB: dbm.NewMemDB()}
	op := newParty(t)
	c := newChain(t, db, Genesis{Operators: [][]byte{op.pub}})
	fillBloom(c.app.results.scalableBloom)
	tx := issuerTx(t, c, op)
	ch, stop := c.app.Watch(Hash(tx))
	defer stop()
	select {
	case r := <-ch:
		t.Fatalf("Watch(new tx) with a full filter answered %+v", r)
	default:
	}
	c.one(tx)
	first := c.height
	if r := <-ch; r.Code != OK || r.Height != first {
		t.Fatalf("Watch() result = %+v, want OK at %d", r, first)
	}
	c.one(tx)
	if r, _ := c.app.Result(Hash(tx)); r.Height != first || r.Code != OK {
		t.Fatalf("Result() after a repeat = %+v, want the first (OK at %d)", r, first)
	}
	if db.resultReads.Load() == 0 {
		t.Error("a full filter read no result key: the store did not decide")
	}
}

// TestResultFilterNoFalseNegatives: every hash added is reported as maybe
// held; of hashes never added, few are (the filter's false positives); a
// hash of another length is always maybe.
func TestResultFilterNoFalseNegatives(t *testing.T) {
	const n = 200_000
	f := newResultFilter()
	rng := rand.NewChaCha8([32]byte{1})
	hash := func() []byte {
		h := make([]byte, 32)
		rng.Read(h)
		return h
	}
	added := make([][]byte, n)
	for i := range added {
		added[i] = hash()
		f.add(added[i])
	}
	for i, h := range added {
		if !f.mayHold(h) {
			t.Fatalf("mayHold(added hash %d) = false", i)
		}
	}
	fp := 0
	for range n {
		if f.mayHold(hash()) {
			fp++
		}
	}
	// 200,000 in 2^24 bits with 4 probes: about 0.0005 %.
	if fp > n/1000 {
		t.Errorf("false positives = %d of %d, want at most 0.1 %%", fp, n)
	}
	if !f.mayHold([]byte("short")) {
		t.Error("mayHold(a 5-byte hash) = false, want true (the filter cannot place it)")
	}
}

// TestResultFilterSize: the first layer has room for twice the results
// held at start, and at least bloomMinBits.
func TestResultFilterSize(t *testing.T) {
	for _, tc := range []struct {
		name string
		held int
		bits int
	}{
		{"empty", 0, bloomMinBits},
		{"small", 100_000, bloomMinBits},
		{"large", 1_000_000, 1 << 25}, // 20 million bits, rounded up
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := (*newBloom(bloomMinBits, tc.held).layers.Load())[0]
			if got := len(l.words) * 64; got != tc.bits {
				t.Errorf("newBloom(%d) has %d bits, want %d", tc.held, got, tc.bits)
			}
			if l.capacity < 2*tc.held {
				t.Errorf("newBloom(%d) takes %d members, want at least %d", tc.held, l.capacity, 2*tc.held)
			}
		})
	}
}

// fillBloom sets every bit of every layer: every answer a false positive.
func fillBloom(f *scalableBloom) {
	for _, l := range *f.layers.Load() {
		for i := range l.words {
			l.words[i].Store(^uint64(0))
		}
	}
}

// BenchmarkNewFilters measures what opening a store costs with the two
// filters to build from it (a scan of its results, copy records and report
// markers), on a ledger of 5,000 copies, per stored key in wall time and
// in the process's CPU time (getrusage, which load does not inflate):
//
//	go test -run '^$' -bench BenchmarkNewFilters ./validatord/contract
func BenchmarkNewFilters(b *testing.B) {
	app, _ := buildLedger(b, 5_000, 500)
	held := 0
	for _, p := range append(absentPfx[:], resultsPfx) {
		if err := scanPrefix(app.db, p, func([]byte) { held++ }); err != nil {
			b.Fatal(err)
		}
	}
	cpu := cpuTime()
	for b.Loop() {
		if _, err := New(app.db, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	cpu = cpuTime() - cpu
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(held), "ns/key")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(held), "cpu-ns/key")
	b.ReportMetric(float64(held), "keys")
}

// BenchmarkResultStoreMiss measures what a filter's false positive costs:
// the store's lookup of a result it does not hold (the pebble store of a
// ledger of 5,000 copies), which every query paid before the filter:
//
//	go test -run '^$' -bench BenchmarkResultStoreMiss ./validatord/contract
func BenchmarkResultStoreMiss(b *testing.B) {
	app, _ := buildLedger(b, 5_000, 500)
	miss := hashes(7, 1<<12)
	i := 0
	for b.Loop() {
		if p, err := app.db.Get([]byte(resultsPfx + hex.EncodeToString(miss[i&(len(miss)-1)]))); err != nil || p != nil {
			b.Fatalf("Get(absent result) = %v, %v", p, err)
		}
		i++
	}
}

// BenchmarkLoadResultFilter measures building the result filter from a
// pebble store of 2.5 million results (what about 830,000 copies leave:
// a mint, a spend and a report each), compacted as a node's long-lived
// store is: more than the smallest filter takes, so without an estimate
// it is read twice. It reports the reads of the whole range a build makes
// (passes, from the iterations begun) and CPU per key:
//
//	go test -run '^$' -bench BenchmarkLoadResultFilter -benchtime 3x ./validatord/contract
func BenchmarkLoadResultFilter(b *testing.B) {
	const n = 2_500_000
	pdb := pebbleDB(b)
	rng := rand.NewChaCha8([32]byte{9})
	var h [32]byte
	val := make([]byte, 24)
	for i := 0; i < n; i += 10_000 {
		batch := pdb.NewBatch()
		for range 10_000 {
			rng.Read(h[:])
			if err := batch.Set([]byte(resultsPfx+hex.EncodeToString(h[:])), val); err != nil {
				b.Fatal(err)
			}
		}
		if err := batch.Write(); err != nil {
			b.Fatal(err)
		}
		batch.Close()
	}
	if err := pdb.(*dbm.PebbleDB).Compact(nil, nil); err != nil {
		b.Fatal(err)
	}
	db := &readCountingDB{DB: pdb}
	cpu := cpuTime()
	for b.Loop() {
		if _, err := loadResultFilter(db); err != nil {
			b.Fatal(err)
		}
	}
	cpu = cpuTime() - cpu
	c, _ := db.scans.Load(resultsPfx)
	b.ReportMetric(float64(c.(*atomic.Int64).Load())/float64(b.N), "passes")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/n, "cpu-ns/key")
}

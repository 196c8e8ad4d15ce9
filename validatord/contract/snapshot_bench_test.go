package contract

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble"
	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"

	"copystation/custody"
	"copystation/protocol"
)

// BenchmarkStateSync100k measures the application's part of state sync
// for a ledger of 100,000 copies (each minted, spent and reported made,
// 1,000 transactions a block, on pebble on disk): making the snapshot on
// a serving node, and restoring it on a joining node (recomputing the hash
// chain and writing every record). CometBFT's part (light-client
// verification, moving the chunks over p2p) comes on top. Run it with
//
//	go test -run XXX -bench BenchmarkStateSync100k -benchtime 1x ./validatord/contract
//
// Building the ledger (300,000 signed transactions) takes a few minutes
// and is not timed.
func BenchmarkStateSync100k(b *testing.B) {
	copies, perBlock := 100_000, 1_000
	if testing.Short() {
		copies = 2_000
	}
	app, hash := buildLedger(b, copies, perBlock)
	h, _ := app.LastCommit()
	app.opts.Snapshots = SnapshotOptions{Dir: b.TempDir(), Keep: 1}
	b.ResetTimer()
	for range b.N {
		t0, c0 := time.Now(), cpuTime()
		if err := app.MakeSnapshot(h, hash); err != nil {
			b.Fatal(err)
		}
		made, madeCPU := time.Since(t0), cpuTime()-c0
		l, _ := app.ListSnapshots(context.Background(), nil)
		s := l.Snapshots[0]
		fresh, err := New(pebbleDB(b), Options{ChainID: testChain})
		if err != nil {
			b.Fatal(err)
		}
		t1, c1 := time.Now(), cpuTime()
		o, _ := fresh.OfferSnapshot(context.Background(), &abci.OfferSnapshotRequest{Snapshot: s, AppHash: hash})
		if o.Result != abci.OFFER_SNAPSHOT_RESULT_ACCEPT {
			b.Fatalf("OfferSnapshot = %v", o.Result)
		}
		var size int
		for i := range s.Chunks {
			c, _ := app.LoadSnapshotChunk(context.Background(), &abci.LoadSnapshotChunkRequest{Height: s.Height, Format: s.Format, Chunk: i})
			size += len(c.Chunk)
			r, err := fresh.ApplySnapshotChunk(context.Background(), &abci.ApplySnapshotChunkRequest{Index: i, Chunk: c.Chunk})
			if err != nil || r.Result != abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT {
				b.Fatalf("ApplySnapshotChunk(%d) = %v, %v", i, r, err)
			}
		}
		restored, restoredCPU := time.Since(t1), cpuTime()-c1
		if _, got := fresh.LastCommit(); string(got) != string(hash) {
			b.Fatalf("restored app hash %X, want %X", got, hash)
		}
		b.ReportMetric(made.Seconds(), "make-s")
		b.ReportMetric(restored.Seconds(), "restore-s")
		b.ReportMetric(madeCPU.Seconds(), "make-cpu-s")
		b.ReportMetric(restoredCPU.Seconds(), "restore-cpu-s")
		b.ReportMetric(float64(size)/1e6, "MB")
		b.ReportMetric(float64(s.Chunks), "chunks")
	}
}

// BenchmarkSnapshotNext measures the snapshot a node makes at the next
// interval: on a ledger of 100,000 copies (as BenchmarkStateSync100k), a
// snapshot made from the first record, then 1,000 more copies, then the
// next snapshot, which takes the first one's full chunks (snapBase). Run
// it with
//
//	go test -run XXX -bench BenchmarkSnapshotNext -benchtime 1x ./validatord/contract
func BenchmarkSnapshotNext(b *testing.B) {
	copies, perBlock, more := 100_000, 1_000, 1_000
	if testing.Short() {
		copies = 2_000
	}
	l := newBenchLedger(b, copies, perBlock)
	l.app.opts.Snapshots = SnapshotOptions{Dir: b.TempDir(), Keep: 2}
	b.ResetTimer()
	for i := range b.N {
		snap := func() (time.Duration, time.Duration) {
			h, hash := l.app.LastCommit()
			t0, c0 := time.Now(), cpuTime()
			if err := l.app.MakeSnapshot(h, hash); err != nil {
				b.Fatal(err)
			}
			return time.Since(t0), cpuTime() - c0
		}
		first, firstCPU := snap()
		b.StopTimer()
		from := copies + i*more
		mints, spends := l.mints(from, from+more)
		l.run(mints)
		l.run(spends)
		b.StartTimer()
		next, nextCPU := snap()
		b.ReportMetric(first.Seconds(), "first-s")
		b.ReportMetric(firstCPU.Seconds(), "first-cpu-s")
		b.ReportMetric(next.Seconds(), "next-s")
		b.ReportMetric(nextCPU.Seconds(), "next-cpu-s")
	}
}

// cpuTime is the process's user and system CPU time: on a shared machine
// it says what the work costs whatever the others take.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func pebbleDB(tb testing.TB) dbm.DB {
	tb.Helper()
	// As a node opens it: 64 MiB of blocks (chain.StoreCacheBytes) beside
	// the memtables pebble charges to the cache (chain.storeCache), here
	// the one store's.
	c := pebble.NewCache(64<<20 + MemTablesHeld*MemTableBytes)
	defer c.Unref()
	db, err := dbm.NewPebbleDBWithOpts("contract", tb.TempDir(), PebbleOptions(c))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// benchLedger is a ledger built by real transactions, which a benchmark
// may extend with more.
type benchLedger struct {
	tb       testing.TB
	app      *App
	now      time.Time
	height   int64
	isK, stK *ecdsa.PrivateKey
	isP, stP []byte
	nonce    uint64 // the issuer's last nonce
}

// buildLedger makes a ledger of n copies by executing blocks of real
// transactions: one operator, issuer, title and station; each token owned
// by the station, spent and reported made.
func buildLedger(tb testing.TB, n, perBlock int) (*App, []byte) {
	l := newBenchLedger(tb, n, perBlock)
	_, hash := l.app.LastCommit()
	return l.app, hash
}

func newBenchLedger(tb testing.TB, n, perBlock int) *benchLedger {
	tb.Helper()
	key := func() (*ecdsa.PrivateKey, []byte) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		p, _ := k.PublicKey.Bytes()
		return k, p
	}
	opK, opP := key()
	isK, isP := key()
	stK, stP := key()
	_, kaP := key()
	app, err := New(pebbleDB(tb), Options{})
	if err != nil {
		tb.Fatal(err)
	}
	cust, custKeys := sharedCustody(tb)
	js, _ := json.Marshal(Genesis{Params: Params{MaxRetries: 2}, Operators: [][]byte{opP}, Issuers: []Issuer{{Key: isP, Name: "Studio"}}, Custody: cust})
	if _, err := app.InitChain(context.Background(), &abci.InitChainRequest{ChainId: testChain, InitialHeight: 1, AppStateBytes: js}); err != nil {
		tb.Fatal(err)
	}
	l := &benchLedger{tb: tb, app: app, now: time.Unix(1_800_000_000, 0), isK: isK, isP: isP, stK: stK, stP: stP}
	// The title as its issuer registers it: its keys dealt to the custody
	// nodes (the contract refuses a title without).
	ti := testTitle("film-1")
	d, err := custody.Deal(custody.Title{ChainID: testChain, TitleID: ti.ID, Segments: len(ti.Segments)}, cust.Threshold, custKeys)
	if err != nil {
		tb.Fatal(err)
	}
	d.Keys.Wipe()
	for _, r := range d.Roots {
		ti.ShareRoots = append(ti.ShareRoots, bytes.Clone(r[:]))
	}
	l.run([][]byte{
		l.gov(isK, isP, TxRegisterTitle, 1, RegisterTitleBody{Title: ti, Shares: d.Blobs}),
		l.gov(opK, opP, TxEnrollStation, 1, EnrollStationBody{SigningKey: stP, KeyAgreementKey: kaP, Profiles: []uint16{0x41}}),
	})
	l.nonce = 1
	for from := 0; from < n; from += perBlock {
		var reports [][]byte
		mints, spends := l.mints(from, min(from+perBlock, n))
		for i := from; i < min(from+perBlock, n); i++ {
			job := fmt.Sprintf("job-%d", i)
			rep := &protocol.CopyReport{ChainID: testChain, HandshakeHash: []byte("hh"), JobID: job, MediaID: []byte(job), Outcome: protocol.OutcomeMade, DiscDigest: make([]byte, 32)}
			sig, _ := protocol.Sign(rand.Reader, stK, rep)
			tx, _ := NewReportTx(stP, rep, sig)
			reports = append(reports, tx)
		}
		l.run(mints)
		l.run(spends)
		l.run(reports)
	}
	return l
}

// mints are the mint transactions of tokens tok-from to tok-(to-1), owned
// by the station, and spends their spends (jobs job-from...).
func (l *benchLedger) mints(from, to int) (mints, spends [][]byte) {
	for i := from; i < to; i++ {
		tok, job := fmt.Sprintf("tok-%d", i), fmt.Sprintf("job-%d", i)
		l.nonce++
		mints = append(mints, l.gov(l.isK, l.isP, TxMintToken, l.nonce, MintTokenBody{ID: tok, Title: "film-1", Owner: l.stP}))
		req := &protocol.CopyRequest{ChainID: testChain, HandshakeHash: []byte("hh-" + job), ChallengeNonce: []byte("nonce"), NodeID: "node0",
			ChallengeExpiry: l.now.Unix() + 60, JobID: job, TokenID: tok, TitleID: "film-1", Profile: 0x41, MediaID: []byte(job)}
		sig, _ := protocol.Sign(rand.Reader, l.stK, req)
		tx, _ := NewSpendTx(l.stP, req, sig)
		spends = append(spends, tx)
	}
	return mints, spends
}

// run executes and commits one block whose transactions must all succeed.
func (l *benchLedger) run(txs [][]byte) {
	l.height++
	resp, err := l.app.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{Height: l.height, Time: l.now, Txs: txs})
	if err != nil {
		l.tb.Fatal(err)
	}
	for i, r := range resp.TxResults {
		if r.Code != 0 {
			l.tb.Fatalf("height %d tx %d: %s", l.height, i, r.Log)
		}
	}
	if _, err := l.app.Commit(context.Background(), &abci.CommitRequest{}); err != nil {
		l.tb.Fatal(err)
	}
}

func (l *benchLedger) gov(k *ecdsa.PrivateKey, p []byte, typ TxType, nonce uint64, body any) []byte {
	tx, err := NewTx(rand.Reader, k, p, testChain, typ, nonce, body)
	if err != nil {
		l.tb.Fatal(err)
	}
	return tx
}

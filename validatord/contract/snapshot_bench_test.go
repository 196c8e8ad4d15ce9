package contract

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"syscall"
	"testing"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"

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
		fresh, err := New(pebble(b), Options{ChainID: testChain})
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

// cpuTime is the process's user and system CPU time: on a shared machine
// it says what the work costs whatever the others take.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func pebble(tb testing.TB) dbm.DB {
	tb.Helper()
	db, err := dbm.NewPebbleDB("contract", tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// buildLedger makes a ledger of n copies by executing blocks of real
// transactions: one operator, issuer, title and station; each token owned
// by the station, spent and reported made.
func buildLedger(tb testing.TB, n, perBlock int) (*App, []byte) {
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
	app, err := New(pebble(tb), Options{})
	if err != nil {
		tb.Fatal(err)
	}
	js, _ := json.Marshal(Genesis{Params: Params{MaxRetries: 2}, Operators: [][]byte{opP}, Issuers: []Issuer{{Key: isP, Name: "Studio"}}})
	if _, err := app.InitChain(context.Background(), &abci.InitChainRequest{ChainId: testChain, InitialHeight: 1, AppStateBytes: js}); err != nil {
		tb.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	height := int64(0)
	run := func(txs [][]byte) {
		height++
		resp, err := app.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{Height: height, Time: now, Txs: txs})
		if err != nil {
			tb.Fatal(err)
		}
		for i, r := range resp.TxResults {
			if r.Code != 0 {
				tb.Fatalf("height %d tx %d: %s", height, i, r.Log)
			}
		}
		if _, err := app.Commit(context.Background(), &abci.CommitRequest{}); err != nil {
			tb.Fatal(err)
		}
	}
	gov := func(k *ecdsa.PrivateKey, p []byte, typ TxType, nonce uint64, body any) []byte {
		tx, err := NewTx(rand.Reader, k, p, testChain, typ, nonce, body)
		if err != nil {
			tb.Fatal(err)
		}
		return tx
	}
	run([][]byte{
		gov(isK, isP, TxRegisterTitle, 1, RegisterTitleBody{Title: testTitle("film-1")}),
		gov(opK, opP, TxEnrollStation, 1, EnrollStationBody{SigningKey: stP, KeyAgreementKey: kaP, Profiles: []uint16{0x41}}),
	})
	for from := 0; from < n; from += perBlock {
		var mints, spends, reports [][]byte
		for i := from; i < min(from+perBlock, n); i++ {
			tok, job := fmt.Sprintf("tok-%d", i), fmt.Sprintf("job-%d", i)
			mints = append(mints, gov(isK, isP, TxMintToken, uint64(i+2), MintTokenBody{ID: tok, Title: "film-1", Owner: stP}))
			req := &protocol.CopyRequest{ChainID: testChain, HandshakeHash: []byte("hh-" + job), ChallengeNonce: []byte("nonce"), NodeID: "node0",
				ChallengeExpiry: now.Unix() + 60, JobID: job, TokenID: tok, TitleID: "film-1", Profile: 0x41, MediaID: []byte(job)}
			sig, _ := protocol.Sign(rand.Reader, stK, req)
			tx, _ := NewSpendTx(stP, req, sig)
			spends = append(spends, tx)
			rep := &protocol.CopyReport{ChainID: testChain, HandshakeHash: []byte("hh"), JobID: job, MediaID: []byte(job), Outcome: protocol.OutcomeMade, DiscDigest: make([]byte, 32)}
			sig, _ = protocol.Sign(rand.Reader, stK, rep)
			tx, _ = NewReportTx(stP, rep, sig)
			reports = append(reports, tx)
		}
		run(mints)
		run(spends)
		run(reports)
	}
	_, hash := app.LastCommit()
	return app, hash
}

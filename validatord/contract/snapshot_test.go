package contract

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"

	"copystation/protocol"
)

// snapWorld is a world with a few blocks of history and a snapshot of it
// in small chunks, so records span chunks.
func snapWorld(t *testing.T) (*world, *abci.Snapshot) {
	t.Helper()
	w := newWorld(t)
	w.mustOK(w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1")))
	w.mustOK(w.reportTx(w.stA, "job-1", "m1", protocol.OutcomeMade))
	w.block() // a block that writes nothing
	w.app.opts.Snapshots = SnapshotOptions{Dir: t.TempDir(), ChunkSize: 700, Keep: 1}
	h, hash := w.app.LastCommit()
	if err := w.app.MakeSnapshot(h, hash); err != nil {
		t.Fatalf("MakeSnapshot(%d) = %v", h, err)
	}
	l, _ := w.app.ListSnapshots(context.Background(), &abci.ListSnapshotsRequest{})
	if len(l.Snapshots) != 1 || l.Snapshots[0].Height != uint64(h) || l.Snapshots[0].Chunks < 3 {
		t.Fatalf("ListSnapshots = %v, want one at height %d in 3 or more chunks", l.Snapshots, h)
	}
	return w, l.Snapshots[0]
}

func chunksOf(t *testing.T, a *App, s *abci.Snapshot) [][]byte {
	t.Helper()
	var out [][]byte
	for i := range s.Chunks {
		r, _ := a.LoadSnapshotChunk(context.Background(), &abci.LoadSnapshotChunkRequest{Height: s.Height, Format: s.Format, Chunk: i})
		out = append(out, r.Chunk)
	}
	return out
}

// restoreInto offers the snapshot to a fresh app and applies the chunks,
// returning the last chunk's result.
func restoreInto(t *testing.T, a *App, s *abci.Snapshot, trusted []byte, chunks [][]byte) abci.ApplySnapshotChunkResult {
	t.Helper()
	o, err := a.OfferSnapshot(context.Background(), &abci.OfferSnapshotRequest{Snapshot: s, AppHash: trusted})
	if err != nil || o.Result != abci.OFFER_SNAPSHOT_RESULT_ACCEPT {
		t.Fatalf("OfferSnapshot = %v, %v; want accept", o, err)
	}
	var res abci.ApplySnapshotChunkResult
	for i, c := range chunks {
		r, err := a.ApplySnapshotChunk(context.Background(), &abci.ApplySnapshotChunkRequest{Index: uint32(i), Chunk: c, Sender: "peer"})
		if err != nil {
			t.Fatalf("ApplySnapshotChunk(%d) = %v", i, err)
		}
		if res = r.Result; res != abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT {
			break
		}
	}
	return res
}

// TestSnapshotRestore: a fresh app restored from the snapshot reports the
// same height and app hash, holds the same records, proves them with the
// same proofs, and then executes the next block to the same app hash.
func TestSnapshotRestore(t *testing.T) {
	w, s := snapWorld(t)
	h, hash := w.app.LastCommit()
	fresh, err := New(dbm.NewMemDB(), Options{ChainID: testChain})
	if err != nil {
		t.Fatal(err)
	}
	if r := restoreInto(t, fresh, s, hash, chunksOf(t, w.app, s)); r != abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT {
		t.Fatalf("restore = %v, want accept", r)
	}
	info, _ := fresh.Info(context.Background(), &abci.InfoRequest{})
	if info.LastBlockHeight != h || !bytes.Equal(info.LastBlockAppHash, hash) {
		t.Fatalf("Info after restore = %d %X, want %d %X", info.LastBlockHeight, info.LastBlockAppHash, h, hash)
	}
	for _, path := range []string{"/copy/job-1", "/token/tok-a", "/station/" + w.stA.id} {
		want, _ := w.app.Query(context.Background(), &abci.QueryRequest{Path: path, Prove: true})
		got, _ := fresh.Query(context.Background(), &abci.QueryRequest{Path: path, Prove: true})
		if !bytes.Equal(got.Value, want.Value) || got.Height != want.Height || got.ProofOps.String() != want.ProofOps.String() {
			t.Errorf("Query(%s) after restore = %s at %d, want %s at %d with the same proof", path, got.Value, got.Height, want.Value, want.Height)
		}
	}
	// The next blocks, on both: a mint, then the restored job's spend and
	// report again, which must find the restored copy record and replay
	// marker (read past the absent-key filter, keyfilter.go).
	w.mint("tok-z", "film-1", w.customer)
	want := [][]*abci.ExecTxResult{nil, w.block(w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1")), w.reportTx(w.stA, "job-1", "m1", protocol.OutcomeMade))}
	if c := Code(want[1][0].Code); c != CodeCopyMade {
		t.Fatalf("spend of a made job = %d, want %d", c, CodeCopyMade)
	}
	for i, next := range w.blocks[len(w.blocks)-2:] {
		got, err := fresh.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{Height: h + 1 + int64(i), Time: w.now, Txs: next})
		if err != nil {
			t.Fatal(err)
		}
		fresh.Commit(context.Background(), &abci.CommitRequest{})
		for j := range want[i] {
			if got.TxResults[j].Code != want[i][j].Code {
				t.Errorf("block %d tx %d after restore = %d %s, original %d %s", h+1+int64(i), j, got.TxResults[j].Code, got.TxResults[j].Log, want[i][j].Code, want[i][j].Log)
			}
		}
	}
	_, wantHash := w.app.LastCommit()
	if _, got := fresh.LastCommit(); !bytes.Equal(got, wantHash) {
		t.Fatalf("app hash after the next blocks: restored %X, original %X", got, wantHash)
	}
}

// TestSnapshotTampered: a chunk that is not the one the metadata names is
// fetched again from another peer; content that does not chain up to the
// trusted app hash is rejected and leaves the store empty; metadata naming
// another app hash is refused at once.
func TestSnapshotTampered(t *testing.T) {
	w, s := snapWorld(t)
	_, hash := w.app.LastCommit()
	chunks := chunksOf(t, w.app, s)
	fresh := func() *App {
		a, err := New(dbm.NewMemDB(), Options{ChainID: testChain})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}

	a := fresh()
	a.OfferSnapshot(context.Background(), &abci.OfferSnapshotRequest{Snapshot: s, AppHash: hash})
	bad := bytes.Clone(chunks[0])
	bad[len(bad)-1] ^= 1
	r, _ := a.ApplySnapshotChunk(context.Background(), &abci.ApplySnapshotChunkRequest{Index: 0, Chunk: bad, Sender: "liar"})
	if r.Result != abci.APPLY_SNAPSHOT_CHUNK_RESULT_RETRY || len(r.RejectSenders) != 1 || r.RejectSenders[0] != "liar" {
		t.Fatalf("ApplySnapshotChunk(altered chunk) = %v, want retry rejecting the sender", r)
	}

	// A consistent forgery: altered content with metadata to match.
	m, _ := DecodeSnapshotMeta(s.Metadata)
	forged := bytes.Clone(chunks[len(chunks)-1])
	forged[len(forged)-1] ^= 1
	d := sha256.Sum256(forged)
	m.Chunks[len(chunks)-1] = d[:]
	fs := &abci.Snapshot{Height: s.Height, Format: s.Format, Chunks: s.Chunks, Metadata: m.Marshal()}
	sum := sha256.Sum256(fs.Metadata)
	fs.Hash = sum[:]
	a = fresh()
	got := restoreInto(t, a, fs, hash, append(chunks[:len(chunks)-1:len(chunks)-1], forged))
	if got != abci.APPLY_SNAPSHOT_CHUNK_RESULT_REJECT_SNAPSHOT {
		t.Fatalf("restore(forged content) = %v, want reject", got)
	}
	it, _ := a.db.Iterator(nil, nil)
	if it.Valid() {
		t.Errorf("store after a rejected restore holds %q, want empty", it.Key())
	}
	it.Close()
	if h, _ := a.LastCommit(); h != 0 {
		t.Errorf("height after a rejected restore = %d, want 0", h)
	}

	o, _ := fresh().OfferSnapshot(context.Background(), &abci.OfferSnapshotRequest{Snapshot: s, AppHash: make([]byte, 32)})
	if o.Result != abci.OFFER_SNAPSHOT_RESULT_REJECT {
		t.Fatalf("OfferSnapshot(other app hash) = %v, want reject", o.Result)
	}
	o, _ = w.app.OfferSnapshot(context.Background(), &abci.OfferSnapshotRequest{Snapshot: s, AppHash: hash})
	if o.Result != abci.OFFER_SNAPSHOT_RESULT_ABORT {
		t.Fatalf("OfferSnapshot(over a ledger) = %v, want abort", o.Result)
	}
}

// TestSnapshotEveryInterval: Commit makes a snapshot at each multiple of
// the interval and keeps only the newest; with an offset, at the heights
// that far past each multiple.
func TestSnapshotEveryInterval(t *testing.T) {
	t.Run("offset", func(t *testing.T) {
		w, dir := newWorld(t), t.TempDir()
		ents, h := snapshotsOver(t, w, SnapshotOptions{Dir: dir, Interval: 3, Offset: 1, Keep: 10}, 7)
		got := w.app.snapshotHeights()
		if len(got) != len(ents) {
			t.Fatalf("snapshot directory holds %v, not only snapshots", ents)
		}
		slices.Reverse(got)
		var want []int64
		for k := int64(1); k <= h; k++ {
			if k%3 == 1 && k > h-7 { // the heights this test committed
				want = append(want, k)
			}
		}
		if len(want) < 2 || len(got) < len(want) || !slices.Equal(got[len(got)-len(want):], want) {
			t.Fatalf("snapshots at heights %v, want the last ones at %v (last height %d)", got, want, h)
		}
	})

	w, dir := newWorld(t), t.TempDir()
	ents, h := snapshotsOver(t, w, SnapshotOptions{Dir: dir, Interval: 2, Keep: 2}, 6)
	last := h - h%2
	if len(ents) != 2 || ents[len(ents)-1].Name() != strconv.FormatInt(last, 10) && ents[0].Name() != strconv.FormatInt(last, 10) {
		t.Fatalf("snapshots kept = %v, want 2, the newest at %d", ents, last)
	}
}

// snapshotsOver commits a mint in each of blocks new blocks under o, each
// block's snapshot finished before the next, and returns the snapshot
// directory's entries and the last height.
func snapshotsOver(t *testing.T, w *world, o SnapshotOptions, blocks int) ([]os.DirEntry, int64) {
	t.Helper()
	w.app.opts.Snapshots = o
	h0, _ := w.app.LastCommit()
	for i := range int64(blocks) {
		w.mint(fmt.Sprintf("tok-%d-%d", o.Interval, h0+i), "film-1", w.customer)
		w.app.WaitSnapshots()
	}
	if err := w.app.SnapshotError(); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(o.Dir)
	h, _ := w.app.LastCommit()
	return ents, h
}

// FuzzDecodeSnapshotMeta: never a panic, and what decodes re-encodes to
// the same bytes.
func FuzzDecodeSnapshotMeta(f *testing.F) {
	f.Add((&SnapshotMeta{ChainID: "c", Height: 4, AppHash: make([]byte, 32), First: make([]byte, 32), Chunks: [][]byte{make([]byte, 32)}}).Marshal())
	f.Add([]byte(snapMetaMagic + "\x01"))
	f.Fuzz(func(t *testing.T, p []byte) {
		m, err := DecodeSnapshotMeta(p)
		if err == nil && !bytes.Equal(m.Marshal(), p) {
			t.Fatalf("DecodeSnapshotMeta(%x) re-encodes differently", p)
		}
	})
}

// FuzzSnapshotChunk: any chunk content under matching metadata is applied
// or rejected, never a panic or an error.
func FuzzSnapshotChunk(f *testing.F) {
	f.Add(appendRecord(nil, 1, encodeLeaves([][]byte{leaf("a/x", []byte("1"))})))
	f.Add(appendRecord(nil, 1, []byte{0, 0, 0, 9, 1}))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255})
	f.Fuzz(func(t *testing.T, chunk []byte) {
		d := sha256.Sum256(chunk)
		m := &SnapshotMeta{ChainID: testChain, Height: 5, AppHash: make([]byte, 32), First: make([]byte, 32), Chunks: [][]byte{d[:]}}
		meta := m.Marshal()
		sum := sha256.Sum256(meta)
		a, _ := New(dbm.NewMemDB(), Options{})
		a.OfferSnapshot(context.Background(), &abci.OfferSnapshotRequest{Snapshot: &abci.Snapshot{Height: 5, Format: SnapshotFormat, Chunks: 1, Hash: sum[:], Metadata: meta}, AppHash: m.AppHash})
		r, err := a.ApplySnapshotChunk(context.Background(), &abci.ApplySnapshotChunkRequest{Index: 0, Chunk: chunk})
		if err != nil || r.Result != abci.APPLY_SNAPSHOT_CHUNK_RESULT_REJECT_SNAPSHOT {
			t.Fatalf("ApplySnapshotChunk(%x) = %v, %v; want reject (no chain ends in a zero hash)", chunk, r, err)
		}
	})
}

// TestSnapshotFromKept: a snapshot made while an earlier one is kept takes
// the earlier one's full chunks, as the same files, and is chunk for chunk
// the snapshot made from the first record; a kept chunk that no longer
// holds what its metadata names is not taken, and the next snapshot is
// made from the first record, right again.
func TestSnapshotFromKept(t *testing.T) {
	w, first := snapWorld(t)
	ctx := context.Background()
	kept := w.app.opts.Snapshots
	kept.Keep = 4
	w.app.opts.Snapshots = kept
	newest := func() (*abci.Snapshot, [][]byte) {
		l, _ := w.app.ListSnapshots(ctx, &abci.ListSnapshotsRequest{})
		if len(l.Snapshots) == 0 {
			t.Fatal("no snapshot kept")
		}
		return l.Snapshots[0], chunksOf(t, w.app, l.Snapshots[0])
	}
	next := func() *abci.Snapshot {
		t.Helper()
		for i := range 3 {
			w.mint(fmt.Sprintf("tok-k%d-%d", len(w.blocks), i), "film-1", w.customer)
		}
		h, hash := w.app.LastCommit()
		w.app.opts.Snapshots.Dir = t.TempDir()
		if err := w.app.MakeSnapshot(h, hash); err != nil {
			t.Fatalf("MakeSnapshot(%d) from the first record = %v", h, err)
		}
		want, wantChunks := newest()
		w.app.opts.Snapshots = kept
		if err := w.app.MakeSnapshot(h, hash); err != nil {
			t.Fatalf("MakeSnapshot(%d) = %v", h, err)
		}
		got, gotChunks := newest()
		if got.Height != uint64(h) || !bytes.Equal(got.Hash, want.Hash) || !bytes.Equal(got.Metadata, want.Metadata) || got.Chunks != want.Chunks {
			t.Fatalf("snapshot at %d: %d chunks, hash %X; from the first record %d chunks, hash %X", h, got.Chunks, got.Hash, want.Chunks, want.Hash)
		}
		for i := range gotChunks {
			if !bytes.Equal(gotChunks[i], wantChunks[i]) {
				t.Fatalf("snapshot at %d: chunk %d differs from the one made from the first record", h, i)
			}
		}
		return got
	}
	chunk := func(s *abci.Snapshot, i int) string {
		return filepath.Join(kept.Dir, strconv.FormatUint(s.Height, 10), strconv.Itoa(i))
	}
	same := func(a, b string) bool {
		sa, errA := os.Stat(a)
		sb, errB := os.Stat(b)
		return errA == nil && errB == nil && os.SameFile(sa, sb)
	}

	second := next()
	if second.Chunks <= first.Chunks {
		t.Fatalf("the second snapshot has %d chunks, the first %d: the test adds too little", second.Chunks, first.Chunks)
	}
	for i := range int(first.Chunks) - 1 {
		if !same(chunk(first, i), chunk(second, i)) {
			t.Errorf("chunk %d of the second snapshot is not the first's file", i)
		}
	}

	// From the second, whose last block wrote (the first's did not).
	third := next()
	if !same(chunk(second, 0), chunk(third, 0)) {
		t.Error("chunk 0 of the third snapshot is not the second's file")
	}

	// Chunk 0 is one file in all three; damaged, none is taken from.
	if err := os.WriteFile(chunk(third, 0), []byte("damaged"), 0o600); err != nil {
		t.Fatal(err)
	}
	fourth := next()
	if same(chunk(third, 0), chunk(fourth, 0)) {
		t.Error("the fourth snapshot took the damaged chunk 0")
	}
}

// TestSnapshotPaced: a snapshot tells its pacer (a node's background rate,
// chain/pace.go) the bytes of every record it reads from the store, the
// whole history for the first one, and of every kept chunk it checks and
// builds on for the next.
func TestSnapshotPaced(t *testing.T) {
	w, dir := newWorld(t), t.TempDir()
	var paced atomic.Int64
	o := SnapshotOptions{Dir: dir, Interval: 4, Keep: 2, ChunkSize: 512, Pace: func(n int) { paced.Add(int64(n)) }}
	records := func(from, to int64) int64 {
		it, err := w.app.db.Iterator(heightKey(blockPfx, from), heightKey(blockPfx, to+1))
		if err != nil {
			t.Fatal(err)
		}
		defer it.Close()
		var n int64
		for ; it.Valid(); it.Next() {
			n += int64(len(it.Value()))
		}
		return n
	}
	_, h := snapshotsOver(t, w, o, 4)
	first := h - h%4
	if want := records(0, first); paced.Load() != want || want == 0 {
		t.Fatalf("the first snapshot (height %d) paced %d bytes, want its records' %d", first, paced.Load(), want)
	}
	var kept int64
	ents, err := os.ReadDir(w.app.snapshotDir(first))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && e.Name() != "snapshot.json" {
			kept += fi.Size()
		}
	}
	paced.Store(0)
	_, h = snapshotsOver(t, w, o, 4)
	next := h - h%4
	if want := kept + records(first+1, next); paced.Load() != want {
		t.Fatalf("the snapshot at %d, built on the one at %d, paced %d bytes, want %d (its chunks checked, %d, and the records after)", next, first, paced.Load(), want, kept)
	}
}

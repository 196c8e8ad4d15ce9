package contract

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/merkle"

	"copystation/atomicfile"
)

// Snapshots for CometBFT state sync (docs/contract.md, "Snapshots"). The
// app hash is a chain over every block's change set, not a digest of the
// current state, so a snapshot carries the change sets of every block that
// wrote, from the first: a joining node recomputes the chain link by link
// and takes the snapshot only if it ends in the app hash CometBFT's light
// client verified. It executes no transaction and checks no signature,
// and ends up with what the other nodes hold, proofs of old records
// included.

// SnapshotFormat is the version of the snapshot encoding.
const SnapshotFormat uint32 = 1

// Bounds of a snapshot.
const (
	// DefaultChunkSize is a chunk's size (CometBFT carries up to 16 MB).
	DefaultChunkSize = 4 << 20
	// MaxChunks bounds a snapshot's chunk count (64 GiB at the default size).
	MaxChunks = 1 << 14
	// maxRecordLen bounds one block's change set in a snapshot: a block is
	// at most CometBFT's 100 MiB, and its writes are smaller than its
	// transactions times a small factor.
	maxRecordLen  = 256 << 20
	snapMetaMagic = "copystation snapshot"
)

// ErrSnapshot is the error for snapshot bytes that are not a valid snapshot.
var ErrSnapshot = errors.New("not a valid snapshot")

// SnapshotMeta is Snapshot.Metadata: what the chunks must add up to.
type SnapshotMeta struct {
	ChainID string
	Height  int64  // the snapshot's height (the app's last committed)
	AppHash []byte // the app hash at Height
	// First is the app hash before the first record (the genesis state's
	// hash, which block 1's record follows).
	First  []byte
	Chunks [][]byte // SHA-256 of each chunk, in order
}

// Marshal encodes the metadata: the magic, the version (1 byte), then
// chain ID, height (8 bytes), app hash, first hash, each variable field
// with a 32-bit length, then the chunk count (4 bytes) and the chunk
// hashes (32 bytes each). Integers are big-endian.
func (m *SnapshotMeta) Marshal() []byte {
	b := append([]byte(snapMetaMagic), byte(SnapshotFormat))
	b = appendBytes(b, []byte(m.ChainID))
	b = binary.BigEndian.AppendUint64(b, uint64(m.Height))
	b = appendBytes(b, m.AppHash)
	b = appendBytes(b, m.First)
	b = binary.BigEndian.AppendUint32(b, uint32(len(m.Chunks)))
	for _, h := range m.Chunks {
		b = append(b, h...)
	}
	return b
}

// DecodeSnapshotMeta parses and bounds-checks metadata from a peer.
func DecodeSnapshotMeta(p []byte) (*SnapshotMeta, error) {
	const op = "contract.DecodeSnapshotMeta"
	if len(p) < len(snapMetaMagic)+1 || string(p[:len(snapMetaMagic)]) != snapMetaMagic || uint32(p[len(snapMetaMagic)]) != SnapshotFormat {
		return nil, fmt.Errorf("%s: %w: bad magic or format (this node reads format %d)", op, ErrSnapshot, SnapshotFormat)
	}
	r := reader{b: p[len(snapMetaMagic)+1:]}
	m := &SnapshotMeta{ChainID: string(r.bytes(MaxIDLen))}
	m.Height = int64(r.u64())
	m.AppHash = r.bytes(sha256.Size)
	m.First = r.bytes(sha256.Size)
	var n uint32
	if c := r.take(4); c != nil {
		n = binary.BigEndian.Uint32(c)
	}
	if r.err == nil && (n == 0 || n > MaxChunks) {
		r.err = fmt.Errorf("%d chunks, want 1 to %d", n, MaxChunks)
	}
	for i := uint32(0); i < n && r.err == nil; i++ {
		m.Chunks = append(m.Chunks, r.take(sha256.Size))
	}
	if r.err == nil && (m.Height < 1 || len(m.AppHash) != sha256.Size || len(m.First) != sha256.Size || len(r.b) != 0) {
		r.err = fmt.Errorf("height %d, app hash %d bytes, first hash %d bytes, %d trailing bytes", m.Height, len(m.AppHash), len(m.First), len(r.b))
	}
	if r.err != nil {
		return nil, fmt.Errorf("%s: %w: %v", op, ErrSnapshot, r.err)
	}
	return m, nil
}

// appendRecord encodes one block's change set in the stream: height (8
// bytes), then the stored change set (each leaf with a 32-bit length)
// with a 32-bit length.
func appendRecord(b []byte, height int64, leaves []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(height))
	return appendBytes(b, leaves)
}

// SnapshotOptions make a node keep snapshots for others to sync from.
type SnapshotOptions struct {
	Dir       string // where snapshots are kept; empty: none made
	Interval  int64  // a snapshot every Interval heights; 0: none
	Offset    int64  // at the heights h with h % Interval == Offset, 0 <= Offset < Interval
	Keep      int    // how many recent snapshots to keep; 0: 2
	ChunkSize int    // 0: DefaultChunkSize
	// Pace, if set, is told the bytes of each record a snapshot reads from
	// the store and of each kept chunk it checks, and may sleep to spread
	// the work (a node's background pacer, chain/pace.go).
	Pace func(n int)
}

// pace tells the snapshot options' pacer about n bytes of work.
func (o *SnapshotOptions) pace(n int) {
	if o.Pace != nil {
		o.Pace(n)
	}
}

// snapshotFile is a kept snapshot's descriptor (dir/HEIGHT/snapshot.json).
type snapshotFile struct {
	Height   uint64 `json:"height"`
	Format   uint32 `json:"format"`
	Chunks   uint32 `json:"chunks"`
	Hash     []byte `json:"hash"`
	Metadata []byte `json:"metadata"`
}

// maybeSnapshot starts a snapshot of the block just committed, if one is
// due. Records up to height never change, so it runs beside consensus.
func (a *App) maybeSnapshot(height int64, hash []byte) {
	o := a.opts.Snapshots
	if o.Dir == "" || o.Interval <= 0 || height%o.Interval != o.Offset%o.Interval || !a.snapBusy.CompareAndSwap(false, true) {
		return
	}
	a.snapWG.Add(1)
	go func() {
		defer a.snapWG.Done()
		defer a.snapBusy.Store(false)
		if err := a.MakeSnapshot(height, hash); err != nil {
			a.snapErr.Store(&err)
		}
	}()
}

// SnapshotError is the last snapshot's failure, if any (status, tests).
func (a *App) SnapshotError() error {
	if p := a.snapErr.Load(); p != nil {
		return *p
	}
	return nil
}

// WaitSnapshots waits for a snapshot in progress (before closing the store).
func (a *App) WaitSnapshots() { a.snapWG.Wait() }

// MakeSnapshot writes the snapshot at height (committed, with app hash
// hash) into the snapshot directory and prunes old ones.
func (a *App) MakeSnapshot(height int64, hash []byte) error {
	const op = "contract.MakeSnapshot"
	o := a.opts.Snapshots
	size := o.ChunkSize
	if size <= 0 {
		size = DefaultChunkSize
	}
	final := a.snapshotDir(height)
	tmp := final + ".tmp"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer os.RemoveAll(tmp)
	m := &SnapshotMeta{ChainID: a.ChainID(), Height: height, AppHash: hash}
	var buf []byte
	flush := func(all bool) error {
		for len(buf) >= size || (all && len(buf) > 0) {
			n := min(size, len(buf))
			if len(m.Chunks) == MaxChunks {
				return fmt.Errorf("more than %d chunks", MaxChunks)
			}
			if err := atomicfile.Write(chunkPath(tmp, len(m.Chunks)), buf[:n]); err != nil {
				return err
			}
			d := sha256.Sum256(buf[:n])
			m.Chunks = append(m.Chunks, d[:])
			buf = append(buf[:0], buf[n:]...)
		}
		return nil
	}
	from := int64(0)
	if b := a.snapshotBase(height, size); b != nil {
		if err := linkChunks(b.dir, tmp, len(b.full)); err == nil {
			m.First, m.Chunks, buf, from = b.first, b.full, b.tail, b.height+1
		} else if err := errors.Join(os.RemoveAll(tmp), os.MkdirAll(tmp, 0o700)); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	it, err := a.db.Iterator(heightKey(blockPfx, from), heightKey(blockPfx, height+1))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	for ; it.Valid(); it.Next() {
		if len(it.Value()) == 0 {
			continue // a block that wrote nothing
		}
		h, perr := strconv.ParseInt(string(it.Key()[len(blockPfx):]), 16, 64)
		if perr != nil {
			it.Close()
			return fmt.Errorf("%s: stored key %q: %w", op, it.Key(), perr)
		}
		if m.First == nil {
			if m.First, err = a.db.Get(heightKey(hashPfx, h-1)); err != nil || len(m.First) != sha256.Size {
				it.Close()
				return fmt.Errorf("%s: the app hash before height %d is missing (%v)", op, h, err)
			}
		}
		buf = appendRecord(buf, h, it.Value())
		o.pace(len(it.Value()))
		if err := flush(false); err != nil {
			it.Close()
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	err = errors.Join(it.Error(), it.Close())
	if err == nil && m.First == nil {
		err = errors.New("no block wrote anything")
	}
	if err == nil {
		err = flush(true)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	meta := m.Marshal()
	sum := sha256.Sum256(meta)
	js, _ := json.Marshal(snapshotFile{Height: uint64(height), Format: SnapshotFormat, Chunks: uint32(len(m.Chunks)), Hash: sum[:], Metadata: meta})
	if err := atomicfile.Write(filepath.Join(tmp, "snapshot.json"), js); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	os.RemoveAll(final)
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return a.pruneSnapshots()
}

// snapBase is what a snapshot can take from a kept one at a lower height.
// The records up to that height never change, so the new snapshot's stream
// begins with the same bytes, cut into chunks at the same places: the kept
// one's full chunks are its first chunks, and it goes on from the kept
// one's last chunk, if short, with the records that came after. Without it
// every node rebuilt its whole history from the store at every interval,
// all at the same height (docs/benchmarks.md, issue 17, eighteenth
// session).
type snapBase struct {
	height int64
	dir    string
	first  []byte
	full   [][]byte // the SHA-256 of each full chunk, in order
	tail   []byte   // the last chunk when it is short
}

// snapshotBase is the newest kept snapshot below height in chunks of size
// whose every chunk file still holds what its metadata names, or nil: a
// snapshot is then made from the first record. Reading the files back
// costs a fraction of rebuilding them, and keeps a damaged chunk out of
// every later snapshot.
func (a *App) snapshotBase(height int64, size int) *snapBase {
	for _, h := range a.snapshotHeights() {
		if h >= height {
			continue
		}
		f, err := a.loadSnapshotFile(h)
		if err != nil || f.Format != SnapshotFormat {
			return nil
		}
		m, err := DecodeSnapshotMeta(f.Metadata)
		if err != nil || m.Height != h || m.ChainID != a.ChainID() || len(m.Chunks) != int(f.Chunks) {
			return nil
		}
		b := &snapBase{height: h, dir: a.snapshotDir(h), first: m.First}
		for i, sum := range m.Chunks {
			p, err := os.ReadFile(chunkPath(b.dir, i))
			if d := sha256.Sum256(p); err != nil || !bytes.Equal(d[:], sum) {
				return nil
			}
			a.opts.Snapshots.pace(len(p))
			switch {
			case len(p) == size:
				b.full = append(b.full, sum)
			case i == len(m.Chunks)-1 && len(p) < size:
				b.tail = p
			default: // made in chunks of another size
				return nil
			}
		}
		return b
	}
	return nil
}

// linkChunks links chunk files 0 to n-1 of dir into tmp: a chunk file is
// never rewritten, and the link keeps it when dir is pruned.
func linkChunks(dir, tmp string, n int) error {
	for i := range n {
		if err := os.Link(chunkPath(dir, i), chunkPath(tmp, i)); err != nil {
			return err
		}
	}
	return nil
}

// snapshotDir is the directory of the kept snapshot at height h.
func (a *App) snapshotDir(h int64) string {
	return filepath.Join(a.opts.Snapshots.Dir, strconv.FormatInt(h, 10))
}

// chunkPath is chunk i's file in a snapshot's directory.
func chunkPath(dir string, i int) string { return filepath.Join(dir, strconv.Itoa(i)) }

// snapshotHeights lists the kept snapshots, newest first.
func (a *App) snapshotHeights() []int64 {
	ents, _ := os.ReadDir(a.opts.Snapshots.Dir)
	var hs []int64
	for _, e := range ents {
		if h, err := strconv.ParseInt(e.Name(), 10, 64); err == nil && e.IsDir() {
			hs = append(hs, h)
		}
	}
	slices.Sort(hs)
	slices.Reverse(hs)
	return hs
}

func (a *App) pruneSnapshots() error {
	keep := a.opts.Snapshots.Keep
	if keep <= 0 {
		keep = 2
	}
	var errs []error
	for i, h := range a.snapshotHeights() {
		if i >= keep {
			errs = append(errs, os.RemoveAll(a.snapshotDir(h)))
		}
	}
	return errors.Join(errs...)
}

func (a *App) loadSnapshotFile(h int64) (*snapshotFile, error) {
	p, err := os.ReadFile(filepath.Join(a.snapshotDir(h), "snapshot.json"))
	if err != nil {
		return nil, err
	}
	var f snapshotFile
	return &f, json.Unmarshal(p, &f)
}

// ListSnapshots implements abci.Application: the kept snapshots.
func (a *App) ListSnapshots(context.Context, *abci.ListSnapshotsRequest) (*abci.ListSnapshotsResponse, error) {
	resp := &abci.ListSnapshotsResponse{}
	if a.opts.Snapshots.Dir == "" {
		return resp, nil
	}
	for _, h := range a.snapshotHeights() {
		f, err := a.loadSnapshotFile(h)
		if err != nil {
			continue // being pruned, or damaged: not offered
		}
		resp.Snapshots = append(resp.Snapshots, &abci.Snapshot{Height: f.Height, Format: f.Format, Chunks: f.Chunks, Hash: f.Hash, Metadata: f.Metadata})
	}
	return resp, nil
}

// LoadSnapshotChunk implements abci.Application: one chunk of a kept
// snapshot (empty if it is gone, which CometBFT reports to the peer).
func (a *App) LoadSnapshotChunk(_ context.Context, req *abci.LoadSnapshotChunkRequest) (*abci.LoadSnapshotChunkResponse, error) {
	if a.opts.Snapshots.Dir == "" || req.Format != SnapshotFormat || req.Chunk >= MaxChunks || req.Height > math.MaxInt64 {
		return &abci.LoadSnapshotChunkResponse{}, nil
	}
	p, err := os.ReadFile(chunkPath(a.snapshotDir(int64(req.Height)), int(req.Chunk)))
	if err != nil {
		return &abci.LoadSnapshotChunkResponse{}, nil
	}
	return &abci.LoadSnapshotChunkResponse{Chunk: p}, nil
}

// replayRecord recomputes one record's link of the chain and its root.
func replayRecord(prev []byte, height int64, enc []byte) (hash []byte, leaves [][]byte, err error) {
	if leaves, err = decodeLeaves(enc); err != nil {
		return nil, nil, err
	}
	for i, l := range leaves {
		k, _, ok := splitLeaf(l)
		if !ok {
			return nil, nil, fmt.Errorf("leaf %d of height %d is not a key and a value", i, height)
		}
		if i > 0 {
			pk, _, _ := splitLeaf(leaves[i-1])
			if bytes.Compare(pk, k) >= 0 {
				return nil, nil, fmt.Errorf("leaves of height %d out of order", height)
			}
		}
	}
	return chainHash(prev, height, merkle.HashFromByteSlices(leaves)), leaves, nil
}

// splitLeaf undoes leaf.
func splitLeaf(l []byte) (key, val []byte, ok bool) {
	r := reader{b: l}
	key = r.bytes(len(l))
	val = r.bytes(len(l))
	return key, val, r.err == nil && len(r.b) == 0 && len(key) > 0
}

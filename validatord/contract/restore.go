package contract

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
)

// restore is a snapshot being applied: chunks arrive in order, records
// may span chunks, and the chain is recomputed as they come.
type restore struct {
	meta    *SnapshotMeta
	trusted []byte // the app hash CometBFT's light client verified
	next    int    // the next chunk index expected
	buf     []byte // bytes of an incomplete record
	prev    []byte // the chain so far
	last    int64  // the last record's height
}

// errRestore is a snapshot whose content does not add up.
var errRestore = errors.New("contract: snapshot content")

// OfferSnapshot implements abci.Application: it accepts a snapshot of its
// own format and chain whose metadata names the app hash the light client
// verified, into an empty store.
func (a *App) OfferSnapshot(_ context.Context, req *abci.OfferSnapshotRequest) (*abci.OfferSnapshotResponse, error) {
	reply := func(r abci.OfferSnapshotResult) (*abci.OfferSnapshotResponse, error) {
		return &abci.OfferSnapshotResponse{Result: r}, nil
	}
	s := req.Snapshot
	if s == nil || s.Format != SnapshotFormat {
		return reply(abci.OFFER_SNAPSHOT_RESULT_REJECT_FORMAT)
	}
	m, err := DecodeSnapshotMeta(s.Metadata)
	sum := sha256.Sum256(s.Metadata)
	switch {
	case err != nil, !bytes.Equal(sum[:], s.Hash), uint32(len(m.Chunks)) != s.Chunks, uint64(m.Height) != s.Height:
		return reply(abci.OFFER_SNAPSHOT_RESULT_REJECT)
	case !bytes.Equal(m.AppHash, req.AppHash):
		return reply(abci.OFFER_SNAPSHOT_RESULT_REJECT)
	case a.opts.ChainID != "" && m.ChainID != a.opts.ChainID:
		return reply(abci.OFFER_SNAPSHOT_RESULT_REJECT)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if h, _ := a.LastCommit(); h != 0 || a.pending != nil {
		return reply(abci.OFFER_SNAPSHOT_RESULT_ABORT) // never over a ledger
	}
	if err := a.wipe(); err != nil { // a restore that failed half-way
		return nil, fmt.Errorf("contract.OfferSnapshot: %w", err)
	}
	a.restoring = &restore{meta: m, trusted: req.AppHash, prev: m.First}
	return reply(abci.OFFER_SNAPSHOT_RESULT_ACCEPT)
}

// ApplySnapshotChunk implements abci.Application: a chunk whose hash is
// not the metadata's is fetched again from another peer; content that
// does not chain up to the trusted app hash rejects the snapshot and
// leaves the store empty.
func (a *App) ApplySnapshotChunk(_ context.Context, req *abci.ApplySnapshotChunkRequest) (*abci.ApplySnapshotChunkResponse, error) {
	reply := func(r abci.ApplySnapshotChunkResult) (*abci.ApplySnapshotChunkResponse, error) {
		return &abci.ApplySnapshotChunkResponse{Result: r}, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	rs := a.restoring
	if rs == nil {
		return reply(abci.APPLY_SNAPSHOT_CHUNK_RESULT_ABORT)
	}
	if int(req.Index) != rs.next {
		return &abci.ApplySnapshotChunkResponse{Result: abci.APPLY_SNAPSHOT_CHUNK_RESULT_RETRY, RefetchChunks: []uint32{uint32(rs.next)}}, nil
	}
	if d := sha256.Sum256(req.Chunk); !bytes.Equal(d[:], rs.meta.Chunks[req.Index]) {
		return &abci.ApplySnapshotChunkResponse{Result: abci.APPLY_SNAPSHOT_CHUNK_RESULT_RETRY,
			RefetchChunks: []uint32{req.Index}, RejectSenders: []string{req.Sender}}, nil
	}
	rs.next++
	rs.buf = append(rs.buf, req.Chunk...)
	err := a.applyRecords(rs, rs.next == len(rs.meta.Chunks))
	if err == nil && rs.next == len(rs.meta.Chunks) {
		err = a.finishRestore(rs)
	}
	if errors.Is(err, errRestore) {
		a.restoring = nil
		if werr := a.wipe(); werr != nil {
			return nil, fmt.Errorf("contract.ApplySnapshotChunk: %w", werr)
		}
		return reply(abci.APPLY_SNAPSHOT_CHUNK_RESULT_REJECT_SNAPSHOT)
	}
	if err != nil {
		return nil, fmt.Errorf("contract.ApplySnapshotChunk: %w", err)
	}
	return reply(abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT)
}

// applyRecords writes every complete record in the buffer, in one batch.
func (a *App) applyRecords(rs *restore, last bool) error {
	b := a.db.NewBatch()
	defer b.Close()
	set := func(k, v []byte) error { return b.Set(k, append([]byte{}, v...)) }
	for {
		h, enc, rest, ok, err := nextRecord(rs.buf)
		if err != nil {
			return fmt.Errorf("%w: %v", errRestore, err)
		}
		if !ok {
			break
		}
		if h <= rs.last || h > rs.meta.Height {
			return fmt.Errorf("%w: record of height %d after %d (snapshot height %d)", errRestore, h, rs.last, rs.meta.Height)
		}
		hash, leaves, err := replayRecord(rs.prev, h, enc)
		if err != nil {
			return fmt.Errorf("%w: %v", errRestore, err)
		}
		hb := binary.BigEndian.AppendUint64(nil, uint64(h))
		for _, l := range leaves {
			k, v, _ := splitLeaf(l)
			if err := set(k, v); err != nil {
				return err
			}
			a.absent.add(string(k))
			if !provable(string(k)) {
				continue
			}
			if err := set(append([]byte(wrotePfx), k...), hb); err != nil {
				return err
			}
		}
		if err := errors.Join(set(heightKey(blockPfx, h), enc), set(heightKey(hashPfx, h), hash), set(heightKey(hashPfx, h-1), rs.prev)); err != nil {
			return err
		}
		rs.prev, rs.last, rs.buf = hash, h, rest
	}
	if last && len(rs.buf) != 0 {
		return fmt.Errorf("%w: %d bytes after the last record", errRestore, len(rs.buf))
	}
	rs.buf = append([]byte(nil), rs.buf...) // let the applied bytes go
	return b.Write()
}

// nextRecord splits the first complete record off p; ok is false when p
// holds only part of one.
func nextRecord(p []byte) (height int64, enc, rest []byte, ok bool, err error) {
	if len(p) < 12 {
		return 0, nil, p, false, nil
	}
	height = int64(binary.BigEndian.Uint64(p))
	n := binary.BigEndian.Uint32(p[8:])
	if n > maxRecordLen || height < 1 {
		return 0, nil, nil, false, fmt.Errorf("record of height %d, %d bytes (limit %d)", height, n, maxRecordLen)
	}
	if uint64(len(p)-12) < uint64(n) {
		return 0, nil, p, false, nil
	}
	return height, p[12 : 12+n], p[12+n:], true, nil
}

// finishRestore checks the recomputed chain against the trusted app hash
// and only then writes the commit markers that make the state the node's.
func (a *App) finishRestore(rs *restore) error {
	// With no record the claimed first hash would be taken on trust: every
	// ledger has one (block 1 writes the genesis state).
	if rs.last == 0 {
		return fmt.Errorf("%w: no change set", errRestore)
	}
	if !bytes.Equal(rs.prev, rs.trusted) {
		return fmt.Errorf("%w: the change sets chain to app hash %X, the network's is %X", errRestore, rs.prev, rs.trusted)
	}
	b := a.db.NewBatch()
	defer b.Close()
	hb := binary.BigEndian.AppendUint64(nil, uint64(rs.meta.Height))
	for _, kv := range [][2][]byte{{[]byte(metaHeight), hb}, {[]byte(metaHash), rs.prev}, {[]byte(metaChainID), []byte(rs.meta.ChainID)}} {
		if err := b.Set(kv[0], kv[1]); err != nil {
			return err
		}
	}
	if err := b.WriteSync(); err != nil {
		return err
	}
	a.restoring = nil
	a.cmu.Lock()
	a.height, a.hash = rs.meta.Height, append([]byte(nil), rs.prev...)
	a.cmu.Unlock()
	chainID := rs.meta.ChainID
	a.chainID.Store(&chainID)
	return nil
}

// wipe empties the store (before or after a failed restore, never over a
// committed ledger: OfferSnapshot checks).
func (a *App) wipe() error {
	it, err := a.db.Iterator(nil, nil)
	if err != nil {
		return err
	}
	var keys [][]byte
	for ; it.Valid(); it.Next() {
		keys = append(keys, append([]byte(nil), it.Key()...))
	}
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		return err
	}
	b := a.db.NewBatch()
	defer b.Close()
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return b.Write()
}

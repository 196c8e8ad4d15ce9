package contract

import (
	"encoding/binary"
	"encoding/hex"

	dbm "github.com/cometbft/cometbft-db"
)

// stageBatch builds the one atomic batch Commit writes for a block: its
// staged state, the result index, the write heights of provable keys
// (proof.go), and this node's
// per-height records (change set and app hashes). FinalizeBlock builds it,
// so Commit, which CometBFT runs with the mempool locked (every CheckTx,
// gossiped or submitted, waits for it), only writes it. The result index
// is read here from committed state, which is what Commit would read: the
// block before is committed before this one executes.
func (a *App) stageBatch(p *block) (dbm.Batch, error) {
	b := a.db.NewBatch()
	ok := false
	defer func() {
		if !ok {
			b.Close()
		}
	}()
	for k, v := range p.staged { // order is irrelevant inside one batch
		if err := b.Set([]byte(k), v); err != nil {
			return nil, err
		}
	}
	indexed := map[string]bool{}
	for i := range p.results {
		r := &p.results[i]
		// The first committed result of a transaction stays its result: the
		// same bytes included again (a proposer may) execute as a repeat,
		// and must not overwrite what its submitter was told.
		k := resultsPfx + hex.EncodeToString(r.Hash)
		if indexed[k] {
			continue
		}
		indexed[k] = true
		if old, err := a.storedResult(r.Hash); err != nil {
			return nil, err
		} else if old != nil {
			continue
		}
		if err := b.Set([]byte(k), encodeResult(r)); err != nil {
			return nil, err
		}
	}
	hb := binary.BigEndian.AppendUint64(nil, uint64(p.height))
	for _, k := range p.changes.keys {
		if !provable(k) {
			continue
		}
		if err := b.Set([]byte(wrotePfx+k), hb); err != nil {
			return nil, err
		}
	}
	local := [][2][]byte{
		{[]byte(metaHeight), hb}, {[]byte(metaHash), p.hash}, {[]byte(metaChainID), []byte(a.ChainID())},
		{heightKey(blockPfx, p.height), p.changes.enc}, {heightKey(hashPfx, p.height), p.hash},
		{heightKey(hashPfx, p.height-1), append([]byte{}, p.prev...)},
	}
	for _, kv := range local {
		if err := b.Set(kv[0], kv[1]); err != nil {
			return nil, err
		}
	}
	ok = true
	return b, nil
}

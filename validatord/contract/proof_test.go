package contract

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
)

// TestProofs proves committed records against the app hash of the block
// that wrote them, and refuses a changed value or another hash.
func TestProofs(t *testing.T) {
	w := newWorld(t)
	hashes := map[int64][]byte{}
	record := func() {
		h, hash := w.app.LastCommit()
		hashes[h] = hash
	}
	record()
	before, _ := w.app.LastCommit()
	w.mustOK(w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1")))
	record()
	w.block() // a later block that writes nothing: the hash stays
	record()
	for _, path := range []string{"/token/tok-a", "/copy/job-1", "/title/film-1", "/station/" + w.stA.id} {
		t.Run(path, func(t *testing.T) {
			r, err := w.app.Query(context.Background(), &abci.QueryRequest{Path: path, Prove: true})
			if err != nil || r.Code != 0 || r.ProofOps == nil || len(r.ProofOps.Ops) != 1 {
				t.Fatalf("Query(%s, prove) = %+v, %v, want a record with one proof", path, r, err)
			}
			op := r.ProofOps.Ops[0]
			var p Proof
			if err := json.Unmarshal(op.Data, &p); err != nil || op.Type != ProofOpType {
				t.Fatalf("proof op = %s %s (%v)", op.Type, op.Data, err)
			}
			key, _ := StateKey(path)
			appHash := hashes[r.Height]
			if appHash == nil {
				// Written in an early block of newWorld: take the stored hash.
				appHash, _ = w.db.Get(heightKey(hashPfx, r.Height))
			}
			if err := p.Verify(appHash, key, r.Value); err != nil {
				t.Fatalf("Verify() = %v, want nil", err)
			}
			changed := append([]byte(nil), r.Value...)
			changed[len(changed)-2] ^= 1
			if err := p.Verify(appHash, key, changed); !errors.Is(err, ErrProof) {
				t.Errorf("Verify(changed value) = %v, want %v", err, ErrProof)
			}
			if err := p.Verify(hashes[before], key, r.Value); r.Height != before && !errors.Is(err, ErrProof) {
				t.Errorf("Verify(another block's hash) = %v, want %v", err, ErrProof)
			}
		})
	}
}

// TestWriteHeightsOnlyForProvableKeys: a node keeps the last write height
// (w/<key>) of every key a record query can prove, and of no other key: a
// spend's index keys (x/...) had one each, written at every commit for a
// proof no query can ask for.
func TestWriteHeightsOnlyForProvableKeys(t *testing.T) {
	w := newWorld(t)
	w.mustOK(w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1")))
	for _, k := range []string{keyByOwner(w.stA.id, "tok-a"), keyByStation(w.stA.id, "job-1")} {
		if p, _ := w.db.Get([]byte(k)); p == nil {
			t.Fatalf("state key %s is not written", k)
		}
		if p, _ := w.db.Get([]byte(wrotePfx + k)); p != nil {
			t.Errorf("write height of index key %s is kept (%x), want none", k, p)
		}
	}
	for _, path := range []string{"/token/tok-a", "/copy/job-1", "/title/film-1", "/station/" + w.stA.id} {
		k, _ := StateKey(path)
		if p, _ := w.db.Get([]byte(wrotePfx + k)); len(p) != 8 {
			t.Errorf("write height of %s = %x, want 8 bytes", k, p)
		}
	}
}

// TestProvable: the keys of every record path are provable, index and
// replay keys are not.
func TestProvable(t *testing.T) {
	for _, r := range recordPaths {
		if k, _ := StateKey(r.path + "x"); !provable(k) {
			t.Errorf("provable(%q) = false, want true (path %s)", k, r.path)
		}
	}
	for _, k := range []string{keyByOwner("o", "t"), keyByStation("s", "j"), keyNonce("n"), keyNonceUsed("n", 1), keyReport([]byte{1}), keyParams} {
		if provable(k) {
			t.Errorf("provable(%q) = true, want false", k)
		}
	}
}

package contract

import (
	"bytes"
	"fmt"
	"sync/atomic"
	"testing"

	dbm "github.com/cometbft/cometbft-db"

	"copystation/protocol"
)

// TestAbsentKeyLookups: a first spend reads no copy record from the store
// (the job has none, and the filter knows it); a repeat of the spend in a
// later block reads it and gets the same receipt, on this node and on the
// same store reopened (the filter is rebuilt from the store).
func TestAbsentKeyLookups(t *testing.T) {
	w := newWorld(t)
	db := &readCountingDB{DB: w.db}
	w.app.db = db
	tx := w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1"))
	db.copyReads.Store(0) // building the request queried the job
	first := w.mustOK(tx)
	if n := db.copyReads.Load(); n != 0 {
		t.Errorf("a first spend read %d copy records from the store, want 0", n)
	}
	again := w.mustOK(tx)
	if n := db.copyReads.Load(); n == 0 {
		t.Error("a repeat spend read no copy record from the store")
	}
	if !bytes.Equal(again.Data, first.Data) {
		t.Errorf("repeat receipt = %s, want %s", again.Data, first.Data)
	}
	re, err := New(w.db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.app = re
	if r := w.mustOK(tx); !bytes.Equal(r.Data, first.Data) {
		t.Errorf("repeat receipt after restart = %s, want %s", r.Data, first.Data)
	}
	// A report once recorded is refused again after the restart: its
	// replay marker (d/) is found past the filter.
	rep := w.reportTx(w.stA, "job-1", "m1", protocol.OutcomeMade)
	w.mustOK(rep)
	if re, err = New(w.db, Options{}); err != nil {
		t.Fatal(err)
	}
	w.app = re
	if r := w.one(rep); Code(r.Code) != CodeReportReplayed {
		t.Errorf("report again after restart = %d %s, want %d", r.Code, r.Log, CodeReportReplayed)
	}
}

// TestFiltersLoadInOnePass: opening a store reads the result, copy and
// report keys once each to build the filters (twice before: to size, then
// to fill), and the filters know what it holds.
func TestFiltersLoadInOnePass(t *testing.T) {
	w := newWorld(t)
	tx := w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1"))
	w.mustOK(tx)
	w.mustOK(w.reportTx(w.stA, "job-1", "m1", protocol.OutcomeMade))
	db := &readCountingDB{DB: w.db}
	re, err := New(db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range append(absentPfx[:], resultsPfx) {
		n := int64(0)
		if c, ok := db.scans.Load(p); ok {
			n = c.(*atomic.Int64).Load()
		}
		if n != 1 {
			t.Errorf("New() read the keys under %q %d times, want 1", p, n)
		}
	}
	if !re.absent.mayHold(keyCopy("job-1")) {
		t.Errorf("absent.mayHold(%s) = false after New", keyCopy("job-1"))
	}
	if _, ok := re.Result(Hash(tx)); !ok {
		t.Error("Result(spend) not found after New")
	}
}

// TestKeyFilterFull: with every bit set, every filtered key is looked up
// in the store, and outcomes are the same.
func TestKeyFilterFull(t *testing.T) {
	w := newWorld(t)
	fillBloom(w.app.absent.scalableBloom)
	tx := w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1"))
	first := w.mustOK(tx)
	if again := w.mustOK(tx); !bytes.Equal(again.Data, first.Data) {
		t.Errorf("repeat receipt = %s, want %s", again.Data, first.Data)
	}
}

// TestKeyFilterMembers: every key added is maybe held; keys outside the
// filtered prefixes are always maybe held; few others are.
func TestKeyFilterMembers(t *testing.T) {
	f, err := loadKeyFilter(dbm.NewMemDB())
	if err != nil {
		t.Fatal(err)
	}
	const n = 100_000
	for i := range n {
		f.add(keyCopy(fmt.Sprintf("job-%d", i)))
	}
	for i := range n {
		if k := keyCopy(fmt.Sprintf("job-%d", i)); !f.mayHold(k) {
			t.Fatalf("mayHold(%s) = false after add", k)
		}
	}
	fp := 0
	for i := range n {
		if f.mayHold(keyReport([]byte(fmt.Sprint(i)))) {
			fp++
		}
	}
	if fp > n/1000 {
		t.Errorf("false positives = %d of %d, want at most 0.1 %%", fp, n)
	}
	for _, k := range []string{keyToken("never"), keyTitle("never"), keyByStation("s", "j")} {
		if !f.mayHold(k) {
			t.Errorf("mayHold(%s) = false for a key the filter does not cover", k)
		}
	}
}

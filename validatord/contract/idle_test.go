package contract

import (
	"bytes"
	"testing"
)

// TestEmptyBlockKeepsHash: a block that writes nothing (no transactions,
// or only refused ones) leaves the app hash as it was, so CometBFT needs no
// proof block after it and an idle network stops making blocks; a block
// that writes moves the hash.
func TestEmptyBlockKeepsHash(t *testing.T) {
	w := newWorld(t)
	_, before := w.app.LastCommit()
	w.block()
	w.block([]byte("junk")) // refused: writes nothing
	if _, after := w.app.LastCommit(); !bytes.Equal(after, before) {
		t.Fatalf("app hash after two blocks that write nothing = %x, want %x (unchanged)", after, before)
	}
	w.mustOK(w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1")))
	if _, after := w.app.LastCommit(); bytes.Equal(after, before) {
		t.Fatalf("app hash after a spend = %x, unchanged; want a new hash", after)
	}
}

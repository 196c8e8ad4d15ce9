package embedded

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"copystation/validatord/contract"
)

// TestCompactStore compacts a node's contract store between minting and
// spending: the app hash and the token's record read the same, the spend
// then reads its token from a table and commits, and a second spend of the
// token is refused. A store closed with its node refuses to compact.
func TestCompactStore(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n, err := Start(ctx, t.TempDir(), Options{})
	if err != nil {
		t.Fatalf("Start() = %v", err)
	}
	defer n.Stop() // a second Stop finds everything stopped
	st := newStation(t)
	setup(t, ctx, n, st)
	if err := n.Issuer.MintToken(ctx, "tok-c", "film-1", st.signPub); err != nil {
		t.Fatalf("MintToken() = %v", err)
	}
	var before contract.Token
	if err := n.Ledger.Query(ctx, "/token/tok-c", &before); err != nil {
		t.Fatal(err)
	}
	// The height is not compared: CometBFT may commit the empty block that
	// carries the minting's app hash meanwhile, which leaves the hash as it was.
	_, hash0 := n.App.LastCommit()
	if err := n.App.CompactStore(); err != nil {
		t.Fatalf("CompactStore() = %v", err)
	}
	_, hash1 := n.App.LastCommit()
	var after contract.Token
	if err := n.Ledger.Query(ctx, "/token/tok-c", &after); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(hash1, hash0) || !reflect.DeepEqual(after, before) || after.State != contract.TokenUnspent {
		t.Fatalf("after CompactStore: hash %x token %+v; want %x, %+v", hash1, after, hash0, before)
	}
	req, sig := st.request(t, "job-c", "tok-c", "media-c")
	if _, err := n.Ledger.Spend(ctx, st.signPub, req, sig); err != nil {
		t.Fatalf("Spend() after CompactStore = %v", err)
	}
	req2, sig2 := st.request(t, "job-c2", "tok-c", "media-c2")
	if _, err := n.Ledger.Spend(ctx, st.signPub, req2, sig2); !errors.Is(err, contract.CodeTokenSpent) {
		t.Fatalf("second Spend() = %v, want %v", err, contract.CodeTokenSpent)
	}
	if err := n.App.CompactStore(); err != nil {
		t.Fatalf("CompactStore() after spends = %v", err)
	}
	n.Stop()
	if err := n.App.CompactStore(); err == nil {
		t.Fatal("CompactStore() on a stopped node = nil, want an error")
	}
}

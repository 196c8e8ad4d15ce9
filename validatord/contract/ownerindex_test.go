package contract

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
)

// TestOwnerIndex: through mints, transfers (away, back, to oneself, of a
// spent token: refused) and spends, the owner index agrees with a scan of
// every token record, and /tokens/owner/ID answers from it.
func TestOwnerIndex(t *testing.T) {
	w := newWorld(t)
	bob := newParty(t)
	w.mint("tok-d", "film-1", w.customer)
	w.mint("tok-e", "film-2", w.customer)
	checkOwnerIndex(t, w)
	w.mustOK(w.gov(w.customer, TxTransferToken, TransferTokenBody{ID: "tok-d", NewOwner: bob.pub}))
	w.mustOK(w.gov(w.customer, TxTransferToken, TransferTokenBody{ID: "tok-e", NewOwner: w.customer.pub}))
	checkOwnerIndex(t, w)
	req := w.request("job-c", "tok-c", "film-1", 0x41, "m1")
	req.CustomerGrant = w.grant(w.customer, "tok-c", w.stA.id, "film-1", w.now.Unix()+60)
	w.mustOK(w.spendTx(w.stA, req))
	w.mustOK(w.spendTx(w.stA, w.request("job-a", "tok-a", "film-1", 0x41, "m2")))
	checkOwnerIndex(t, w)
	w.mustOK(w.gov(bob, TxTransferToken, TransferTokenBody{ID: "tok-d", NewOwner: w.customer.pub}))
	if r := w.one(w.gov(w.customer, TxTransferToken, TransferTokenBody{ID: "tok-c", NewOwner: bob.pub})); Code(r.Code) != CodeTokenSpent {
		t.Fatalf("transfer of a spent token = %d %s, want token-spent", r.Code, r.Log)
	}
	checkOwnerIndex(t, w)
	tests := []struct {
		owner string
		want  []string // ID:state
	}{
		{w.customer.id, []string{"tok-c:spent", "tok-d:unspent", "tok-e:unspent"}},
		{bob.id, nil},
		{w.stA.id, []string{"tok-a:spent"}},
		{"no-such-owner", nil},
	}
	for _, tt := range tests {
		resp, err := w.app.Query(context.Background(), &abci.QueryRequest{Path: "/tokens/owner/" + tt.owner})
		if err != nil || Code(resp.Code) != OK {
			t.Fatalf("Query(/tokens/owner/%s) = %v, %v", tt.owner, resp, err)
		}
		var toks []Token
		if err := json.Unmarshal(resp.Value, &toks); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, tok := range toks {
			got = append(got, tok.ID+":"+tok.State)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("/tokens/owner/%s = %v, want %v", tt.owner, got, tt.want)
		}
	}
}

// checkOwnerIndex compares the owner index with a scan of every token: each
// token has exactly one live entry, under its owner, with its state.
func checkOwnerIndex(t *testing.T, w *world) {
	t.Helper()
	scan := func(pfx string) map[string]string {
		end := []byte(pfx)
		end[len(end)-1]++
		it, err := w.db.Iterator([]byte(pfx), end)
		if err != nil {
			t.Fatal(err)
		}
		defer it.Close()
		m := map[string]string{}
		for ; it.Valid(); it.Next() {
			m[strings.TrimPrefix(string(it.Key()), pfx)] = string(it.Value())
		}
		return m
	}
	live := map[string]string{} // owner/token -> state
	for k, v := range scan("x/o/") {
		if v != indexGone {
			live[k] = v
		}
	}
	byOwner := map[string][]string{}
	for id, js := range scan("k/") {
		var tok Token
		if err := json.Unmarshal([]byte(js), &tok); err != nil {
			t.Fatal(err)
		}
		k := tok.OwnerID + "/" + id
		if live[k] != tok.State {
			t.Errorf("index entry %s = %q, want the token's state %q", k, live[k], tok.State)
		}
		delete(live, k)
		byOwner[tok.OwnerID] = append(byOwner[tok.OwnerID], id)
	}
	for k, v := range live {
		t.Errorf("index entry %s = %q names no token its owner holds", k, v)
	}
	for owner, ids := range byOwner {
		slices.Sort(ids)
		toks, err := w.app.OwnerTokens(owner, MaxOwnerTokens)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, tok := range toks {
			got = append(got, tok.ID)
		}
		if !slices.Equal(got, ids) {
			t.Errorf("OwnerTokens(%s) = %v, want %v", owner, got, ids)
		}
	}
}

package wallet

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"testing"
	"time"

	"copystation/validatord/contract"
	"copystation/wallet/wallettest"
)

// TestRegisterAndTokens: against a real node, a wallet registers its owner
// identity once (a second time is refused as already registered), its user
// ID is the KeyID of its key, and `Tokens` lists, with proofs, exactly the
// tokens it holds through mints and a transfer.
func TestRegisterAndTokens(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	nw := wallettest.Network(ctx, t, dir)
	l := nw.Node.Ledger
	alice, bob := aliceAndBob(t, dir)
	if _, err := alice.Registered(ctx, l); !errors.Is(err, contract.ErrNotFound) {
		t.Fatalf("Registered before registering = %v, want ErrNotFound", err)
	}
	if _, err := alice.Register(ctx, l, rand.Reader); err != nil {
		t.Fatal(err)
	}
	o, err := alice.Registered(ctx, l)
	if err != nil || o.ID != alice.OwnerID() || string(o.Key) != string(alice.PublicKey()) {
		t.Fatalf("Registered = %+v, %v; want alice's key under %s", o, err, alice.OwnerID())
	}
	if _, err := alice.Register(ctx, l, rand.Reader); !errors.Is(err, ErrAlreadyRegistered) {
		t.Errorf("second Register = %v, want ErrAlreadyRegistered", err)
	}
	for _, id := range []string{"tok-1", "tok-2", "tok-3"} {
		if err := nw.Mint(ctx, id, "film", alice.PublicKey()); err != nil {
			t.Fatal(err)
		}
	}
	if err := alice.Transfer(ctx, l, rand.Reader, "tok-2", bob.PublicKey()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		w    *Wallet
		want []string
	}{
		{"alice", alice, []string{"tok-1", "tok-3"}},
		{"bob", bob, []string{"tok-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			toks, err := tt.w.Tokens(ctx, l)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tv := range toks {
				if !tv.Mine || tv.Proved == nil || tv.State != contract.TokenUnspent {
					t.Errorf("token %s = %+v, want mine, proved, unspent", tv.ID, tv)
				}
				got = append(got, tv.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Tokens = %v, want %v", got, tt.want)
			}
		})
	}
}

package genesis

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"sync"
	"testing"
	"time"

	"copystation/custody"
)

// TestReshareTitleExchange: a title dealt by its issuer to {a, b} (t=2) is
// reshared to {b, c, d} (t=2) with each party in its own goroutine sharing
// only the exchange directory: every party sees the same blobs and roots
// in new order, and each new node's blob opens under its custody key at
// its new index against its root.
func TestReshareTitleExchange(t *testing.T) {
	f := newGroupFixture(t)
	var cks []*ecdh.PrivateKey
	for range 4 {
		k, err := ecdh.X25519().GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		cks = append(cks, k)
	}
	title := custody.Title{ChainID: "net", TitleID: "film-1", Segments: 2}
	dealt, err := custody.Deal(title, 2, []*ecdh.PublicKey{cks[0].PublicKey(), cks[1].PublicKey()})
	if err != nil {
		t.Fatal(err)
	}
	cfg := custody.TitleReshareConfig{Title: title, OldThreshold: 2, NewThreshold: 2, Nonce: make([]byte, 32)}
	rand.Read(cfg.Nonce)
	for _, k := range f.keys[:2] {
		p, _ := custody.ParseDKGPublic(k.Public())
		cfg.OldNodes = append(cfg.OldNodes, p)
	}
	for _, k := range cks[1:] {
		cfg.NewCustody = append(cfg.NewCustody, k.PublicKey())
	}
	parties := ReshareParties(f.old, f.session)
	order := NewOrder(parties, f.session)
	if len(order) != 3 || order[0] != 1 || order[1] != 2 || order[2] != 3 {
		t.Fatalf("NewOrder() = %v, want [1 2 3]", order)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	outs := make([]*TitleOutcome, 4)
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for p := range 4 {
		r := TitleReshare{Config: cfg, Index: 0, Parties: parties, OldIdx: -1, NewIdx: p - 1, NewOrder: order,
			Key: f.keys[p], Custody: cks[p], Exchange: dir, Poll: 10 * time.Millisecond}
		if p < 2 {
			r.OldIdx, r.Blob, r.Root = p, dealt.Blobs[p], dealt.Roots[p]
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[p], errs[p] = ReshareTitle(ctx, r)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("ReshareTitle() = %v", err)
	}
	for p := 1; p < 4; p++ {
		for j := range 3 {
			if outs[p].Roots[j] != outs[0].Roots[j] || string(outs[p].Blobs[j]) != string(outs[0].Blobs[j]) {
				t.Errorf("party %d sees new node %d's shares differently from party 0", p, j)
			}
		}
	}
	for j := range 3 {
		ts, err := custody.OpenShares(cks[j+1], title, j, outs[0].Blobs[j], outs[0].Roots[j])
		if err != nil {
			t.Errorf("OpenShares(new node %d) = %v", j, err)
			continue
		}
		ts.Wipe()
	}
}

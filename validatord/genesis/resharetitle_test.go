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
	tf := newTitleFixture(t, f, 2)
	cks, title := tf.cks, tf.title
	if order := tf.order; len(order) != 3 || order[0] != 1 || order[1] != 2 || order[2] != 3 {
		t.Fatalf("NewOrder() = %v, want [1 2 3]", order)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	outs := make([]*TitleOutcome, 4)
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for p := range 4 {
		r := tf.party(f, p, dir)
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

// titleFixture is a title of the group fixture's session: dealt by its
// issuer to the old set {a, b} (t=2), to be reshared to {b, c, d} (t=2);
// cks are the four parties' custody keys.
type titleFixture struct {
	cks     []*ecdh.PrivateKey
	title   custody.Title
	dealt   *custody.Dealt
	cfg     custody.TitleReshareConfig
	parties [][]byte
	order   []int
}

func newTitleFixture(t *testing.T, f *groupFixture, segments int) *titleFixture {
	t.Helper()
	tf := &titleFixture{title: custody.Title{ChainID: "net", TitleID: "film-1", Segments: segments}}
	for range 4 {
		k, err := ecdh.X25519().GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tf.cks = append(tf.cks, k)
	}
	var err error
	if tf.dealt, err = custody.Deal(tf.title, 2, []*ecdh.PublicKey{tf.cks[0].PublicKey(), tf.cks[1].PublicKey()}); err != nil {
		t.Fatal(err)
	}
	tf.cfg = custody.TitleReshareConfig{Title: tf.title, OldThreshold: 2, NewThreshold: 2, Nonce: make([]byte, 32)}
	rand.Read(tf.cfg.Nonce)
	for _, k := range f.keys[:2] {
		p, _ := custody.ParseDKGPublic(k.Public())
		tf.cfg.OldNodes = append(tf.cfg.OldNodes, p)
	}
	for _, k := range tf.cks[1:] {
		tf.cfg.NewCustody = append(tf.cfg.NewCustody, k.PublicKey())
	}
	tf.parties = ReshareParties(f.old, f.session)
	tf.order = NewOrder(tf.parties, f.session)
	return tf
}

// party is party p's title phase through dir: an old node (p < 2) deals
// from its issuer's blob.
func (tf *titleFixture) party(f *groupFixture, p int, dir string) TitleReshare {
	r := TitleReshare{Config: tf.cfg, Index: 0, Parties: tf.parties, OldIdx: -1, NewIdx: p - 1, NewOrder: tf.order,
		Key: f.keys[p], Custody: tf.cks[p], Exchange: dir, Poll: 10 * time.Millisecond}
	if p < 2 {
		r.OldIdx, r.Blob, r.Root = p, tf.dealt.Blobs[p], tf.dealt.Roots[p]
	}
	return r
}

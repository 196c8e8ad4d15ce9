package contract

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/json"
	"errors"
	"testing"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"

	"copystation/custody"
)

// dealWorld is a chain whose genesis has four custody nodes with known
// custody keys, and an issuer's deal of a three-segment title to them.
type dealWorld struct {
	*chain
	op, issuer *party
	privs      []*ecdh.PrivateKey
	title      Title
	dealt      *custody.Dealt
}

func newDealWorld(t *testing.T) *dealWorld {
	t.Helper()
	c := ceremonyOutcome(t, 4, 2)
	w := &dealWorld{op: newParty(t), issuer: newParty(t)}
	var pubs []*ecdh.PublicKey
	for i := range c.Nodes {
		k, _ := ecdh.X25519().GenerateKey(rand.Reader)
		w.privs, pubs = append(w.privs, k), append(pubs, k.PublicKey())
		c.Nodes[i].CustodyKey = k.PublicKey().Bytes()
	}
	w.chain = newChain(t, dbm.NewMemDB(), Genesis{Operators: [][]byte{w.op.pub},
		Issuers: []Issuer{{Key: w.issuer.pub, Name: "Studio"}}, Custody: c})
	w.title = testTitle("film-d")
	d, err := custody.Deal(custody.Title{ChainID: testChain, TitleID: "film-d", Segments: len(w.title.Segments)}, 2, pubs)
	if err != nil {
		t.Fatal(err)
	}
	d.Keys.Wipe()
	w.dealt = d
	for _, r := range d.Roots {
		w.title.ShareRoots = append(w.title.ShareRoots, bytes.Clone(r[:]))
	}
	return w
}

func (w *dealWorld) body() RegisterTitleBody {
	ti := w.title
	ti.ShareRoots = append([][]byte(nil), w.title.ShareRoots...)
	return RegisterTitleBody{Title: ti, Shares: append([][]byte(nil), w.dealt.Blobs...)}
}

// TestDealtRegistration: a title registered with dealt shares keeps its
// roots in the record and each node's sealed shares apart, served by
// TitleShares; what the contract can check without a node's key (one root
// and one blob of the exact size per custody node) is refused otherwise.
func TestDealtRegistration(t *testing.T) {
	tests := []struct {
		name string
		edit func(*RegisterTitleBody)
		want Code
	}{
		{"as dealt", func(*RegisterTitleBody) {}, OK},
		{"a node's shares missing", func(b *RegisterTitleBody) { b.Shares = b.Shares[:3] }, CodeBadField},
		{"a root missing", func(b *RegisterTitleBody) { b.Title.ShareRoots = b.Title.ShareRoots[:3] }, CodeBadField},
		{"short blob", func(b *RegisterTitleBody) { b.Shares[2] = b.Shares[2][:100] }, CodeBadField},
		{"short root", func(b *RegisterTitleBody) { b.Title.ShareRoots[1] = b.Title.ShareRoots[1][:31] }, CodeBadField},
		{"shares without roots", func(b *RegisterTitleBody) { b.Title.ShareRoots = nil }, CodeBadField},
		{"no deal", func(b *RegisterTitleBody) { b.Title.ShareRoots, b.Shares = nil, nil }, CodeBadField},
		{"no segments", func(b *RegisterTitleBody) { b.Title.Segments = nil }, CodeBadField},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newDealWorld(t)
			b := w.body()
			tc.edit(&b)
			r := w.one(w.gov(w.issuer, TxRegisterTitle, b))
			if Code(r.Code) != tc.want {
				t.Fatalf("register(%s) = %d %s, want %d", tc.name, r.Code, r.Log, tc.want)
			}
			if tc.want != OK {
				if _, err := w.app.TitleShares("film-d", 0); !errors.Is(err, ErrNotFound) {
					t.Errorf("TitleShares after a refusal = %v, want ErrNotFound", err)
				}
				return
			}
			ti, err := w.app.Title("film-d")
			if err != nil || len(ti.ShareRoots) != 4 || !bytes.Equal(ti.ShareRoots[3], w.dealt.Roots[3][:]) {
				t.Fatalf("Title(film-d) = %+v, %v; want the four roots", ti, err)
			}
			for i := range 4 {
				blob, err := w.app.TitleShares("film-d", i)
				if err != nil || !bytes.Equal(blob, w.dealt.Blobs[i]) {
					t.Errorf("TitleShares(film-d, %d) = %d bytes, %v; want node %d's blob", i, len(blob), err, i)
				}
			}
			var q []byte
			res, _ := w.app.Query(context.Background(), &abci.QueryRequest{Path: "/title-shares/film-d/2"})
			if err := json.Unmarshal(res.Value, &q); err != nil || !bytes.Equal(q, w.dealt.Blobs[2]) {
				t.Errorf("Query(/title-shares/film-d/2) = %d bytes, %v; want node 2's blob", len(q), err)
			}
		})
	}
}

// sharesChecker is a node's own check, as keyservice.Custodian makes it:
// open its blob with its custody key against its root.
type sharesChecker struct {
	node int
	key  *ecdh.PrivateKey
}

func (s sharesChecker) CheckDeal(chainID string, _ *Custody, t *Title, shares [][]byte) error {
	ts, err := custody.OpenShares(s.key, custody.Title{ChainID: chainID, TitleID: t.ID, Segments: len(t.Segments)},
		s.node, shares[s.node], [32]byte(t.ShareRoots[s.node]))
	if err != nil {
		return err
	}
	ts.Wipe()
	return nil
}

// TestCheckTxBadDeal: a node whose own blob does not open or does not match
// its root refuses the registration in CheckTx with bad-deal; another
// node's bad blob is not its to judge.
func TestCheckTxBadDeal(t *testing.T) {
	w := newDealWorld(t)
	w.block()
	check := func(node int, b RegisterTitleBody) Code {
		app, err := New(w.db, Options{DealChecker: sharesChecker{node, w.privs[node]}})
		if err != nil {
			t.Fatal(err)
		}
		r, _ := app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: w.gov(w.issuer, TxRegisterTitle, b)})
		return Code(r.Code)
	}
	if got := check(1, w.body()); got != OK {
		t.Fatalf("CheckTx(as dealt) = %d, want OK", got)
	}
	bad := w.body()
	bad.Shares[1], bad.Shares[2] = bad.Shares[2], bad.Shares[1] // node 1 gets node 2's blob
	if got := check(1, bad); got != CodeBadDeal {
		t.Errorf("CheckTx(node 1, another node's blob) = %d, want %d (bad-deal)", got, CodeBadDeal)
	}
	if got := check(0, bad); got != OK {
		t.Errorf("CheckTx(node 0, its own blob intact) = %d, want OK", got)
	}
	wrongRoot := w.body()
	wrongRoot.Title.ShareRoots[3] = bytes.Repeat([]byte{7}, 32)
	if got := check(3, wrongRoot); got != CodeBadDeal {
		t.Errorf("CheckTx(node 3, wrong root) = %d, want %d (bad-deal)", got, CodeBadDeal)
	}
}

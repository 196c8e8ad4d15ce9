package keyservice

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"testing"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"

	"copystation/custody"
	"copystation/keys"
	"copystation/protocol"
	"copystation/validatord/contract"
)

const testChain = "chain-k"

// dealFixture: four custody nodes with known keys, node 1's custodian, and
// an issuer's deal of a two-segment title to them.
func dealFixture(t testing.TB) (*Custodian, *contract.Custody, *contract.Title, *custody.Dealt) {
	t.Helper()
	c, _, cks := fourNodes(t)
	mine, err := NewCustodian(cks[1].Bytes())
	if err != nil {
		t.Fatal(err)
	}
	ti := &contract.Title{ID: "film-k", Issuer: "issuer-x", Segments: []contract.Segment{{StartSector: 1, Sectors: 1}, {StartSector: 5, Sectors: 2}}}
	return mine, c, ti, dealTitle(t, ti, cks)
}

// fourNodes is four custody nodes (t = 2): a real group from an
// in-process ceremony, so the contract takes this custody in genesis, and
// each node's custody key.
func fourNodes(t testing.TB) (*contract.Custody, []*custody.DKGResult, []*ecdh.PrivateKey) {
	t.Helper()
	c := &contract.Custody{Threshold: 2}
	cc := custody.CeremonyConfig{Threshold: 2, Nonce: make([]byte, 32)}
	var dkg []*custody.DKGKey
	for range 4 {
		k := custody.NewDKGKey()
		p, err := custody.ParseDKGPublic(k.Public())
		if err != nil {
			t.Fatal(err)
		}
		dkg, cc.Nodes = append(dkg, k), append(cc.Nodes, p)
	}
	res, err := custody.RunInProcess(cc, dkg)
	if err != nil {
		t.Fatal(err)
	}
	c.Group, _ = res[0].Group.MarshalBinary()
	var cks []*ecdh.PrivateKey
	for i := range 4 {
		k, _ := ecdh.X25519().GenerateKey(rand.Reader)
		cks = append(cks, k)
		c.Nodes = append(c.Nodes, contract.CustodyNode{Name: "node", CustodyKey: k.PublicKey().Bytes(), DKGKey: dkg[i].Public()})
	}
	return c, res, cks
}

// dealTitle is the issuer's deal of ti (its segment count) to the nodes'
// custody keys (t = 2), its roots set on ti; the title keys are wiped.
func dealTitle(t testing.TB, ti *contract.Title, cks []*ecdh.PrivateKey) *custody.Dealt {
	t.Helper()
	var pubs []*ecdh.PublicKey
	for _, k := range cks {
		pubs = append(pubs, k.PublicKey())
	}
	d, err := custody.Deal(custody.Title{ChainID: testChain, TitleID: ti.ID, Segments: len(ti.Segments)}, 2, pubs)
	if err != nil {
		t.Fatal(err)
	}
	d.Keys.Wipe()
	for _, r := range d.Roots {
		ti.ShareRoots = append(ti.ShareRoots, bytes.Clone(r[:]))
	}
	return d
}

// TestCustodianCheckDeal: a node accepts its sound share of a deal and
// names the issuer when its own share is missing, garbled or for another
// root; a node not in the genesis custody list, or a title without shares,
// is its own error.
func TestCustodianCheckDeal(t *testing.T) {
	cu, c, ti, d := dealFixture(t)
	if err := cu.CheckDeal(testChain, c, ti, d.Blobs); err != nil {
		t.Fatalf("CheckDeal(sound) = %v", err)
	}
	garbled := append([][]byte(nil), d.Blobs...)
	garbled[1] = bytes.Clone(garbled[1])
	garbled[1][70] ^= 1
	wrongRoot := *ti
	wrongRoot.ShareRoots = append([][]byte(nil), ti.ShareRoots...)
	wrongRoot.ShareRoots[1] = ti.ShareRoots[2]
	shortRoot := *ti
	shortRoot.ShareRoots = [][]byte{ti.ShareRoots[0], ti.ShareRoots[1][:5]}
	tests := []struct {
		name   string
		chain  string
		ti     *contract.Title
		shares [][]byte
		want   error
	}{
		{"own blob garbled", testChain, ti, garbled, custody.ErrBadDeal},
		{"own blob missing", testChain, ti, d.Blobs[:1], custody.ErrBadDeal},
		{"another node's root", testChain, &wrongRoot, d.Blobs, custody.ErrBadDeal},
		{"short root", testChain, &shortRoot, d.Blobs, custody.ErrBadDeal},
		{"another chain", "chain-other", ti, d.Blobs, custody.ErrBadDeal},
		{"not dealt", testChain, &contract.Title{ID: "film-k"}, nil, ErrNotDealt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := cu.CheckDeal(tc.chain, c, tc.ti, tc.shares)
			if !errors.Is(err, tc.want) {
				t.Fatalf("CheckDeal(%s) = %v, want %v", tc.name, err, tc.want)
			}
			if tc.want == custody.ErrBadDeal && !bytes.Contains([]byte(err.Error()), []byte("the issuer issuer-x dealt badly to node 1")) {
				t.Errorf("CheckDeal(%s) = %q, want it to name the issuer and the node", tc.name, err)
			}
		})
	}
	other, _ := ecdh.X25519().GenerateKey(rand.Reader)
	stranger, _ := NewCustodian(other.Bytes())
	if err := stranger.CheckDeal(testChain, c, ti, d.Blobs); !errors.Is(err, ErrNotCustodian) {
		t.Errorf("CheckDeal(not a custody node) = %v, want ErrNotCustodian", err)
	}
}

// FuzzCheckDealTx feeds arbitrary registration bodies, signed by an issuer,
// to a contract whose node checks deals with a real Custodian in CheckTx:
// never a panic or an error, only codes.
func FuzzCheckDealTx(f *testing.F) {
	cu, c, ti, d := dealFixture(f)
	good, _ := json.Marshal(contract.RegisterTitleBody{Title: *ti, Shares: d.Blobs})
	f.Add(good)
	f.Add([]byte(`{"title":{"id":"x","share_roots":["AA=="]},"shares":[]}`))
	f.Add([]byte(`{"title":{"id":"x","share_roots":[]},"shares":["AA==","AA=="]}`))
	app, err := contract.New(dbm.NewMemDB(), contract.Options{DealChecker: cu})
	if err != nil {
		f.Fatal(err)
	}
	op, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	opPub, _ := op.PublicKey.Bytes()
	gen, _ := json.Marshal(contract.Genesis{Operators: [][]byte{opPub}, Custody: c})
	if _, err := app.InitChain(context.Background(), &abci.InitChainRequest{ChainId: testChain, InitialHeight: 1, AppStateBytes: gen}); err != nil {
		f.Fatal(err)
	}
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub, _ := k.PublicKey.Bytes()
	f.Fuzz(func(t *testing.T, body []byte) {
		tx := &contract.Tx{Type: contract.TxRegisterTitle, Signer: pub, Nonce: 1, Body: body}
		tx.Sig, _ = protocol.Sign(rand.Reader, k, signed{tx})
		if r, _ := app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: tx.Marshal()}); bytes.Equal(body, good) && r.Code != uint32(contract.OK) {
			t.Fatalf("CheckTx(sound deal) = %d %s, want OK", r.Code, r.Log)
		}
		var b contract.RegisterTitleBody
		if json.Unmarshal(body, &b) == nil {
			cu.CheckDeal(testChain, c, &b.Title, b.Shares) // never a panic
		}
	})
}

// signed is a governance transaction as its signer signs it.
type signed struct{ t *contract.Tx }

func (s signed) SigningBytes() []byte { return s.t.SigningBytes(testChain) }

// BenchmarkReleaseShares: a node's whole round-2 answer for one copy of a
// 4,096-segment title dealt to 4 nodes (t = 2): open its sealed shares and
// check them against its root, verify σ_copy, select, encode, seal to the
// station. It reports the sealed release's size.
func BenchmarkReleaseShares(b *testing.B) {
	const segs = 4096
	c := &contract.Custody{Threshold: 2}
	cc := custody.CeremonyConfig{Threshold: 2, Nonce: make([]byte, 32)}
	var dkg []*custody.DKGKey
	var pubs []*ecdh.PublicKey
	var cu *Custodian
	for i := range 4 {
		k := custody.NewDKGKey()
		p, _ := custody.ParseDKGPublic(k.Public())
		dkg, cc.Nodes = append(dkg, k), append(cc.Nodes, p)
		x, _ := ecdh.X25519().GenerateKey(rand.Reader)
		pubs = append(pubs, x.PublicKey())
		c.Nodes = append(c.Nodes, contract.CustodyNode{Name: "n", CustodyKey: x.PublicKey().Bytes()})
		if i == 0 {
			cu, _ = NewCustodian(x.Bytes())
		}
	}
	res, err := custody.RunInProcess(cc, dkg)
	if err != nil {
		b.Fatal(err)
	}
	c.Group, _ = res[0].Group.MarshalBinary()
	ti := &contract.Title{ID: "film-b", Segments: make([]contract.Segment, segs)}
	d, err := custody.Deal(custody.Title{ChainID: testChain, TitleID: ti.ID, Segments: segs}, 2, pubs)
	if err != nil {
		b.Fatal(err)
	}
	d.Keys.Wipe()
	for _, r := range d.Roots {
		ti.ShareRoots = append(ti.ShareRoots, bytes.Clone(r[:]))
	}
	label, _ := custody.CopyRecord{ChainID: testChain, TitleID: ti.ID, JobID: "j", TokenID: "t", StationKeyID: "s"}.Label()
	var parts []custody.Partial
	for _, r := range res[:2] {
		p, _ := custody.PartialSign(r.Share, label)
		parts = append(parts, p)
	}
	sigma, _, err := custody.Combine(res[0].Group, label, parts)
	if err != nil {
		b.Fatal(err)
	}
	st, _ := ecdh.P256().GenerateKey(rand.Reader)
	info := keys.Info{JobID: "j", MediaID: []byte("m")}
	var size int
	for b.Loop() {
		sealed, err := cu.ReleaseShares(testChain, c, ti, d.Blobs[0], label, sigma, st.PublicKey(), info)
		if err != nil {
			b.Fatal(err)
		}
		size = len(sealed)
	}
	b.ReportMetric(float64(size), "B/sealed-release")
}

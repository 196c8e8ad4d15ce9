package contract

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"sync"
	"testing"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"

	"copystation/custody"
	"copystation/keys"
	"copystation/protocol"
)

const testChain = "copystation-test"

// chain drives an App directly through FinalizeBlock and Commit, the way
// CometBFT does, without networking.
type chain struct {
	t      *testing.T
	db     dbm.DB
	app    *App
	height int64
	now    time.Time
	nonces map[string]uint64
	blocks [][][]byte // every block run, for replays
	gen    Genesis
	// chainID is the network's; governance transactions are signed for it.
	chainID string
}

type party struct {
	key *ecdsa.PrivateKey
	pub []byte
	id  string
}

func newParty(t *testing.T) *party {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := k.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return &party{key: k, pub: pub, id: protocol.KeyID(pub)}
}

func newChain(t *testing.T, db dbm.DB, g Genesis) *chain {
	t.Helper()
	return newChainID(t, db, g, testChain)
}

// newChainID is newChain for a network with another chain ID.
func newChainID(t *testing.T, db dbm.DB, g Genesis, chainID string) *chain {
	t.Helper()
	app, err := New(db, Options{})
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	js, _ := json.Marshal(g)
	c := &chain{t: t, db: db, app: app, now: time.Unix(1_800_000_000, 0), nonces: map[string]uint64{}, gen: g, chainID: chainID}
	if _, err := app.InitChain(context.Background(), &abci.InitChainRequest{ChainId: chainID, InitialHeight: 1, AppStateBytes: js}); err != nil {
		t.Fatalf("InitChain() = %v", err)
	}
	return c
}

// block runs one block of transactions and commits it.
func (c *chain) block(txs ...[]byte) []*abci.ExecTxResult {
	c.t.Helper()
	c.height++
	c.blocks = append(c.blocks, txs)
	resp, err := c.app.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{Height: c.height, Time: c.now, Txs: txs})
	if err != nil {
		c.t.Fatalf("FinalizeBlock(%d) = %v", c.height, err)
	}
	if _, err := c.app.Commit(context.Background(), &abci.CommitRequest{}); err != nil {
		c.t.Fatalf("Commit(%d) = %v", c.height, err)
	}
	return resp.TxResults
}

// one runs a single transaction in its own block and returns its result.
func (c *chain) one(tx []byte) *abci.ExecTxResult {
	c.t.Helper()
	return c.block(tx)[0]
}

// gov builds a governance transaction with the signer's next nonce.
func (c *chain) gov(p *party, typ TxType, body any) []byte {
	c.t.Helper()
	c.nonces[p.id]++
	tx, err := NewTx(rand.Reader, p.key, p.pub, c.chainID, typ, c.nonces[p.id], body)
	if err != nil {
		c.t.Fatal(err)
	}
	return tx
}

// world is a chain with an operator, an issuer, one title, two stations and
// a few tokens.
type world struct {
	*chain
	op, issuer, stA, stB, kaA, customer *party
	// custody and custodyKeys are the genesis custody nodes and their
	// X25519 keys, which titles are dealt to.
	custody     *Custody
	custodyKeys []*ecdh.PublicKey
}

var (
	fmtBDR  = keys.FormatMetadata{Profile: 0x41, Layers: 1, Finalize: true, MaxSpeedX: 6, HeaderSectors: 32}
	fmtBDRE = keys.FormatMetadata{Profile: 0x43, Layers: 1, MaxSpeedX: 2, HeaderSectors: 32}
)

func testTitle(id string) Title {
	return Title{
		ID: id, Name: "A Film", ContentHash: make([]byte, 32),
		Formats:  []keys.FormatMetadata{fmtBDRE, fmtBDR},
		Segments: []Segment{{StartSector: 100, Sectors: 32}, {StartSector: 200, Sectors: 32}, {StartSector: 300, Sectors: 64}},
	}
}

// worldCustody is the custody nodes of every world's genesis: one genesis
// ceremony (4 nodes, t = 2) per test binary, as a DKG costs more than the
// worlds it would otherwise be run for.
var worldCustody struct {
	once sync.Once
	c    *Custody
	keys []*ecdh.PublicKey
	err  error
}

func sharedCustody(t testing.TB) (*Custody, []*ecdh.PublicKey) {
	t.Helper()
	worldCustody.once.Do(func() {
		cc := custody.CeremonyConfig{Threshold: 2, Nonce: make([]byte, 32)}
		rand.Read(cc.Nonce)
		var dks []*custody.DKGKey
		c := &Custody{Threshold: 2}
		for range 4 {
			k := custody.NewDKGKey()
			p, err := custody.ParseDKGPublic(k.Public())
			if err != nil {
				worldCustody.err = err
				return
			}
			x, _ := ecdh.X25519().GenerateKey(rand.Reader)
			dks, cc.Nodes = append(dks, k), append(cc.Nodes, p)
			c.Nodes = append(c.Nodes, CustodyNode{Name: "n", CustodyKey: x.PublicKey().Bytes(), DKGKey: k.Public()})
			worldCustody.keys = append(worldCustody.keys, x.PublicKey())
		}
		res, err := custody.RunInProcess(cc, dks)
		if err != nil {
			worldCustody.err = err
			return
		}
		c.Group, _ = res[0].Group.MarshalBinary()
		worldCustody.c = c
	})
	if worldCustody.err != nil {
		t.Fatalf("genesis ceremony for the test worlds: %v", worldCustody.err)
	}
	return worldCustody.c, worldCustody.keys
}

// dealt is a registration of ti as its issuer makes it: the title's keys
// dealt to the world's custody nodes for its chain, the roots in the
// title, each node's sealed shares beside it. A title without segments is
// sent without a deal (the contract refuses it).
func (w *world) dealt(ti Title) RegisterTitleBody {
	w.t.Helper()
	if len(ti.Segments) == 0 {
		return RegisterTitleBody{Title: ti}
	}
	d, err := custody.Deal(custody.Title{ChainID: w.chainID, TitleID: ti.ID, Segments: len(ti.Segments)}, w.custody.Threshold, w.custodyKeys)
	if err != nil {
		w.t.Fatal(err)
	}
	d.Keys.Wipe()
	ti.ShareRoots = nil
	for _, r := range d.Roots {
		ti.ShareRoots = append(ti.ShareRoots, bytes.Clone(r[:]))
	}
	return RegisterTitleBody{Title: ti, Shares: d.Blobs}
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{op: newParty(t), issuer: newParty(t), stA: newParty(t), stB: newParty(t), kaA: newParty(t), customer: newParty(t)}
	return w.build(t, testChain)
}

// twin is a world on another network (chain ID) with the same parties,
// titles, stations and tokens.
func (w *world) twin(t *testing.T, chainID string) *world {
	t.Helper()
	o := &world{op: w.op, issuer: w.issuer, stA: w.stA, stB: w.stB, kaA: w.kaA, customer: w.customer}
	return o.build(t, chainID)
}

func (w *world) build(t *testing.T, chainID string) *world {
	t.Helper()
	w.custody, w.custodyKeys = sharedCustody(t)
	w.chain = newChainID(t, dbm.NewMemDB(), Genesis{
		Params:    Params{MaxRetries: 2},
		Operators: [][]byte{w.op.pub},
		Issuers:   []Issuer{{Key: w.issuer.pub, Name: "Studio"}},
		Custody:   w.custody,
	}, chainID)
	w.mustOK(w.gov(w.issuer, TxRegisterTitle, w.dealt(testTitle("film-1"))))
	w.mustOK(w.gov(w.issuer, TxRegisterTitle, w.dealt(testTitle("film-2"))))
	w.mustOK(w.gov(w.op, TxEnrollStation, EnrollStationBody{SigningKey: w.stA.pub, KeyAgreementKey: w.kaA.pub, Profiles: []uint16{0x41, 0x43}}))
	w.mustOK(w.gov(w.op, TxEnrollStation, EnrollStationBody{SigningKey: w.stB.pub, KeyAgreementKey: w.kaA.pub, Profiles: []uint16{0x41}}))
	w.mint("tok-a", "film-1", w.stA)
	w.mint("tok-c", "film-1", w.customer)
	return w
}

func (w *world) mint(id, title string, owner *party) {
	w.t.Helper()
	w.mustOK(w.gov(w.issuer, TxMintToken, MintTokenBody{ID: id, Title: title, Owner: owner.pub}))
}

func (w *world) mustOK(tx []byte) *abci.ExecTxResult {
	w.t.Helper()
	r := w.one(tx)
	if Code(r.Code) != OK {
		w.t.Fatalf("tx result = %d %s, want OK", r.Code, r.Log)
	}
	return r
}

// request builds a copy request as a station would sign it: for the job's
// next attempt as the ledger records it (or its pending one), bound to the
// report that spoiled the attempt before.
func (w *world) request(job, token, title string, profile uint16, media string) *protocol.CopyRequest {
	req := &protocol.CopyRequest{
		ChainID:       w.chainID,
		HandshakeHash: []byte("hh-" + job), ChallengeNonce: []byte("nonce"), NodeID: "node0",
		ChallengeExpiry: w.now.Unix() + 60, JobID: job, TokenID: token, TitleID: title,
		Profile: profile, MediaID: []byte(media),
	}
	if c, err := w.app.Copy(job); err == nil {
		req.Attempt = uint32(c.Retries())
		if cur := c.Current(); cur.Outcome == OutcomeSpoiled {
			req.Attempt, req.PrevReport = uint32(len(c.Attempts)), cur.ReportDigest
		}
	}
	return req
}

func (w *world) spendTx(st *party, req *protocol.CopyRequest) []byte {
	w.t.Helper()
	sig, err := protocol.Sign(rand.Reader, st.key, req)
	if err != nil {
		w.t.Fatal(err)
	}
	tx, err := NewSpendTx(st.pub, req, sig)
	if err != nil {
		w.t.Fatal(err)
	}
	return tx
}

func (w *world) reportTx(st *party, job, media string, outcome uint8) []byte {
	w.t.Helper()
	return w.reportTxIn(st, "hh", job, media, outcome)
}

// reportTxIn is a report signed in the session with handshake hash hh.
func (w *world) reportTxIn(st *party, hh, job, media string, outcome uint8) []byte {
	w.t.Helper()
	rep := &protocol.CopyReport{ChainID: w.chainID, HandshakeHash: []byte(hh), JobID: job, Attempt: w.attempt(job), MediaID: []byte(media), Outcome: outcome, DiscDigest: make([]byte, 32), Reason: "test"}
	return w.signedReport(st, rep)
}

// signedReport signs a report and wraps it in a transaction.
func (w *world) signedReport(st *party, rep *protocol.CopyReport) []byte {
	w.t.Helper()
	sig, err := protocol.Sign(rand.Reader, st.key, rep)
	if err != nil {
		w.t.Fatal(err)
	}
	tx, err := NewReportTx(st.pub, rep, sig)
	if err != nil {
		w.t.Fatal(err)
	}
	return tx
}

func (w *world) grant(owner *party, token, station, title string, expiry int64) []byte {
	w.t.Helper()
	g := &protocol.CustomerGrant{ChainID: w.chainID, TokenID: token, StationID: station, TitleID: title, Expiry: expiry}
	sig, err := protocol.Sign(rand.Reader, owner.key, g)
	if err != nil {
		w.t.Fatal(err)
	}
	return EncodeGrant(g, sig)
}

// attempt is the job's current attempt on the ledger (0 if none).
func (w *world) attempt(job string) uint32 {
	if c, err := w.app.Copy(job); err == nil {
		return uint32(c.Retries())
	}
	return 0
}

var protocolGrant = protocol.CustomerGrant{TokenID: "tok-c", StationID: "st", TitleID: "film-1", Expiry: 1}

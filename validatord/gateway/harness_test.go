package gateway_test

import (
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"

	"copystation/keys"
	"copystation/protocol"
	"copystation/validatord/contract"
	"copystation/validatord/gateway"
)

const chainID = "copystation-gateway-test"

type party struct {
	key *ecdsa.PrivateKey
	pub []byte
	id  string
}

func newParty(t testing.TB) *party {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := k.PublicKey.Bytes()
	return &party{key: k, pub: pub, id: protocol.KeyID(pub)}
}

var bdr = keys.FormatMetadata{Profile: 0x41, Layers: 1, Finalize: true, MaxSpeedX: 6, HeaderSectors: 32}

// appLedger is the contract application driven block by block in process
// (no consensus: one block per transaction), with a key service that
// derives copy keys from a master secret as every node does. It stands in
// for a validation node until tests run against real CometBFT nodes.
type appLedger struct {
	t        testing.TB
	mu       sync.Mutex
	app      *contract.App
	height   int64
	now      func() time.Time
	operator *party
	issuer   *party
	nonce    uint64
	master   []byte
	spends   int // committed spend transactions that succeeded
}

func newAppLedger(t testing.TB, now func() time.Time) *appLedger {
	t.Helper()
	app, err := contract.New(dbm.NewMemDB(), contract.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := &appLedger{t: t, app: app, now: now, operator: newParty(t), issuer: newParty(t), master: make([]byte, 32)}
	rand.Read(l.master)
	g := contract.Genesis{Params: contract.Params{MaxRetries: 2}, Operators: [][]byte{l.operator.pub},
		Issuers: []contract.Issuer{{Key: l.issuer.pub, Name: "studio"}}}
	js, _ := json.Marshal(g)
	if _, err := app.InitChain(context.Background(), &abci.InitChainRequest{ChainId: chainID, InitialHeight: 1, AppStateBytes: js}); err != nil {
		t.Fatal(err)
	}
	return l
}

// block runs one block and commits it; it returns the result of each tx.
func (l *appLedger) block(txs ...[]byte) []*abci.ExecTxResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.height++
	resp, err := l.app.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{Height: l.height, Time: l.now(), Txs: txs})
	if err != nil {
		l.t.Errorf("FinalizeBlock = %v", err)
		return nil
	}
	if _, err := l.app.Commit(context.Background(), &abci.CommitRequest{}); err != nil {
		l.t.Errorf("Commit = %v", err)
		return nil
	}
	return resp.TxResults
}

func (l *appLedger) gov(signer *party, typ contract.TxType, body any) {
	l.t.Helper()
	l.nonce++
	tx, err := contract.NewTx(rand.Reader, signer.key, signer.pub, chainID, typ, l.nonce, body)
	if err != nil {
		l.t.Fatal(err)
	}
	if r := l.block(tx); len(r) != 1 || r[0].Code != 0 {
		l.t.Fatalf("governance tx %d = %+v, want code 0", typ, r)
	}
}

func (l *appLedger) registerTitle(id string) {
	l.gov(l.issuer, contract.TxRegisterTitle, contract.RegisterTitleBody{Title: contract.Title{
		ID: id, Name: id, ContentHash: make([]byte, 32), SealedPackageKey: []byte{1},
		Formats: []keys.FormatMetadata{bdr}}})
}

func (l *appLedger) enroll(signing []byte, agreement *ecdh.PublicKey) {
	l.gov(l.operator, contract.TxEnrollStation, contract.EnrollStationBody{
		SigningKey: signing, KeyAgreementKey: agreement.Bytes(), Profiles: []uint16{0x41}})
}

func (l *appLedger) revoke(stationID string) {
	l.gov(l.operator, contract.TxRevokeStation, contract.RevokeStationBody{Station: stationID, Reason: "test"})
}

func (l *appLedger) mint(id, title string, owner []byte) {
	l.gov(l.issuer, contract.TxMintToken, contract.MintTokenBody{ID: id, Title: title, Owner: owner})
}

func (l *appLedger) Station(_ context.Context, id string) (*gateway.StationInfo, error) {
	st, err := l.app.Station(id)
	if errors.Is(err, contract.ErrNotFound) {
		return nil, gateway.ErrStationNotFound
	}
	if err != nil {
		return nil, err
	}
	return &gateway.StationInfo{ID: st.ID, SigningKey: st.SigningKey, KeyAgreementKey: st.KeyAgreementKey,
		Revoked: st.Status == contract.StationRevoked}, nil
}

func (l *appLedger) submit(tx []byte) (gateway.Receipt, error) {
	r := l.block(tx)
	if len(r) != 1 {
		return gateway.Receipt{}, errors.New("block failed")
	}
	if r[0].Code != 0 {
		return gateway.Receipt{}, fmt.Errorf("%s: %w", r[0].Log, contract.Code(r[0].Code))
	}
	var rc contract.Receipt
	if len(r[0].Data) > 0 {
		if err := json.Unmarshal(r[0].Data, &rc); err != nil {
			return gateway.Receipt{}, err
		}
	} else {
		rc.Height, rc.TxHash = l.height, contract.Hash(tx)
	}
	return gateway.Receipt{Height: uint64(rc.Height), TxHash: rc.TxHash}, nil
}

func (l *appLedger) Spend(_ context.Context, key []byte, req *protocol.CopyRequest, sig []byte) (gateway.Receipt, error) {
	tx, err := contract.NewSpendTx(key, req, sig)
	if err != nil {
		return gateway.Receipt{}, err
	}
	rc, err := l.submit(tx)
	if err == nil {
		l.mu.Lock()
		l.spends++
		l.mu.Unlock()
	}
	return rc, err
}

func (l *appLedger) spendCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.spends
}

func (l *appLedger) ReleaseKeys(_ context.Context, stationID string, info keys.Info) (*gateway.Release, error) {
	c, err := l.app.Copy(info.JobID)
	if err != nil {
		return nil, err
	}
	if c.Station != stationID || string(c.Current().MediaID) != string(info.MediaID) {
		return nil, errors.New("no committed spend for this station and disc")
	}
	st, err := l.app.Station(stationID)
	if err != nil {
		return nil, err
	}
	pub, err := ecdh.P256().NewPublicKey(st.KeyAgreementKey)
	if err != nil {
		return nil, err
	}
	pkg, _ := keys.DeriveCopySecret(l.master, "package-key", c.Title, []byte{1}, keys.KeySize)
	disc, _ := keys.DeriveDiscKey(l.master, info.JobID, info.MediaID)
	cw, _ := keys.DeriveCopySecret(l.master, keys.PurposeCodeword, info.JobID, info.MediaID, 4)
	k := &keys.CopyKeys{PackageKey: pkg, DiscKey: disc, DiscKeyBlock: []byte("dkb"), Codeword: cw, Format: bdr}
	defer k.Wipe()
	sealed, err := keys.Seal(pub, info, k)
	if err != nil {
		return nil, err
	}
	return &gateway.Release{Sealed: sealed, Format: bdr}, nil
}

func (l *appLedger) Report(_ context.Context, key []byte, rep *protocol.CopyReport, sig []byte) (gateway.Receipt, error) {
	tx, err := contract.NewReportTx(key, rep, sig)
	if err != nil {
		return gateway.Receipt{}, err
	}
	return l.submit(tx)
}

package contract

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"testing"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"

	"copystation/protocol"
)

// FuzzDecodeTx feeds arbitrary bytes to the decoder and to CheckTx: never a
// panic, and a decoded envelope re-encodes to the same bytes.
func FuzzDecodeTx(f *testing.F) {
	f.Add([]byte{txMagic, txVersion, byte(TxSpend), 0, 0, 0, 0})
	f.Add((&Tx{Type: TxAddIssuer, Signer: make([]byte, 65), Nonce: 1, Body: []byte(`{}`), Sig: []byte{1}}).Marshal())
	f.Add([]byte("garbage"))
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub, _ := k.PublicKey.Bytes()
	req := &protocol.CopyRequest{JobID: "j", TokenID: "t", TitleID: "f", Profile: 0x41, MediaID: []byte("m"), CustomerGrant: EncodeGrant(&protocolGrant, []byte{1})}
	sig, _ := protocol.Sign(rand.Reader, k, req)
	spend, _ := NewSpendTx(pub, req, sig)
	f.Add(spend)
	gov, _ := NewTx(rand.Reader, k, pub, "", TxMintToken, 1, MintTokenBody{ID: "t", Title: "f", Owner: pub})
	f.Add(gov)
	reg, _ := NewRegisterOwnerTx(rand.Reader, k, "")
	f.Add(reg)
	app, err := New(dbm.NewMemDB(), Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		tx, err := DecodeTx(p)
		if err == nil && !bytes.Equal(tx.Marshal(), p) {
			t.Fatalf("DecodeTx(%x).Marshal() = %x, want the input", p, tx.Marshal())
		}
		if _, err := app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: p}); err != nil {
			t.Fatalf("CheckTx(%x) = %v, want a code", p, err)
		}
	})
}

// FuzzBatch feeds arbitrary bodies of a batch envelope to batchOf, CheckTx
// and a block: never a panic or an execution error, an accepted batch
// re-encodes to the same bytes and holds only spends and reports, and
// batchOf and CheckTx agree on its envelope.
func FuzzBatch(f *testing.F) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub, _ := k.PublicKey.Bytes()
	req := &protocol.CopyRequest{JobID: "j", TokenID: "t", TitleID: "f", Profile: 0x41, MediaID: []byte("m")}
	sig, _ := protocol.Sign(rand.Reader, k, req)
	spend, _ := NewSpendTx(pub, req, sig)
	rep := &protocol.CopyReport{JobID: "j", MediaID: []byte("m"), Outcome: protocol.OutcomeMade, DiscDigest: make([]byte, 32)}
	rsig, _ := protocol.Sign(rand.Reader, k, rep)
	report, _ := NewReportTx(pub, rep, rsig)
	two, _ := NewBatchTx([][]byte{spend, report})
	f.Add(two)
	f.Add((&Tx{Type: TxBatch}).Marshal())
	f.Add((&Tx{Type: TxBatch, Body: appendBytes(nil, two)}).Marshal())
	app, err := New(dbm.NewMemDB(), Options{})
	if err != nil {
		f.Fatal(err)
	}
	// A chain to execute them on: a block whatever it holds executes
	// (refusing what it must) and never stops the node with an error.
	chain, err := New(dbm.NewMemDB(), Options{})
	if err != nil {
		f.Fatal(err)
	}
	js, _ := json.Marshal(Genesis{Params: Params{MaxRetries: 2}, Operators: [][]byte{pub}})
	if _, err := chain.InitChain(context.Background(), &abci.InitChainRequest{ChainId: "c", InitialHeight: 1, AppStateBytes: js}); err != nil {
		f.Fatal(err)
	}
	height := int64(0)
	f.Fuzz(func(t *testing.T, p []byte) {
		height++
		if _, err := chain.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{Height: height, Time: time.Unix(1_800_000_000, 0), Txs: [][]byte{p}}); err != nil {
			t.Fatalf("FinalizeBlock(%x) = %v, want results", p, err)
		}
		if _, err := chain.Commit(context.Background(), &abci.CommitRequest{}); err != nil {
			t.Fatalf("Commit after %x = %v", p, err)
		}
		txs, ref := batchOf(p)
		if txs != nil {
			for _, tx := range txs {
				if typ := TxType(tx[2]); typ != TxSpend && typ != TxReport {
					t.Fatalf("batchOf(%x) accepted a transaction of type %d", p, typ)
				}
			}
			if b, err := NewBatchTx(txs); err != nil || !bytes.Equal(b, p) {
				t.Fatalf("batchOf(%x) re-encodes as %x, %v", p, b, err)
			}
		}
		r, err := app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: p})
		if err != nil {
			t.Fatalf("CheckTx(%x) = %v, want a code", p, err)
		}
		if ref != nil && Code(r.Code) == OK {
			t.Fatalf("CheckTx accepted %x, which batchOf refuses: %s", p, ref.log())
		}
	})
}

// FuzzDecodeGrant: never a panic, and a decoded grant re-encodes to the
// same bytes.
func FuzzDecodeGrant(f *testing.F) {
	f.Add([]byte("x"))
	f.Add(EncodeGrant(&protocolGrant, []byte{0x30, 1, 2}))
	f.Fuzz(func(t *testing.T, p []byte) {
		g, sig, err := DecodeGrant(p)
		if err == nil && !bytes.Equal(EncodeGrant(g, sig), p) {
			t.Fatalf("DecodeGrant(%x) re-encodes differently", p)
		}
	})
}

package contract

import (
	"bytes"
	"context"
	"testing"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"
)

// FuzzDecodeTx feeds arbitrary bytes to the decoder and to CheckTx: never a
// panic, and a decoded envelope re-encodes to the same bytes.
func FuzzDecodeTx(f *testing.F) {
	f.Add([]byte{txMagic, txVersion, byte(TxSpend), 0, 0, 0, 0})
	f.Add((&Tx{Type: TxAddIssuer, Signer: make([]byte, 65), Nonce: 1, Body: []byte(`{}`), Sig: []byte{1}}).Marshal())
	f.Add([]byte("garbage"))
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

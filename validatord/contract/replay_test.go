package contract

import (
	"bytes"
	"context"
	"crypto/elliptic"
	"encoding/asn1"
	"encoding/json"
	"math/big"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"copystation/protocol"
)

// highS turns an ASN.1 DER ECDSA P-256 signature (r, s) into (r, n-s),
// which verifies with plain ECDSA just as well.
func highS(t *testing.T, sig []byte) []byte {
	t.Helper()
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(sig, &rs); err != nil {
		t.Fatalf("asn1.Unmarshal(sig) = %v", err)
	}
	rs.S.Sub(elliptic.P256().Params().N, rs.S)
	out, err := asn1.Marshal(rs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// reindent re-encodes a transaction's JSON body with other whitespace: the
// same decoded statement, other bytes, so another transaction hash.
func reindent(t *testing.T, raw []byte) []byte {
	t.Helper()
	tx, err := DecodeTx(raw)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := json.Indent(&b, tx.Body, "", " "); err != nil {
		t.Fatal(err)
	}
	tx.Body = b.Bytes()
	return tx.Marshal()
}

// flipS is the same transaction with its signature turned to (r, n-s).
func flipS(t *testing.T, raw []byte) []byte {
	t.Helper()
	tx, err := DecodeTx(raw)
	if err != nil {
		t.Fatal(err)
	}
	tx.Sig = highS(t, tx.Sig)
	return tx.Marshal()
}

// TestReplayedSpendAfterSpoil replays a station's first spend after its
// disc was reported spoiled (as sent, re-encoded, and with a high-S
// signature): each must be refused, and the station's real retry on a new
// blank must then succeed rather than find an attempt pending.
func TestReplayedSpendAfterSpoil(t *testing.T) {
	for _, tc := range []struct {
		name   string
		replay func(t *testing.T, raw []byte) []byte
	}{
		{"same statement", func(_ *testing.T, raw []byte) []byte { return raw }},
		{"re-encoded JSON", reindent},
		{"(r, n-s) signature", flipS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			first := w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1"))
			w.mustOK(first)
			w.mustOK(w.reportTx(w.stA, "job-1", "m1", protocol.OutcomeSpoiled))
			if r := w.one(tc.replay(t, first)); Code(r.Code) == OK {
				t.Fatalf("replayed first spend after spoil = OK (%s), want a refusal", r.Log)
			}
			w.mustOK(w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m2")))
			c, err := w.app.Copy("job-1")
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Attempts) != 2 || string(c.Current().MediaID) != "m2" {
				t.Fatalf("Copy(job-1) attempts = %+v, want m1 spoiled then m2 pending", c.Attempts)
			}
		})
	}
}

// TestHighSRejected checks a high-S signature is refused for a station
// statement and a governance transaction, in CheckTx and in a block.
func TestHighSRejected(t *testing.T) {
	w := newWorld(t)
	spend := flipS(t, w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1")))
	gov := flipS(t, w.gov(w.issuer, TxMintToken, MintTokenBody{ID: "tok-x", Title: "film-1", Owner: w.customer.pub}))
	for _, raw := range [][]byte{spend, gov} {
		r, err := w.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: raw})
		if err != nil || Code(r.Code) != CodeBadSignature {
			t.Errorf("CheckTx(high-S) = %v, %v, want code %d", r, err, CodeBadSignature)
		}
		if r := w.one(raw); Code(r.Code) != CodeBadSignature {
			t.Errorf("FinalizeBlock(high-S) = %d (%s), want %d", r.Code, r.Log, CodeBadSignature)
		}
	}
}

// TestNonCanonicalBodyRejected checks a station statement whose JSON body
// is not the canonical encoding is refused before and in a block.
func TestNonCanonicalBodyRejected(t *testing.T) {
	w := newWorld(t)
	spend := reindent(t, w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1")))
	w.mustOK(w.spendTx(w.stA, w.request("job-2", "tok-a", "film-1", 0x41, "m2")))
	report := reindent(t, w.reportTx(w.stA, "job-2", "m2", protocol.OutcomeMade))
	for _, raw := range [][]byte{spend, report} {
		r, err := w.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: raw})
		if err != nil || Code(r.Code) != CodeBadEncoding {
			t.Errorf("CheckTx(re-encoded) = %v, %v, want code %d", r, err, CodeBadEncoding)
		}
		if r := w.one(raw); Code(r.Code) != CodeBadEncoding {
			t.Errorf("FinalizeBlock(re-encoded) = %d (%s), want %d", r.Code, r.Log, CodeBadEncoding)
		}
	}
}

// TestStatementOtherChainRefused signs a spend, a customer grant and a
// report on a test network and plays them on another network (production)
// where the same parties are enrolled: each is refused there.
func TestStatementOtherChainRefused(t *testing.T) {
	test := newWorld(t)
	prod := test.twin(t, "copystation-prod")

	spend := test.spendTx(test.stA, test.request("job-1", "tok-a", "film-1", 0x41, "m1"))
	if r := prod.one(spend); Code(r.Code) == OK {
		t.Errorf("test-network spend on production = OK, want a refusal")
	}

	req := prod.request("job-c", "tok-c", "film-1", 0x41, "m1")
	req.CustomerGrant = test.grant(test.customer, "tok-c", test.stA.id, "film-1", test.now.Unix()+60)
	if r := prod.one(prod.spendTx(prod.stA, req)); Code(r.Code) == OK {
		t.Errorf("test-network customer grant on production = OK, want a refusal")
	}

	prod.mustOK(prod.spendTx(prod.stA, prod.request("job-2", "tok-a", "film-1", 0x41, "m2")))
	test.mustOK(test.spendTx(test.stA, test.request("job-2", "tok-a", "film-1", 0x41, "m2")))
	if r := prod.one(test.reportTx(test.stA, "job-2", "m2", protocol.OutcomeMade)); Code(r.Code) == OK {
		t.Errorf("test-network report on production = OK, want a refusal")
	}
}

// TestResultIndexFirstWins includes a spend's very bytes again after its
// disc was spoiled (a proposer may): the index keeps the first committed
// result, which is what the spend's submitter was told.
func TestResultIndexFirstWins(t *testing.T) {
	w := newWorld(t)
	first := w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1"))
	w.mustOK(first)
	h := w.height
	w.mustOK(w.reportTx(w.stA, "job-1", "m1", protocol.OutcomeSpoiled))
	w.one(first)
	r, ok := w.app.Result(Hash(first))
	if !ok || r.Code != OK || r.Height != h {
		t.Fatalf("Result(first spend) = %+v, %v, want OK at height %d", r, ok, h)
	}
}

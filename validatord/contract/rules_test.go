package contract

import (
	"crypto/rand"
	"testing"

	"copystation/protocol"
)

type ruleCase struct {
	name  string
	setup func(w *world)
	tx    func(w *world) []byte
	want  Code
}

func runRules(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			if tc.setup != nil {
				tc.setup(w)
			}
			r := w.one(tc.tx(w))
			if Code(r.Code) != tc.want {
				t.Fatalf("FinalizeBlock(%s) code = %d (%s), want %d (%s)", tc.name, r.Code, r.Log, tc.want, tc.want.Name())
			}
			if tc.want != OK && r.Log == "" {
				t.Errorf("FinalizeBlock(%s) log is empty, want a message", tc.name)
			}
		})
	}
}

func TestGovernanceRules(t *testing.T) { runRules(t, governanceCases()) }

func governanceCases() []ruleCase {
	return []ruleCase{
		{name: "add issuer", want: OK, tx: func(w *world) []byte {
			return w.gov(w.op, TxAddIssuer, AddIssuerBody{Key: newParty(w.t).pub, Name: "Other"})
		}},
		{name: "add issuer by non-operator", want: CodeNotOperator, tx: func(w *world) []byte {
			return w.gov(w.issuer, TxAddIssuer, AddIssuerBody{Key: newParty(w.t).pub})
		}},
		{name: "add existing issuer", want: CodeIssuerExists, tx: func(w *world) []byte {
			return w.gov(w.op, TxAddIssuer, AddIssuerBody{Key: w.issuer.pub})
		}},
		{name: "add issuer bad key", want: CodeBadField, tx: func(w *world) []byte {
			return w.gov(w.op, TxAddIssuer, AddIssuerBody{Key: []byte{4, 1, 2}})
		}},
		{name: "replayed nonce", want: CodeBadNonce, tx: func(w *world) []byte {
			tx := w.gov(w.op, TxAddIssuer, AddIssuerBody{Key: newParty(w.t).pub})
			w.mustOK(tx)
			return tx
		}},
		{name: "tampered body", want: CodeBadSignature, tx: func(w *world) []byte {
			tx, _ := DecodeTx(w.gov(w.op, TxAddIssuer, AddIssuerBody{Key: newParty(w.t).pub, Name: "a"}))
			tx.Body = []byte(`{"name":"b"}`)
			return tx.Marshal()
		}},
		{name: "signed for another chain", want: CodeBadSignature, tx: func(w *world) []byte {
			tx, _ := NewTx(rand.Reader, w.op.key, w.op.pub, "other-chain", TxAddIssuer, 9, AddIssuerBody{Key: newParty(w.t).pub})
			return tx
		}},
		{name: "garbage", want: CodeBadEncoding, tx: func(*world) []byte { return []byte("garbage") }},
		{name: "unknown type", want: CodeUnknownTxType, tx: func(w *world) []byte { return w.gov(w.op, TxType(99), struct{}{}) }},
		{name: "body not JSON", want: CodeBadEncoding, tx: func(w *world) []byte {
			tx, _ := DecodeTx(w.gov(w.op, TxAddIssuer, struct{}{}))
			tx.Body = []byte("{")
			tx.Sig, _ = protocol.Sign(rand.Reader, w.op.key, signedTx{tx, testChain})
			return tx.Marshal()
		}},
		{name: "register title", want: OK, tx: func(w *world) []byte {
			return w.gov(w.issuer, TxRegisterTitle, w.dealt(testTitle("film-3")))
		}},
		{name: "register title by non-issuer", want: CodeNotIssuer, tx: func(w *world) []byte {
			return w.gov(w.op, TxRegisterTitle, w.dealt(testTitle("film-3")))
		}},
		{name: "register existing title", want: CodeTitleExists, tx: func(w *world) []byte {
			return w.gov(w.issuer, TxRegisterTitle, w.dealt(testTitle("film-1")))
		}},
		{name: "register title with slash in ID", want: CodeBadField, tx: func(w *world) []byte {
			return w.gov(w.issuer, TxRegisterTitle, w.dealt(testTitle("a/b")))
		}},
		{name: "register title overlapping segments", want: CodeBadField, tx: func(w *world) []byte {
			ti := testTitle("film-3")
			ti.Segments[1].StartSector = 110
			return w.gov(w.issuer, TxRegisterTitle, w.dealt(ti))
		}},
		{name: "register title with tracing parameters", want: OK, tx: func(w *world) []byte {
			ti := testTitle("film-3")
			ti.Tracing = &TitleTracing{Copies: 10000, Coalition: 2, Eps1: "1e-06", Root: make([]byte, 32)}
			return w.gov(w.issuer, TxRegisterTitle, w.dealt(ti))
		}},
		{name: "register title with Eps1 not in canonical text", want: CodeBadField, tx: func(w *world) []byte {
			ti := testTitle("film-3")
			ti.Tracing = &TitleTracing{Copies: 10000, Coalition: 2, Eps1: "0.000001", Root: make([]byte, 32)}
			return w.gov(w.issuer, TxRegisterTitle, w.dealt(ti))
		}},
		{name: "register title with Eps1 above one half", want: CodeBadField, tx: func(w *world) []byte {
			ti := testTitle("film-3")
			ti.Tracing = &TitleTracing{Copies: 10000, Coalition: 2, Eps1: "0.6", Root: make([]byte, 32)}
			return w.gov(w.issuer, TxRegisterTitle, w.dealt(ti))
		}},
		{name: "register title with no copies to trace", want: CodeBadField, tx: func(w *world) []byte {
			ti := testTitle("film-3")
			ti.Tracing = &TitleTracing{Copies: 0, Coalition: 2, Eps1: "1e-06", Root: make([]byte, 32)}
			return w.gov(w.issuer, TxRegisterTitle, w.dealt(ti))
		}},
		{name: "register title with a short trace root", want: CodeBadField, tx: func(w *world) []byte {
			ti := testTitle("film-3")
			ti.Tracing = &TitleTracing{Copies: 10000, Coalition: 2, Eps1: "1e-06", Root: make([]byte, 31)}
			return w.gov(w.issuer, TxRegisterTitle, w.dealt(ti))
		}},
		{name: "register title with tracing but no segments", want: CodeBadField, tx: func(w *world) []byte {
			ti := testTitle("film-3")
			ti.Segments = nil
			ti.Tracing = &TitleTracing{Copies: 10000, Coalition: 2, Eps1: "1e-06", Root: make([]byte, 32)}
			return w.gov(w.issuer, TxRegisterTitle, w.dealt(ti))
		}},
		{name: "register title duplicate profile", want: CodeBadField, tx: func(w *world) []byte {
			ti := testTitle("film-3")
			ti.Formats = append(ti.Formats, fmtBDR)
			return w.gov(w.issuer, TxRegisterTitle, w.dealt(ti))
		}},
		{name: "enroll by non-operator", want: CodeNotOperator, tx: func(w *world) []byte {
			p := newParty(w.t)
			return w.gov(w.issuer, TxEnrollStation, EnrollStationBody{SigningKey: p.pub, KeyAgreementKey: p.pub, Profiles: []uint16{0x41}})
		}},
		{name: "enroll twice", want: CodeStationExists, tx: func(w *world) []byte {
			return w.gov(w.op, TxEnrollStation, EnrollStationBody{SigningKey: w.stA.pub, KeyAgreementKey: w.kaA.pub, Profiles: []uint16{0x41}})
		}},
		{name: "enroll without profiles", want: CodeBadField, tx: func(w *world) []byte {
			p := newParty(w.t)
			return w.gov(w.op, TxEnrollStation, EnrollStationBody{SigningKey: p.pub, KeyAgreementKey: p.pub})
		}},
		{name: "revoke", want: OK, tx: func(w *world) []byte {
			return w.gov(w.op, TxRevokeStation, RevokeStationBody{Station: w.stB.id, Reason: "tamper"})
		}},
		{name: "revoke twice", want: CodeStationRevoked, setup: func(w *world) {
			w.mustOK(w.gov(w.op, TxRevokeStation, RevokeStationBody{Station: w.stB.id}))
		}, tx: func(w *world) []byte {
			return w.gov(w.op, TxRevokeStation, RevokeStationBody{Station: w.stB.id})
		}},
		{name: "revoke unknown", want: CodeUnknownStation, tx: func(w *world) []byte {
			return w.gov(w.op, TxRevokeStation, RevokeStationBody{Station: "nope"})
		}},
		{name: "revoke by non-operator", want: CodeNotOperator, tx: func(w *world) []byte {
			return w.gov(w.issuer, TxRevokeStation, RevokeStationBody{Station: w.stB.id})
		}},
		{name: "mint by another issuer", want: CodeNotIssuer, tx: func(w *world) []byte {
			return w.gov(w.op, TxMintToken, MintTokenBody{ID: "tok-x", Title: "film-1", Owner: w.customer.pub})
		}},
		{name: "mint unknown title", want: CodeUnknownTitle, tx: func(w *world) []byte {
			return w.gov(w.issuer, TxMintToken, MintTokenBody{ID: "tok-x", Title: "nope", Owner: w.customer.pub})
		}},
		{name: "mint existing token", want: CodeTokenExists, tx: func(w *world) []byte {
			return w.gov(w.issuer, TxMintToken, MintTokenBody{ID: "tok-a", Title: "film-1", Owner: w.customer.pub})
		}},
		{name: "mint bad ID", want: CodeBadField, tx: func(w *world) []byte {
			return w.gov(w.issuer, TxMintToken, MintTokenBody{ID: "", Title: "film-1", Owner: w.customer.pub})
		}},
		{name: "transfer by owner", want: OK, tx: func(w *world) []byte {
			return w.gov(w.customer, TxTransferToken, TransferTokenBody{ID: "tok-c", NewOwner: w.stA.pub})
		}},
		{name: "transfer by non-owner", want: CodeNotOwner, tx: func(w *world) []byte {
			return w.gov(w.issuer, TxTransferToken, TransferTokenBody{ID: "tok-c", NewOwner: w.issuer.pub})
		}},
		{name: "transfer unknown", want: CodeUnknownToken, tx: func(w *world) []byte {
			return w.gov(w.customer, TxTransferToken, TransferTokenBody{ID: "nope", NewOwner: w.stA.pub})
		}},
		{name: "transfer spent", want: CodeTokenSpent, setup: func(w *world) {
			w.mustOK(w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1")))
		}, tx: func(w *world) []byte {
			return w.gov(w.stA, TxTransferToken, TransferTokenBody{ID: "tok-a", NewOwner: w.customer.pub})
		}},
	}
}

func TestSpendRules(t *testing.T) { runRules(t, spendCases()) }

func spendCases() []ruleCase {
	spendA := func(job, tok, title string, prof uint16, media string) func(w *world) []byte {
		return func(w *world) []byte { return w.spendTx(w.stA, w.request(job, tok, title, prof, media)) }
	}
	spent := func(w *world) { w.mustOK(w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1"))) }
	withGrant := func(g func(w *world) []byte) func(w *world) []byte {
		return func(w *world) []byte {
			req := w.request("job-c", "tok-c", "film-1", 0x41, "m1")
			req.CustomerGrant = g(w)
			return w.spendTx(w.stA, req)
		}
	}
	return []ruleCase{
		{name: "station-owned token", want: OK, tx: spendA("job-1", "tok-a", "film-1", 0x41, "m1")},
		{name: "same job again is idempotent", want: OK, setup: spent, tx: spendA("job-1", "tok-a", "film-1", 0x41, "m1")},
		{name: "second spend of token", want: CodeTokenSpent, setup: spent, tx: spendA("job-2", "tok-a", "film-1", 0x41, "m2")},
		{name: "same job other disc while pending", want: CodeAttemptPending, setup: spent, tx: spendA("job-1", "tok-a", "film-1", 0x41, "m2")},
		{name: "same job other token", want: CodeJobConflict, setup: spent, tx: spendA("job-1", "tok-c", "film-1", 0x41, "m1")},
		{name: "same job other station", want: CodeJobConflict, setup: spent, tx: func(w *world) []byte {
			return w.spendTx(w.stB, w.request("job-1", "tok-a", "film-1", 0x41, "m1"))
		}},
		{name: "unknown station", want: CodeUnknownStation, tx: func(w *world) []byte {
			return w.spendTx(newParty(w.t), w.request("job-1", "tok-a", "film-1", 0x41, "m1"))
		}},
		{name: "revoked station", want: CodeStationRevoked, setup: func(w *world) {
			w.mustOK(w.gov(w.op, TxRevokeStation, RevokeStationBody{Station: w.stA.id, Reason: "tamper"}))
		}, tx: spendA("job-1", "tok-a", "film-1", 0x41, "m1")},
		{name: "bad station signature", want: CodeBadSignature, tx: func(w *world) []byte {
			tx, _ := DecodeTx(w.spendTx(w.stA, w.request("job-1", "tok-a", "film-1", 0x41, "m1")))
			tx.Sig[len(tx.Sig)-1] ^= 1
			return tx.Marshal()
		}},
		{name: "unknown token", want: CodeUnknownToken, tx: spendA("job-1", "nope", "film-1", 0x41, "m1")},
		{name: "title mismatch", want: CodeTitleMismatch, tx: spendA("job-1", "tok-a", "film-2", 0x41, "m1")},
		{name: "profile not allowed for station", want: CodeFormatNotAllowed, tx: func(w *world) []byte {
			w.mint("tok-b", "film-1", w.stB)
			return w.spendTx(w.stB, w.request("job-1", "tok-b", "film-1", 0x43, "m1"))
		}},
		{name: "profile not in title", want: CodeFormatNotAllowed, setup: func(w *world) {
			w.mustOK(w.gov(w.op, TxEnrollStation, EnrollStationBody{SigningKey: w.customer.pub, KeyAgreementKey: w.kaA.pub, Profiles: []uint16{0x42}}))
			w.mint("tok-x", "film-1", w.customer)
		}, tx: func(w *world) []byte { return w.spendTx(w.customer, w.request("job-1", "tok-x", "film-1", 0x42, "m1")) }},
		{name: "challenge expired", want: CodeChallengeExpired, tx: func(w *world) []byte {
			req := w.request("job-1", "tok-a", "film-1", 0x41, "m1")
			req.ChallengeExpiry = w.now.Unix() - 1
			return w.spendTx(w.stA, req)
		}},
		{name: "empty media ID", want: CodeBadField, tx: spendA("job-1", "tok-a", "film-1", 0x41, "")},
		{name: "customer token without grant", want: CodeNotOwner, tx: spendA("job-c", "tok-c", "film-1", 0x41, "m1")},
		{name: "customer grant", want: OK, tx: withGrant(func(w *world) []byte { return w.grant(w.customer, "tok-c", w.stA.id, "film-1", w.now.Unix()+60) })},
		{name: "grant for another station", want: CodeGrantMismatch, tx: withGrant(func(w *world) []byte {
			return w.grant(w.customer, "tok-c", w.stB.id, "film-1", w.now.Unix()+60)
		})},
		{name: "grant for another token", want: CodeGrantMismatch, tx: withGrant(func(w *world) []byte {
			return w.grant(w.customer, "tok-a", w.stA.id, "film-1", w.now.Unix()+60)
		})},
		{name: "grant expired", want: CodeGrantExpired, tx: withGrant(func(w *world) []byte {
			return w.grant(w.customer, "tok-c", w.stA.id, "film-1", w.now.Unix()-1)
		})},
		{name: "grant signed by someone else", want: CodeNotOwner, tx: withGrant(func(w *world) []byte {
			return w.grant(w.issuer, "tok-c", w.stA.id, "film-1", w.now.Unix()+60)
		})},
		{name: "grant garbage", want: CodeBadGrant, tx: withGrant(func(*world) []byte { return []byte("not a grant") })},
		{name: "grant on station-owned token", want: CodeBadGrant, tx: func(w *world) []byte {
			req := w.request("job-1", "tok-a", "film-1", 0x41, "m1")
			req.CustomerGrant = w.grant(w.stA, "tok-a", w.stA.id, "film-1", w.now.Unix()+60)
			return w.spendTx(w.stA, req)
		}},
	}
}

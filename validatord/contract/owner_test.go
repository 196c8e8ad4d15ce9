package contract

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"copystation/protocol"
)

// ownerCodes are the refusals TestRegisterOwner expects (for
// TestEveryCodeTested).
var ownerCodes = []Code{CodeOwnerExists, CodeBadOwnerProof, CodeBadOwnerKey}

type ownerCase struct {
	name string
	tx   []byte
	want Code
}

// registration signs a registration of key (as signed by signer) for chain.
func registration(t *testing.T, signer *party, key []byte, chainID, bodyChain string) []byte {
	t.Helper()
	sig, err := protocol.Sign(rand.Reader, signer.key, &OwnerRegistration{ChainID: chainID, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	return (&Tx{Type: TxRegisterOwner, Signer: key, Body: []byte(`{"chain_id":"` + bodyChain + `"}`), Sig: sig}).Marshal()
}

// TestRegisterOwner: an owner key registers itself once, with the user ID
// derived from the key; nobody registers another's key, a registration
// does not replay on another chain, and a malformed key, a nonce or a
// non-canonical body is refused, each with its own code, in CheckTx and in
// a block alike.
func TestRegisterOwner(t *testing.T) {
	w := newWorld(t)
	alice, mallory, bob := newParty(t), newParty(t), newParty(t)
	good, err := NewRegisterOwnerTx(rand.Reader, alice.key, w.chainID)
	if err != nil {
		t.Fatal(err)
	}
	offCurve := append([]byte{4}, make([]byte, 64)...)
	withNonce, _ := DecodeTx(good)
	withNonce.Nonce = 1
	spaced, _ := DecodeTx(registration(t, alice, alice.pub, w.chainID, w.chainID))
	spaced.Body = []byte(`{ "chain_id":"` + w.chainID + `"}`)
	tests := []ownerCase{
		{"registration", good, OK},
		{"the same again", good, CodeOwnerExists},
		{"bob's key signed by mallory", registration(t, mallory, bob.pub, w.chainID, w.chainID), CodeBadOwnerProof},
		{"signed for another chain", registration(t, mallory, mallory.pub, "other-chain", w.chainID), CodeBadOwnerProof},
		{"replayed from another chain", registration(t, mallory, mallory.pub, "other-chain", "other-chain"), CodeWrongChain},
		{"point off the curve", registration(t, mallory, offCurve, w.chainID, w.chainID), CodeBadOwnerKey},
		{"compressed key", registration(t, mallory, mallory.pub[:33], w.chainID, w.chainID), CodeBadOwnerKey},
		{"a nonce", withNonce.Marshal(), CodeBadEncoding},
		{"body not canonical", spaced.Marshal(), CodeBadEncoding},
	}
	for _, c := range ownerCodes {
		if !slices.ContainsFunc(tests, func(tt ownerCase) bool { return tt.want == c }) {
			t.Errorf("no case expects %s", c.Name())
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cr, err := w.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: tt.tx})
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != CodeOwnerExists && Code(cr.Code) != tt.want {
				t.Errorf("CheckTx = %d %s, want %d (%s)", cr.Code, cr.Log, tt.want, tt.want.Name())
			}
			if r := w.one(tt.tx); Code(r.Code) != tt.want {
				t.Errorf("in a block = %d %s, want %d (%s)", r.Code, r.Log, tt.want, tt.want.Name())
			}
		})
	}
	o, err := w.app.Owner(alice.id)
	if err != nil || o.ID != protocol.KeyID(alice.pub) || string(o.Key) != string(alice.pub) {
		t.Errorf("Owner(%s) = %+v, %v; want alice's key under its KeyID", alice.id, o, err)
	}
	for _, p := range []*party{mallory, bob} {
		if _, err := w.app.Owner(p.id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Owner(%s) = %v, want ErrNotFound", p.id, err)
		}
	}
	// The same key registers on another network with its own statement.
	other := w.twin(t, "other-chain")
	reg, _ := NewRegisterOwnerTx(rand.Reader, alice.key, "other-chain")
	if r := other.one(reg); Code(r.Code) != OK {
		t.Errorf("registration on another chain = %d %s, want OK", r.Code, r.Log)
	}
}

// TestOwnerRegistrationBytes pins the statement's encoding, which the
// wallet's page builds in JavaScript (docs/contract.md).
func TestOwnerRegistrationBytes(t *testing.T) {
	got := (&OwnerRegistration{ChainID: "c", Key: []byte{4, 1}}).SigningBytes()
	want := append([]byte{0, 0, 0, 30}, "copystation owner-registration"...)
	want = append(want, 0, 1, 0, 0, 0, 1, 'c', 0, 0, 0, 2, 4, 1)
	if string(got) != string(want) {
		t.Errorf("SigningBytes = %x, want %x", got, want)
	}
}

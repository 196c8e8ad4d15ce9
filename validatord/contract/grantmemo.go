package contract

import (
	"bytes"

	"copystation/protocol"
)

// A kiosk's spend carries two signatures: the station's over the request,
// checked statelessly in CheckTx (verifiedCache), and the token owner's
// over the grant, which needs the owner's key from state and so was
// verified only in FinalizeBlock: one P-256 verification per spend on
// every node, in series on the consensus path, about 9 ms of each height
// at 2,000 spends a second (docs/benchmarks.md, issue 17, eighth session).
// CheckTx now also verifies the grant against the token's owner in
// committed state, off that path, and the verified cache keeps the key it
// verified against with the transaction's statement.
//
// Execution still decides alone: it reads the owner from the state the
// block sees, and skips the verification only when that key is exactly
// the one kept for this transaction. A verification is a pure function of
// the key and the transaction's bytes (which its hash fixes), so the
// result is the one verifying again would give, on every node, kept or
// not. A token that changed hands in between, a grant CheckTx could not
// verify, or an entry dropped as newer transactions came, is verified in
// FinalizeBlock as before. CheckTx refuses nothing for its grant: an owner
// may change before the block executes.

// grantOwner verifies a spend's customer grant against the owner of its
// token in committed state and returns that owner's key if it holds, nil
// otherwise: anything that does not verify is left to FinalizeBlock, which
// refuses it with its reason.
func (a *App) grantOwner(st protocol.Statement) []byte {
	req, ok := st.(*protocol.CopyRequest)
	if !ok || len(req.CustomerGrant) == 0 {
		return nil
	}
	var tok Token
	if a.committed(keyToken(req.TokenID), &tok) != nil {
		return nil
	}
	g, sig, err := DecodeGrant(req.CustomerGrant)
	if err != nil || protocol.Verify(tok.Owner, g, sig) != nil {
		return nil
	}
	return tok.Owner
}

// grantVerified reports whether CheckTx verified this transaction's grant
// against exactly owner.
func (e *execEnv) grantVerified(owner []byte) bool {
	return len(e.grantOwner) > 0 && bytes.Equal(e.grantOwner, owner)
}

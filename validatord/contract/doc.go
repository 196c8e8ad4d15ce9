// Package contract is the copy-token contract: a deterministic CometBFT ABCI
// application that records titles, stations, tokens and copies.
//
// # Concepts
//
// Operators (keys in the genesis app state) govern: they add issuers and
// enroll or revoke stations. Issuers register titles and mint tokens. A
// token's owner may transfer it. An owner key may register itself once, with
// proof of possession, as a pseudonymous owner identity (owner.go); an index
// lists the tokens each owner holds (ownerindex.go). A station spends a token for one copy (a
// job) and later reports the copy made or spoiled; a spoiled copy may be
// retried under the same spend a bounded number of times.
//
// Every transaction is signed. Governance transactions carry the signer's
// public key and a per-signer nonce that must grow; spends and reports carry
// the station's signed protocol statement and are replay-safe because a spend
// is idempotent per job ID and a report is accepted once per attempt.
//
// CheckTx is stateless (encoding, bounds, signature). FinalizeBlock executes
// against staged state, using only the block time; Commit writes the staged
// changes in one atomic batch. The app hash chains each block's sorted change
// set onto the previous hash, so every node that applies the same blocks
// agrees on it.
package contract

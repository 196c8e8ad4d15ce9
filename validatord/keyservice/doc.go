// Package keyservice is a validation node's side of a copy's release, after
// its spend is final (docs/protocol.md, "Release rounds").
//
// # Concepts
//
// Round 1: each node signs the copy's label (custody.CopyRecord, built from
// its own committed copy record) with its own share of the group secret
// from the genesis ceremony (Partial), sealed to the station. The station
// combines t partials into the copy's group signature sigma.
//
// Round 2: the node checks sigma against the group key and its own label
// (CheckSigma), so the station cannot choose the codeword; derives the
// codeword from sigma; and releases its own shares of the title's base key
// and, per forensic segment, of the key of the variant the codeword names,
// opened from the sealed shares the issuer dealt it (ReleaseShares, with
// the node's Custodian). The station combines t nodes' releases; the disc
// key is not sent: the station derives it from sigma.
//
// No node holds a secret another node holds, and none holds a title key:
// every title is registered with its keys dealt in shares, so a node alone
// releases below threshold (docs/key-custody.md, "What one party can do
// alone"). Nothing secret enters the ledger: the copy record is the
// codeword's commitment.
package keyservice

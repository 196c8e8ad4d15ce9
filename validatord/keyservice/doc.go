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
// codeword from sigma; and releases the title's base key and, per forensic
// segment, the key of the variant the codeword names, with the version-1
// disc key block over custody.DiscKey(sigma, attempt, media ID)
// (ReleaseKeys, the one function issuer-dealt title shares will replace).
// The disc key is not sent: the station derives it from sigma.
//
// Every node still holds one network secret, sealed at rest in its vault:
// the deposit key, which opens the package key of a title registered by
// the deposit (being removed: titles dealt by their issuer need none, and
// the demo and simulated station register only dealt titles). The copy
// secret is gone: no key derives from a secret every node shares. Nothing
// secret enters the ledger: the copy record is the codeword's commitment.
package keyservice

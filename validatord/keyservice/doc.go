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
// Every node still holds two network secrets, sealed at rest in its vault:
// the deposit key, which opens each title's package key (sealed to it by the
// issuer at registration), and the copy secret, which now only keys the
// version-1 disc key block (PlayerKey and the block's nonce). Nothing
// secret enters the ledger: the copy record is the codeword's commitment.
package keyservice

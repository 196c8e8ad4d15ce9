// Package keyservice derives and releases a copy's media keys on a
// validation node, after its spend is final.
//
// # Concepts
//
// Every node holds the same two network secrets, sealed at rest in its
// vault: the copy secret and the deposit key. An issuer seals each title's
// package key to the deposit key's public half when registering the title;
// the sealed key lies on the ledger and only nodes can open it. A copy's
// disc key, codeword and disc key block are derived with HKDF from the copy
// secret, the job ID and the media ID (keys.DeriveCopySecret), so whichever
// node a station's retry reaches, it releases the same keys. The ledger
// records only a keyed commitment to the codeword.
package keyservice

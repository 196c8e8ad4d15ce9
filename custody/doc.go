// Package custody is the threshold core of key custody (docs/key-custody.md):
// the network's group key made by a DKG, copy signatures and the codeword
// and disc key derived from them, and titles' keys dealt in shares to the
// nodes and released per copy, t of n, so no single node can read a title or
// make a copy's keys.
//
// # Concepts
//
// Group: the public key X and public polynomial from the DKG (Group), and
// each node's secret share x_i (KeyShare). Node i is the i-th node of
// genesis, 0-based; its share is the polynomial at x = i+1 (kyber's
// convention), for the group secret and for every title key alike.
//
// Ceremony: one node's side of kyber's Pedersen DKG, whose bundles are
// exchanged as files (Deal, Respond, Justify, Finish); RunInProcess runs all
// nodes' sides in one process for a test network.
//
// Labels: what the network signs (CopyRecord.Label, PlayerTreeLabel), each
// in its own prefix-free domain.
//
// Copy signature: each node's Partial on a copy label, verified against the
// group and combined by any t into the unique group Signature, from which
// DeriveCodeword and DiscKey follow by HKDF.
//
// Title shares: the issuer's Deal splits 1+2S title keys (base and an A and
// B variant per segment) into per-node share vectors (TitleShares), sealed
// to each node's custody key and committed by a Merkle root; a node releases
// for a copy its base share and the share of the variant the codeword
// selects (Release), the station checks each against the node's root
// (VerifyRelease) and interpolates the keys (CombineKeys).
//
// Every decoder of outside bytes is bounded and fuzzed; secrets are wiped
// where Go allows (Wipe methods), and the package never writes a file.
package custody

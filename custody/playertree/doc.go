// Package playertree makes disc key blocks that only licensed, unrevoked
// players open: Complete Subtree broadcast encryption (Naor, Naor and
// Lotspiech, 2001) whose node keys are Boneh–Franklin IBE keys under the
// network's threshold BLS group key.
//
// # Concepts
//
// Tree → node → label → key. Players are the leaves of a binary tree of a
// fixed depth; a tree node is (depth, path), path being the node's depth
// leading bits of any leaf below it. A node's label names it on the
// network; its key is the network's BLS signature on the label, which is
// also the IBE private key for that label, so anyone encrypts to a tree
// node with public data (the group key) and only t validation nodes
// together can extract its key. A player holds the keys of every node on
// its path from the root.
//
// Cover → key block. For the revoked leaves, the cover is the set of
// maximal subtrees that hold no revoked leaf. A station writing a disc
// encrypts a fresh block key to every cover node and wraps the disc key
// under the block key with the media ID in the additional data. A player
// finds the one cover node on its path; a revoked player has none. An
// Encrypter keeps each cover node's pairing across discs.
//
// Enrollment: each of t nodes extracts its partials of a leaf's path keys
// and seals them to the player maker (SealPartials); the maker opens and
// combines them into DeviceKeys checked against the group key (Combine).
//
// The design, and who holds what, is docs/key-custody.md; the byte format
// is docs/disc-format.md.
package playertree

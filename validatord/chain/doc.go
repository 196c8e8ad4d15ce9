// Package chain runs a validation node in process: CometBFT with the
// copy-token contract as its built-in application, and the key service.
//
// # Concepts
//
// A node's home directory holds node.json (addresses, peers, timeouts),
// genesis.json (CometBFT's genesis with the contract's app state),
// vault.bin (the node's and the network's secrets sealed under the node's
// key-encryption key) and data/ (CometBFT's stores, the contract's store and
// the validator's last-sign state). No key is ever written in plaintext: the
// validator key and p2p key are built in memory from the vault.
//
// Init makes one node's home; Testnet makes N homes on loopback that know
// each other; Start runs a node from its home.
package chain

// Package validatord is the validation node daemon: Run serves a node (the
// copy-token contract on CometBFT, the key service and the station
// gateway), and Main is the operators' command line.
//
// # Concepts
//
// A node's home holds its configuration, genesis and vault (see package
// chain). The node's key-encryption key (KEK) never lives in the home: it
// comes from a file given with --kek-file, by default the systemd credential
// $CREDENTIALS_DIRECTORY/validatord-kek, so a copied home opens nowhere.
// Operator, issuer and owner signing keys are key files sealed under the
// same KEK. Commands other than init, testnet and start talk to a running
// node over its loopback RPC address.
package validatord

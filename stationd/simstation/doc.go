// Package simstation assembles a whole copy station on simulated parts,
// with nothing to install: the in-process reference TPM, simulated BD
// burners with a disc loader, an embedded validation node with its station
// gateway on loopback, a generated title package, and the real station
// daemon over them. The demo and the end-to-end tests use it.
//
// # Concepts
//
// Network is the validation side: one embedded CometBFT node running the
// copy-token contract, its gateway speaking the copy-authorisation protocol
// over Noise on 127.0.0.1, and governance keys (an operator that enrolls
// stations, an issuer that registers titles and mints tokens).
//
// Station is the station side: its TPM-resident keys, drives, loader, the
// title packages on its disk, and the daemon serving its API socket. It
// lives in stationd/simdaemon, which links no validation node (so a
// process running only a station stays the daemon's size); the names here
// are aliases.
package simstation

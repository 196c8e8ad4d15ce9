// Package simdaemon runs the real station daemon on simulated parts: the
// in-process reference TPM, simulated BD burners and a disc loader. It
// links nothing of the validation node (no CometBFT), so a process that
// runs only a station, such as `stationd-simrun` under `stationd bench`,
// maps a binary of the daemon's size, not the demo's (docs/benchmarks.md,
// "Memory of the daemon"). simstation pairs it with an embedded network.
package simdaemon

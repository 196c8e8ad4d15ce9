// Package tardos is the collusion-secure fingerprinting code that names the
// forensic variant of every segment of a copy: Tardos's bias-based binary
// code with the symmetric score of Škorić et al. (2008).
//
// # Concepts
//
// Params (expected copies N, coalition size C, false-accusation
// probability Eps1) give a Code: its length M (segments) and bias cutoff
// Delta. A title's secret seed gives its Biases (one per segment); a copy's
// seed and the biases give its Codeword. A leak read back gives Decisions
// (A, B or erased per segment); decisions and biases give a Scorer, which
// scores a codeword and holds the threshold a copy must exceed to be
// accused. docs/tracing.md has the formulas and their sources.
package tardos

// Package keys holds the station's copy-key material: the HPKE envelope that
// carries it, per-disc key derivation, and zeroisation.
package keys

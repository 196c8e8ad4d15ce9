package tpm

import "copystation/atomicfile"

// writeFileAtomic writes b to path so that a crash leaves either the old
// file or the new one (the project's one atomic write, mode 0600).
func writeFileAtomic(path string, b []byte) error {
	return atomicfile.Write(path, b)
}

package packaging

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"sort"
)

// ErrUnknownLibrary means a binary links a shared library whose Debian
// package this file does not know: add it to sonamePackage rather than ship
// a package whose Depends miss it.
var ErrUnknownLibrary = errors.New("packaging: shared library without a known Debian package")

// sonamePackage maps the sonames the daemons link (cgo: SQLite is compiled
// in; the reference TPM links OpenSSL's libcrypto) to the bookworm packages
// that ship them, what dpkg-shlibdeps would find.
var sonamePackage = map[string]string{
	"libc.so.6": "libc6",
	// Go's arm64 linker names the dynamic loader as a DT_NEEDED entry too.
	"ld-linux-aarch64.so.1": "libc6",
	"ld-linux-x86-64.so.2":  "libc6",
	"libm.so.6":             "libc6",
	"libpthread.so.0":       "libc6",
	"libdl.so.2":            "libc6",
	"libresolv.so.2":        "libc6",
	"libcrypto.so.3":        "libssl3",
	"libssl.so.3":           "libssl3",
}

// LibDepends reads an ELF binary's DT_NEEDED entries and returns the
// packages they come from, sorted, each once.
func LibDepends(binary []byte) ([]string, error) {
	f, err := elf.NewFile(bytes.NewReader(binary))
	if err != nil {
		return nil, fmt.Errorf("packaging.LibDepends: %w", err)
	}
	defer f.Close()
	libs, err := f.ImportedLibraries()
	if err != nil {
		return nil, fmt.Errorf("packaging.LibDepends: %w", err)
	}
	seen := map[string]bool{}
	var out []string
	for _, l := range libs {
		pkg, ok := sonamePackage[l]
		if !ok {
			return nil, fmt.Errorf("%w: %s", ErrUnknownLibrary, l)
		}
		if !seen[pkg] {
			seen[pkg] = true
			out = append(out, pkg)
		}
	}
	sort.Strings(out)
	return out, nil
}

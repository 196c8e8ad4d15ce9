package titlepkg

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"os"
)

// Inspect checks what can be checked of the package file at path without
// the package key, which the network releases only with a copy's keys,
// after the token is spent: the file is there and readable, its manifest
// parses and names titleID, the file is exactly as long as the manifest
// says, and the integrity root is SHA-256 over the chunk tags as stored
// (the tags are in clear). A station runs it before it asks for a spend,
// so a missing, truncated or garbled package costs no token. The manifest's
// MAC and every chunk's GCM tag need the key: Open and Verify check them.
func Inspect(path, titleID string) (*Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("titlepkg.Inspect: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("titlepkg.Inspect: %w", err)
	}
	return InspectReader(f, st.Size(), titleID)
}

// ReadManifest reads and parses the manifest of the package file at path,
// nothing more: what an issuer or a station needs of a package it holds no
// key for (its title, segments and share roots). The manifest's MAC is not
// checked here; Open checks it under the key.
func ReadManifest(path string) (*Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("titlepkg.ReadManifest: %w", err)
	}
	defer f.Close()
	var head [16]byte
	if _, err := f.ReadAt(head[:], 0); err != nil {
		return nil, fmt.Errorf("titlepkg.ReadManifest: %s: %w: reading the header: %v", path, ErrFormat, err)
	}
	n, err := ManifestLen(head[:])
	if err != nil {
		return nil, fmt.Errorf("titlepkg.ReadManifest: %s: %w", path, err)
	}
	enc := make([]byte, n)
	if _, err := f.ReadAt(enc, 0); err != nil {
		return nil, fmt.Errorf("titlepkg.ReadManifest: %s: %w: reading the manifest: %v", path, ErrFormat, err)
	}
	m, err := ParseManifest(enc)
	if err != nil {
		return nil, fmt.Errorf("titlepkg.ReadManifest: %s: %w", path, err)
	}
	return m, nil
}

// InspectReader is Inspect over any io.ReaderAt of the given size.
func InspectReader(f io.ReaderAt, size int64, titleID string) (*Manifest, error) {
	var head [16]byte
	if _, err := f.ReadAt(head[:], 0); err != nil {
		return nil, fmt.Errorf("titlepkg.Inspect: %w: reading the header: %v", ErrFormat, err)
	}
	n, err := ManifestLen(head[:])
	if err != nil {
		return nil, fmt.Errorf("titlepkg.Inspect: %w", errors.Unwrap(err))
	}
	enc := make([]byte, n)
	if _, err := f.ReadAt(enc, 0); err != nil {
		return nil, fmt.Errorf("titlepkg.Inspect: %w: reading the manifest: %v", ErrFormat, err)
	}
	m, err := ParseManifest(enc)
	if err != nil {
		return nil, fmt.Errorf("titlepkg.Inspect: %w", errors.Unwrap(err))
	}
	switch {
	case m.TitleID != titleID:
		return nil, fmt.Errorf("titlepkg.Inspect: %w: the package is title %q, not %q", ErrFormat, m.TitleID, titleID)
	case m.FileSize() != size:
		return nil, fmt.Errorf("titlepkg.Inspect: %w: file is %d bytes, manifest says %d (truncated or extended)", ErrFormat, size, m.FileSize())
	}
	root := sha256.New()
	var tag [TagSize]byte
	for i, c := range m.layout() {
		if _, err := f.ReadAt(tag[:], int64(n)+m.bodyOff(i)+c.n); err != nil {
			return nil, fmt.Errorf("titlepkg.Inspect: chunk %d: reading its tag: %w", i, err)
		}
		root.Write(tag[:])
	}
	if subtle.ConstantTimeCompare(root.Sum(nil), m.Root[:]) != 1 {
		return nil, fmt.Errorf("titlepkg.Inspect: %w: integrity root does not match the chunk tags", ErrAuth)
	}
	return m, nil
}

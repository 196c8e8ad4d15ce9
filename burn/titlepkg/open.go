package titlepkg

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// ChunkError says which chunk of a package failed and why.
type ChunkError struct {
	Index uint64
	Err   error
}

func (e *ChunkError) Error() string { return fmt.Sprintf("chunk %d: %v", e.Index, e.Err) }
func (e *ChunkError) Unwrap() error { return e.Err }

// Package is an opened title package whose manifest has been authenticated.
// Its methods are safe for concurrent use.
type Package struct {
	r      io.ReaderAt
	src    source      // where FetchChunk reads chunks: r, or direct reads of the file
	closer []io.Closer // what Open opened
	m      *Manifest
	s      *sealer
	base   int64 // file offset of chunk 0
}

// Open opens the package file at path and authenticates its manifest with
// the base key. Chunks are authenticated as they are read; a chunk of a
// variant whose key is not in keys does not open (ErrNoKey).
func Open(path string, keys *Keys) (*Package, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("titlepkg.Open: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("titlepkg.Open: %w", err)
	}
	p, err := OpenReader(f, st.Size(), keys)
	if err != nil {
		f.Close()
		return nil, err
	}
	var direct io.Closer
	p.src, direct = openSource(f)
	p.closer = []io.Closer{f}
	if direct != nil {
		p.closer = append(p.closer, direct)
	}
	return p, nil
}

// OpenReader is Open over any io.ReaderAt of the given size.
func OpenReader(r io.ReaderAt, size int64, keys *Keys) (*Package, error) {
	var head [16]byte
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return nil, fmt.Errorf("titlepkg.Open: %w: reading the header: %v", ErrFormat, err)
	}
	n, err := ManifestLen(head[:])
	if err != nil {
		return nil, fmt.Errorf("titlepkg.Open: %w", errors.Unwrap(err))
	}
	enc := make([]byte, n)
	if _, err := r.ReadAt(enc, 0); err != nil {
		return nil, fmt.Errorf("titlepkg.Open: %w: reading the manifest: %v", ErrFormat, err)
	}
	m, err := ParseManifest(enc)
	if err != nil {
		return nil, fmt.Errorf("titlepkg.Open: %w", errors.Unwrap(err))
	}
	if m.FileSize() != size {
		return nil, fmt.Errorf("titlepkg.Open: %w: file is %d bytes, manifest says %d (truncated or extended)", ErrFormat, size, m.FileSize())
	}
	s, err := newSealer(keys, m)
	if err != nil {
		return nil, fmt.Errorf("titlepkg.Open: %w", err)
	}
	if !hmac.Equal(s.mac(enc), m.MAC[:]) {
		s.wipe()
		return nil, fmt.Errorf("titlepkg.Open: %w: manifest MAC does not match (altered package or wrong base key)", ErrAuth)
	}
	m.layout()
	s.aad = headerHash(enc)
	return &Package{r: r, src: readerSource{r}, m: m, s: s, base: int64(n)}, nil
}

// Manifest returns the authenticated manifest. Callers must not modify it.
func (p *Package) Manifest() *Manifest { return p.m }

// ChunkBufSize is the buffer size ReadChunk and FetchChunk read into
// best: one chunk and its tag, and room to read the whole pages of the
// file around them (source_linux.go). A buffer of ChunkLen(i)+TagSize
// bytes also works, read through the page cache.
func (p *Package) ChunkBufSize() int { return int(p.m.ChunkSize) + TagSize + directSlack }

// ChunkLen is chunk i's plaintext length.
func (p *Package) ChunkLen(i uint64) int64 { return p.m.chunks[i].n }

// HasKey reports whether the keys given to Open open chunk i.
func (p *Package) HasKey(i uint64) bool {
	return i < p.m.ChunkCount && p.s.regions[p.m.chunks[i].region] != nil
}

// Region is the stream region chunk i belongs to.
func (p *Package) Region(i uint64) Region { return p.m.chunks[i].region }

// ChunkOffset is chunk i's file offset: where its ciphertext starts; its
// tag follows the ChunkLen(i) bytes of ciphertext.
func (p *Package) ChunkOffset(i uint64) int64 { return p.base + p.m.bodyOff(int(i)) }

// ReadChunk reads chunk i into buf (as FetchChunk), checks its tag and
// decrypts it in place. It returns the plaintext (a slice of buf) and the
// tag. No plaintext is returned unless the chunk authenticates.
func (p *Package) ReadChunk(i uint64, buf []byte) (plain []byte, tag [TagSize]byte, err error) {
	ct, err := p.FetchChunk(i, buf)
	if err != nil {
		return nil, tag, err
	}
	copy(tag[:], ct[len(ct)-TagSize:])
	plain, err = p.OpenChunk(i, ct)
	return plain, tag, err
}

// FetchChunk reads chunk i's ciphertext and tag, unchecked, into buf
// (ChunkBufSize bytes best, at least ChunkLen(i)+TagSize) and returns them
// (a slice of buf, not necessarily at its start); OpenChunk then opens
// them. A file cut short since Open fails with ErrPackageChanged.
// ReadChunk does both: a caller splits them to wait for the file outside
// whatever it holds while it decrypts.
func (p *Package) FetchChunk(i uint64, buf []byte) ([]byte, error) {
	if i >= p.m.ChunkCount {
		return nil, &ChunkError{i, fmt.Errorf("%w: index past the last chunk %d", ErrFormat, p.m.ChunkCount-1)}
	}
	n := p.ChunkLen(i) + TagSize
	if int64(len(buf)) < n {
		return nil, &ChunkError{i, fmt.Errorf("%w: buffer of %d bytes, need %d", ErrSpec, len(buf), n)}
	}
	if p.s.regions[p.m.chunks[i].region] == nil {
		return nil, &ChunkError{i, ErrNoKey}
	}
	off := p.ChunkOffset(i)
	ct, err := p.src.fetch(buf, off, n)
	if err != nil {
		return nil, &ChunkError{i, fmt.Errorf("reading at offset %d: %w", off, err)}
	}
	return ct, nil
}

// OpenChunk checks the tag of chunk i's ciphertext and tag as FetchChunk
// returned them and decrypts it in place. It returns the plaintext (a
// prefix of ct); on failure ct is wiped and no plaintext is returned.
func (p *Package) OpenChunk(i uint64, ct []byte) ([]byte, error) {
	if i >= p.m.ChunkCount || int64(len(ct)) != p.ChunkLen(i)+TagSize {
		return nil, &ChunkError{i, fmt.Errorf("%w: %d bytes are not chunk %d with its tag", ErrSpec, len(ct), i)}
	}
	aead := p.s.regions[p.m.chunks[i].region]
	if aead == nil {
		return nil, &ChunkError{i, ErrNoKey}
	}
	plain, err := aead.Open(ct[:0], p.s.nonce(i), ct, p.s.aad[:])
	if err != nil {
		clear(ct)
		return nil, &ChunkError{i, fmt.Errorf("%w: chunk tag does not match (altered, moved or truncated)", ErrAuth)}
	}
	return plain, nil
}

// Verify authenticates every chunk it holds the key of, with the given
// number of workers, and checks the integrity root over every chunk's tag
// (those of variants it cannot open included), without releasing
// plaintext. done, if not nil,
// is called with the plaintext bytes checked so far (from one goroutine at a
// time). It is the first pass of a copy: nothing reaches a drive unless the
// whole package is sound.
func (p *Package) Verify(ctx context.Context, workers int, done func(int64)) error {
	workers = max(1, min(workers, 16))
	var (
		mu    sync.Mutex
		first error
		total int64
	)
	next := make(chan uint64)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, p.ChunkBufSize())
			for i := range next {
				_, _, err := p.ReadChunk(i, buf)
				mu.Lock()
				if err != nil && first == nil {
					first = err
				}
				total += p.ChunkLen(i)
				if done != nil && err == nil {
					done(total)
				}
				mu.Unlock()
			}
		}()
	}
	// Tags are read by the dispatcher in order for the root: cheap, 16
	// bytes per chunk, and independent of the workers' order.
	root := sha256.New()
	var err error
	for i := uint64(0); i < p.m.ChunkCount; i++ {
		var tag [TagSize]byte
		off := p.ChunkOffset(i) + p.ChunkLen(i)
		if _, rerr := p.r.ReadAt(tag[:], off); rerr != nil {
			err = &ChunkError{i, fmt.Errorf("reading tag: %w", rerr)}
			break
		}
		root.Write(tag[:])
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed {
			break
		}
		if !p.HasKey(i) {
			continue
		}
		select {
		case next <- i:
		case <-ctx.Done():
			err = ctx.Err()
		}
		if err != nil {
			break
		}
	}
	close(next)
	wg.Wait()
	switch {
	case first != nil:
		return fmt.Errorf("titlepkg.Verify: %w", first)
	case err != nil:
		return fmt.Errorf("titlepkg.Verify: %w", err)
	case !hmac.Equal(root.Sum(nil), p.m.Root[:]):
		return fmt.Errorf("titlepkg.Verify: %w: integrity root does not match the chunk tags", ErrAuth)
	}
	return nil
}

// Close wipes the derived keys and closes the files Open opened.
func (p *Package) Close() error {
	p.s.wipe()
	var errs []error
	for _, c := range p.closer {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

package burn

import (
	"fmt"

	"copystation/burn/titlepkg"
)

// keptChunk is a package chunk the copy carries: its index in the package
// and where its plaintext starts in the disc image.
type keptChunk struct {
	i   uint64
	off int64
}

// planChunks lists, in stream order, the chunks a copy with codeword cw
// carries: every chunk of the base region and, for each forensic segment,
// those of the variant the codeword names (titlepkg.CodewordBit). No chunk
// spans two regions, so each is kept or dropped whole, and a kept chunk's
// plaintext lands in one contiguous run of the image: the pipeline opens it
// straight into place instead of copying it there. The other variant's
// chunks are never read. A chunk the copy keeps but holds no key for means
// the keys do not match the codeword.
func planChunks(p *titlepkg.Package, cw []byte) ([]keptChunk, error) {
	m := p.Manifest()
	kept := make([]keptChunk, 0, m.ChunkCount)
	var off int64
	for i := range m.ChunkCount {
		if r := p.Region(i); r != titlepkg.BaseRegion {
			s, v := r.Segment()
			if titlepkg.CodewordBit(cw, s) != v {
				continue
			}
		}
		if !p.HasKey(i) {
			return nil, fmt.Errorf("%w: no key for chunk %d (image bytes %d to %d), which this copy's codeword keeps", ErrJob, i, off, off+p.ChunkLen(i))
		}
		kept = append(kept, keptChunk{i, off})
		off += p.ChunkLen(i)
	}
	if off != m.ImageSize {
		return nil, fmt.Errorf("%w: the kept chunks make %d image bytes, the manifest says %d", ErrPackage, off, m.ImageSize)
	}
	return kept, nil
}

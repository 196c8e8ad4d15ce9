package titlepkg

// Region is a part of the stream under one key: the base region (every
// byte outside the forensic segments) or one variant of one segment.
type Region uint32

// BaseRegion is the image outside the forensic segments.
const BaseRegion Region = 0

// VariantRegion is variant v (0 = A, 1 = B) of segment s.
func VariantRegion(s, v int) Region { return Region(1 + 2*s + v) }

// Segment returns the segment and variant of a variant region.
func (r Region) Segment() (s, v int) { return int(r-1) / 2, int(r-1) % 2 }

// chunk is one chunk of the stream: where its plaintext starts in the
// stream, its length, and its region. No chunk spans two regions, so a
// chunk opens with exactly one key.
type chunk struct {
	off    int64
	n      int64
	region Region
}

// runs calls f for each run of the stream in order: the base region
// between segments, then each segment's variant A and variant B. The
// stream order is image[0:s_0] ‖ A_0 ‖ B_0 ‖ image[…] ‖ A_1 ‖ …
func (m *Manifest) runs(f func(n int64, r Region)) {
	var pos int64 // image bytes placed
	for i, sg := range m.Segments {
		start := int64(sg.Start) * SectorSize
		n := int64(sg.Sectors) * SectorSize
		f(start-pos, BaseRegion)
		f(n, VariantRegion(i, 0))
		f(n, VariantRegion(i, 1))
		pos = start + n
	}
	f(m.ImageSize-pos, BaseRegion)
}

// bodyOff is chunk i's offset in the file after the manifest: the
// plaintext before it plus one tag per chunk before it.
func (m *Manifest) bodyOff(i int) int64 { return m.chunks[i].off + int64(i)*TagSize }

// chunkCount is the number of chunks the sizes imply: each run is cut
// into chunks of the chunk size, the last of each run shorter.
func (m *Manifest) chunkCount() uint64 {
	if m.ChunkSize == 0 {
		return 0
	}
	var count uint64
	m.runs(func(n int64, _ Region) {
		if n > 0 {
			count += uint64((n + int64(m.ChunkSize) - 1) / int64(m.ChunkSize))
		}
	})
	return count
}

// layout lists the chunks. It is built when a package is opened (a
// 25 GB image in 1 MiB chunks is about 24,000 entries), not when a
// manifest is parsed, so a hostile manifest costs no memory.
func (m *Manifest) layout() []chunk {
	if m.chunks != nil {
		return m.chunks
	}
	out := make([]chunk, 0, m.chunkCount())
	var off int64 // stream offset
	m.runs(func(n int64, r Region) {
		for n > 0 {
			c := min(n, int64(m.ChunkSize))
			out = append(out, chunk{off, c, r})
			off, n = off+c, n-c
		}
	})
	m.chunks = out
	return out
}

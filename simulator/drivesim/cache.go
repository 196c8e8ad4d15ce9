package drivesim

import "copystation/drive"

// cacheSectors is the write cache capacity in sectors.
func (d *Drive) cacheSectors() uint32 { return uint32(d.opts.CacheSize / drive.SectorSize) }

// cacheAdd records a write that now sits in the cache. The oldest cached
// sectors spill to the medium when the cache is full.
func (d *Drive) cacheAdd(lba, n uint32) {
	disc := d.disc
	if k := len(disc.cache); k > 0 && disc.cache[k-1].lba+disc.cache[k-1].n == lba {
		disc.cache[k-1].n += n
	} else {
		disc.cache = append(disc.cache, extent{lba, n})
	}
	disc.cacheTotal += n
	for limit := d.cacheSectors(); disc.cacheTotal > limit; {
		e := &disc.cache[0]
		spill := min(e.n, disc.cacheTotal-limit)
		e.lba, e.n = e.lba+spill, e.n-spill
		disc.cacheTotal -= spill
		if e.n == 0 {
			disc.cache = disc.cache[1:]
		}
	}
}

// flushCache writes the cache to the medium. On a BD-R the drive then pads
// each open track's last ECC cluster, so the next writable address is
// cluster aligned again.
func (d *Drive) flushCache() {
	disc := d.disc
	if disc == nil {
		return
	}
	disc.cache, disc.cacheTotal = disc.cache[:0], 0
	for _, t := range disc.tracks {
		if !t.closed && !t.blank() {
			t.nwa = min(t.end(), alignUp(t.nwa))
		}
	}
}

func alignUp(lba uint32) uint32 {
	return (lba + drive.ClusterSectors - 1) / drive.ClusterSectors * drive.ClusterSectors
}

// loseCache discards the cache, as a power loss does: on a BD-R the
// cached sectors were never recorded, so each track's NWA falls back; on a
// BD-RE the sectors being rewritten are left blank.
func (d *Drive) loseCache() {
	disc := d.disc
	if disc == nil {
		return
	}
	for _, e := range disc.cache {
		if disc.erasable() {
			zero := make([]byte, int(e.n)*drive.SectorSize)
			disc.f.WriteAt(zero, int64(e.lba)*drive.SectorSize) // best effort: the data is lost either way
			continue
		}
		if t := disc.trackAt(e.lba); t != nil && e.lba < t.nwa {
			t.nwa = e.lba
		}
	}
	disc.cache, disc.cacheTotal = disc.cache[:0], 0
}

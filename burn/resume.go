package burn

import (
	"context"
	"fmt"

	"copystation/burn/disc"
	"copystation/drive"
)

// A copy cut off while writing (the station died, the drive stayed up or
// kept what it had synced) leaves a BD-R whose first track is still open:
// the copy's first sectors are on it, up to the track's next writable
// address (NWA). Job.Resume writes the same copy again from there. A copy
// is deterministic given its keys (the header is sealed with a fixed nonce
// under a per-disc key, the sectors are CTR-encrypted by sector number, the
// tags are GMACs of the ciphertext), so the copier computes every sector
// again and sends the drive only those from the NWA on; the verify phase
// then reads the whole copy back, the sectors written before the cut
// included, and a disc that does not match is spoiled as usual.

// resumeFrom returns where a resumed copy continues: the NWA of the disc's
// only open track, which must start at LBA 0, lie inside the layout and
// fall on a cluster boundary (writes go in whole clusters).
func resumeFrom(mi *drive.MediaInfo, l disc.Layout) (uint32, error) {
	switch {
	case mi.Profile != drive.ProfileBDRSRM:
		return 0, fmt.Errorf("%w: only a sequential BD-R can be continued, not profile %#04x", ErrWrongDisc, uint16(mi.Profile))
	case mi.State != drive.StateAppendable || mi.Sessions > 1 || mi.OpenTrack != 1 || !mi.NextWritableValid:
		return 0, fmt.Errorf("%w: the disc is %s with %d session(s), open track %d: not a copy cut off while writing", ErrWrongDisc, mi.State, mi.Sessions, mi.OpenTrack)
	case l.StartLBA != 0 || uint64(mi.NextWritable) > l.Sectors() || mi.NextWritable%disc.ClusterSectors != 0:
		return 0, fmt.Errorf("%w: next writable address %d is not a cluster boundary inside the copy's %d sectors", ErrWrongDisc, mi.NextWritable, l.Sectors())
	}
	return mi.NextWritable, nil
}

// resumeDevice sends the drive only the writes at or past from; the disc
// already holds the sectors before it.
type resumeDevice struct {
	device
	from uint32
}

func (r resumeDevice) write(ctx context.Context, lba uint32, p []byte) error {
	end := lba + uint32(len(p)/disc.SectorSize)
	switch {
	case end <= r.from:
		return nil
	case lba < r.from:
		p, lba = p[int(r.from-lba)*disc.SectorSize:], r.from
	}
	return r.device.write(ctx, lba, p)
}

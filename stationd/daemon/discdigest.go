package daemon

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"

	"copystation/burn/disc"
)

// DiscDigest recomputes, from a written disc, the hash the burn pipeline
// reports as the copy's disc digest (burn.Result.DiscDigest): SHA-256 of the
// header sector followed by the integrity table region, both as read back.
// Every table entry is a MAC of one written cluster, so the hash covers the
// whole disc. A daemon that died after verification, while finalising,
// uses it to finish a verified disc instead of spoiling it. The header must
// name the job's copy and media.
func (d *MMCDrive) DiscDigest(ctx context.Context, copyID string, mediaID []byte) ([]byte, error) {
	const start = 0 // a copy is the only thing on its disc
	sec := make([]byte, disc.SectorSize)
	if err := d.D.Read(ctx, start, sec); err != nil {
		return nil, fmt.Errorf("disc hash: read the header: %w", err)
	}
	h, err := disc.Parse(sec)
	if err != nil {
		return nil, fmt.Errorf("disc hash: %w", err)
	}
	if h.StartLBA != start || h.CopyID != copyID || !bytes.Equal(h.MediaID, mediaID) {
		return nil, fmt.Errorf("disc hash: the header names copy %q on media %x, not this job's", h.CopyID, h.MediaID)
	}
	sum := sha256.New()
	sum.Write(sec)
	buf := make([]byte, 32*disc.SectorSize)
	lba, end := h.TableLBA(), h.TableLBA()+h.TableSectors
	for lba < end {
		n := min(32, end-lba)
		p := buf[:n*disc.SectorSize]
		if err := d.D.Read(ctx, lba, p); err != nil {
			return nil, fmt.Errorf("disc hash: read the integrity table at LBA %d: %w", lba, err)
		}
		sum.Write(p)
		lba += n
	}
	return sum.Sum(nil), nil
}

// discDigester is a Drive that can recompute a written copy's hash.
type discDigester interface {
	DiscDigest(ctx context.Context, copyID string, mediaID []byte) ([]byte, error)
}

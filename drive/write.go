package drive

import (
	"context"
	"errors"
	"fmt"
)

// maxTransferSectors is the largest single READ or WRITE the Drive sends
// to a transport that says nothing of its limits: one ECC cluster, which
// fits every transport's payload limit.
const maxTransferSectors = ClusterSectors

// TransferLimiter is a Transport that takes READ and WRITE commands of more
// than one ECC cluster. Drive.Read and Drive.Write send it up to
// MaxTransferSectors sectors per command, rounded down to whole clusters;
// fewer commands for the same data cost the host less CPU.
type TransferLimiter interface {
	MaxTransferSectors() uint32
}

// transferSectors is the largest READ or WRITE to send over t.
func transferSectors(t Transport) uint32 {
	if l, ok := t.(TransferLimiter); ok {
		if n := l.MaxTransferSectors() / ClusterSectors * ClusterSectors; n > maxTransferSectors {
			return n
		}
	}
	return maxTransferSectors
}

// Write writes p, a whole number of sectors, at lba with WRITE(12) and the
// streaming bit, one cluster per command (more if the transport is a
// TransferLimiter). Recoverable conditions (long
// write in progress, becoming ready, busy) are retried with backoff; any
// other failure is a *SenseError naming the sense and the LBA.
func (d *Drive) Write(ctx context.Context, lba uint32, p []byte) error {
	if len(p)%SectorSize != 0 {
		return fmt.Errorf("drive.Write: %d bytes is not a whole number of %d-byte sectors: %w", len(p), SectorSize, ErrIllegalRequest)
	}
	t := d.bound(ctx)
	for len(p) > 0 {
		n := min(len(p)/SectorSize, int(d.xfer))
		w := Write12{Streaming: true, LBA: lba, Blocks: uint32(n), Data: p[:n*SectorSize]}
		if err := d.retry(ctx, "Write", func() error { return w.Execute(t) }); err != nil {
			return fmt.Errorf("%w (writing %d sectors at LBA %d)", err, n, lba)
		}
		lba += uint32(n)
		p = p[n*SectorSize:]
	}
	return nil
}

// Read reads len(p)/2048 sectors at lba with READ(12), one cluster per
// command (more if the transport is a TransferLimiter).
func (d *Drive) Read(ctx context.Context, lba uint32, p []byte) error {
	if len(p)%SectorSize != 0 {
		return fmt.Errorf("drive.Read: %d bytes is not a whole number of %d-byte sectors: %w", len(p), SectorSize, ErrIllegalRequest)
	}
	t := d.bound(ctx)
	for len(p) > 0 {
		n := min(len(p)/SectorSize, int(d.xfer))
		r := Read12{LBA: lba, Blocks: uint32(n), Buf: p[:n*SectorSize]}
		if err := d.retry(ctx, "Read", func() error { return r.Execute(t) }); err != nil {
			return fmt.Errorf("%w (reading %d sectors at LBA %d)", err, n, lba)
		}
		lba += uint32(n)
		p = p[n*SectorSize:]
	}
	return nil
}

// longOp sends a command that may take minutes with its IMMED bit set and
// polls TEST UNIT READY until the drive is done: "long write in progress"
// and "operation in progress" are waited out; a deferred error reported on
// the way (a cached write that failed) is returned. Drives that refuse
// IMMED (ILLEGAL REQUEST) get the command again without it.
func (d *Drive) longOp(ctx context.Context, op string, run func(t Transport, immed bool) error) error {
	t := d.bound(ctx)
	err := d.retry(ctx, op, func() error { return run(t, true) })
	if errors.Is(err, ErrIllegalRequest) {
		d.log.Debug("drive: IMMED refused, running synchronously", "op", op, "err", err)
		err = d.retry(ctx, op, func() error { return run(t, false) })
	}
	if err != nil {
		return err
	}
	return d.poll(ctx, op, retryable, func() error { return TestUnitReady{}.Execute(t) })
}

// SynchronizeCache makes the drive write its cache to the medium and waits
// until it has.
func (d *Drive) SynchronizeCache(ctx context.Context) error {
	return d.longOp(ctx, "SynchronizeCache", func(t Transport, immed bool) error {
		return SynchronizeCache{Immed: immed}.Execute(t)
	})
}

// CloseTrack closes track number track (BD-R).
func (d *Drive) CloseTrack(ctx context.Context, track uint16) error {
	return d.closeOp(ctx, "CloseTrack", CloseTrack, track)
}

// CloseSession closes the open session; the disc stays appendable.
func (d *Drive) CloseSession(ctx context.Context) error {
	return d.closeOp(ctx, "CloseSession", CloseSession, 0)
}

// Finalize closes the session and the disc: nothing more can be written.
func (d *Drive) Finalize(ctx context.Context) error {
	return d.closeOp(ctx, "Finalize", CloseFinalize, 0)
}

func (d *Drive) closeOp(ctx context.Context, op string, fn CloseFunction, n uint16) error {
	return d.longOp(ctx, op, func(t Transport, immed bool) error {
		return CloseTrackSession{Immed: immed, Function: fn, Number: n}.Execute(t)
	})
}

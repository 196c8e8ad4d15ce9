package drivesim

import (
	"copystation/drive"
	"fmt"
)

// transfer decodes the LBA and transfer length of READ/WRITE (10) and (12).
func transfer(cdb []byte) (lba, n uint32) {
	lba = be32(cdb[2:6])
	if cdb[0] == byte(drive.OpRead10) || cdb[0] == byte(drive.OpWrite10) {
		return lba, uint32(be16(cdb[7:9]))
	}
	return lba, be32(cdb[6:10])
}

// read (MMC-6 6.15, 6.16) reads recorded sectors into the buffer.
func (d *Drive) read(c *cmd) reply {
	lba, n := transfer(c.cdb)
	if n == 0 {
		return reply{}
	}
	size := int(n) * drive.SectorSize
	if c.dir != drive.DirIn || len(c.buf) < size {
		return reply{err: fmt.Errorf("drivesim.Do: READ of %d sectors needs a %d-byte data-in buffer, got %d: %w",
			n, size, len(c.buf), ErrBadCommand)}
	}
	disc := d.disc
	if disc.erasable() && disc.formatted == 0 {
		return fail(newSense(CondMediumNotFormatted))
	}
	if uint64(lba)+uint64(n) > uint64(disc.capacity()) {
		return fail(newSense(CondLBAOutOfRange).atLBA(max(lba, disc.capacity())))
	}
	if at, ok := d.firstUnrecorded(lba, n); ok {
		return fail(newSense(CondLBAOutOfRange).atLBA(at))
	}
	if f, at := d.fire(FaultMediumError, c.op(), lba, n); f != nil {
		return fail(newSense(CondUnrecoveredRead).atLBA(at))
	}
	if _, err := disc.f.ReadAt(c.buf[:size], int64(lba)*drive.SectorSize); err != nil {
		return reply{err: fmt.Errorf("drivesim.Do: READ LBA %d: disc file: %v: %w", lba, err, drive.ErrTransport)}
	}
	return reply{n: size, until: d.queueRead(c.now, lba, n)}
}

// firstUnrecorded finds the first sector of [lba, lba+n) that holds no
// data: reading it fails as reading past the recorded area of a BD-R does.
func (d *Drive) firstUnrecorded(lba, n uint32) (uint32, bool) {
	disc := d.disc
	if disc.erasable() {
		return 0, false
	}
	end := lba + n
	for l := lba; l < end; {
		t := disc.trackAt(l)
		if t == nil || l >= t.nwa {
			return l, true
		}
		l = min(end, t.nwa)
	}
	return 0, false
}

// maxTransfer is the most sectors the simulator advertises per READ or
// WRITE: 1 MiB (16 ECC clusters). It executes any length; beyond 1 MiB a
// host saves no more CPU per byte (BenchmarkWrite12).
const maxTransfer = 512

// MaxTransferSectors lets drive.Drive send up to 1 MiB per READ or WRITE
// (drive.TransferLimiter).
func (d *Drive) MaxTransferSectors() uint32 { return maxTransfer }

var _ drive.TransferLimiter = (*Drive)(nil)

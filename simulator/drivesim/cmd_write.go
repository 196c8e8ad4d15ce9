package drivesim

import (
	"copystation/drive"
	"fmt"
	"time"
)

// write (MMC-6 6.44, 6.45) records whole sectors. A BD-R accepts a write
// only at the next writable address of an open track; a BD-RE anywhere in
// its formatted area.
func (d *Drive) write(c *cmd) reply {
	lba, n := transfer(c.cdb)
	fua := c.cdb[1]&0x08 != 0
	if n == 0 {
		return reply{}
	}
	if err := dataOut(c, int(n)*drive.SectorSize); err != nil {
		return reply{err: err}
	}
	disc := d.disc
	end := uint64(lba) + uint64(n)
	var t *track
	if disc.erasable() {
		if disc.formatted == 0 {
			return fail(newSense(CondMediumNotFormatted))
		}
		if end > uint64(disc.formatted) {
			return fail(newSense(CondLBAOutOfRange).atLBA(lba))
		}
	} else {
		if end > uint64(disc.media.Sectors()) {
			return fail(newSense(CondLBAOutOfRange).atLBA(lba))
		}
		t = disc.trackAt(lba)
		if t == nil || t.closed || lba != t.nwa || end > uint64(t.end()) {
			return fail(newSense(CondInvalidAddrForWrite).atLBA(lba))
		}
	}
	if f, _ := d.fire(FaultPowerLoss, c.op(), lba, n); f != nil {
		d.reset(c.now, true)
		return reply{err: fmt.Errorf("drivesim.Do: WRITE LBA %d: %w: %w", lba, ErrPowerLoss, drive.ErrTransport)}
	}
	if f, at := d.fire(FaultWriteError, c.op(), lba, n); f != nil {
		return fail(newSense(CondWriteError).atLBA(at))
	}
	if _, err := disc.f.WriteAt(c.buf, int64(lba)*drive.SectorSize); err != nil {
		return reply{err: fmt.Errorf("drivesim.Do: WRITE LBA %d: disc file: %v: %w", lba, err, drive.ErrTransport)}
	}
	if t != nil {
		t.nwa += n
	}
	until := d.queueWrite(c.now, len(c.buf))
	if fua {
		until = d.drainAt
	} else {
		d.cacheAdd(lba, n)
	}
	d.wrote(maxTime(c.now, until))
	return reply{n: len(c.buf), until: until}
}

// synchronizeCache (MMC-6 6.41) empties the write cache. With IMMED it
// returns at once and the drive reports LONG WRITE IN PROGRESS until done.
func (d *Drive) synchronizeCache(c *cmd) reply {
	d.flushCache()
	d.endStream()
	return d.slow(c, c.cdb[1]&0x02 != 0, 0)
}

// slow completes a command after the buffer drains plus extra model time,
// or at once with IMMED, leaving the drive busy meanwhile.
func (d *Drive) slow(c *cmd, immed bool, extra time.Duration) reply {
	until := maxTime(c.now, d.drainAt).Add(d.scaled(extra))
	if !until.After(c.now) {
		return reply{}
	}
	if immed {
		d.startBusy(CondLongWriteInProgress, c.now, until)
		return reply{}
	}
	return reply{until: until}
}

// Close functions of CLOSE TRACK/SESSION for BD-R (MMC-6 6.3, table 41).
const (
	closeTrack    = 0x1
	closeSession  = 0x2
	closeFinalize = 0x6
)

// closeTrackSession (MMC-6 6.3) closes a track or the session, or
// finalises the disc.
func (d *Drive) closeTrackSession(c *cmd) reply {
	immed, fn, num := c.cdb[1]&0x01 != 0, c.cdb[2]&0x07, be16(c.cdb[4:6])
	disc := d.disc
	if fn != closeTrack && fn != closeSession && fn != closeFinalize {
		return fail(badCDB(2, 2))
	}
	d.endStream()
	if disc.erasable() {
		return reply{} // nothing to close on random-access media
	}
	if disc.finalized {
		return fail(newSense(CondCommandSequenceError))
	}
	d.flushCache()
	var took time.Duration
	switch fn {
	case closeTrack:
		if num < 1 || num > len(disc.tracks) {
			return fail(badCDB(4, 7))
		}
		t := disc.tracks[num-1]
		if t.closed {
			return reply{}
		}
		if t.blank() && t == disc.openTrack() {
			return fail(newSense(CondCommandSequenceError))
		}
		d.closeOne(t, true)
		took = closeTrackTime
	case closeSession:
		if disc.lastSessionEmpty() {
			return fail(newSense(CondCommandSequenceError))
		}
		d.closeLastSession()
		disc.sessions++
		d.openInvisible(disc.sessions)
		took = closeSessionTime
	case closeFinalize:
		if disc.blank() {
			return fail(newSense(CondCommandSequenceError))
		}
		if disc.lastSessionEmpty() {
			d.dropEmptyInvisible()
			disc.sessions--
		} else {
			d.closeLastSession()
		}
		disc.finalized = true
		took = finalizeTime
	}
	d.stats.Closing += d.scaled(took)
	return d.slow(c, immed, took)
}

// closeOne closes a track. The invisible track shrinks to what was
// recorded and a new invisible track opens after it when reopen is set; a
// reserved track is padded to its reserved size.
func (d *Drive) closeOne(t *track, reopen bool) {
	disc := d.disc
	invisible := t == disc.tracks[len(disc.tracks)-1]
	if invisible {
		t.size = alignUp(t.nwa) - t.start
	}
	t.nwa = t.end()
	t.closed = true
	if invisible && reopen {
		d.openInvisible(t.session)
	}
}

// openInvisible adds an open track after the last one, in session s, if
// the disc has room.
func (d *Drive) openInvisible(s int) {
	disc := d.disc
	last := disc.tracks[len(disc.tracks)-1]
	if last.end() >= disc.media.Sectors() {
		return
	}
	disc.tracks = append(disc.tracks, &track{number: last.number + 1, session: s,
		start: last.end(), size: disc.media.Sectors() - last.end(), nwa: last.end()})
}

// dropEmptyInvisible removes a blank invisible track.
func (d *Drive) dropEmptyInvisible() {
	disc := d.disc
	if t := disc.openTrack(); t != nil && t.blank() && len(disc.tracks) > 1 {
		disc.tracks = disc.tracks[:len(disc.tracks)-1]
	}
}

// closeLastSession closes every open track of the last session, dropping
// a blank invisible track.
func (d *Drive) closeLastSession() {
	d.dropEmptyInvisible()
	for _, t := range d.disc.tracks {
		if t.session == d.disc.sessions && !t.closed {
			d.closeOne(t, false)
		}
	}
}

// reserveTrack (MMC-6 6.31) fixes the size of the blank invisible track
// and opens a new invisible track after it.
func (d *Drive) reserveTrack(c *cmd) reply {
	disc := d.disc
	if disc.erasable() {
		return fail(newSense(CondIllegalModeForTrack))
	}
	if c.cdb[1]&0x01 != 0 { // ARSV: reservation by logical track address
		return fail(badCDB(1, 0))
	}
	t := disc.openTrack()
	if t == nil || !t.blank() {
		return fail(newSense(CondCommandSequenceError))
	}
	size := be32(c.cdb[5:9])
	if size == 0 {
		return fail(badCDB(5, 7))
	}
	size = alignUp(size)
	if uint64(t.start)+uint64(size) > uint64(t.end()) {
		return fail(badCDB(5, 7))
	}
	t.size = size
	d.openInvisible(t.session)
	return reply{}
}

// formatUnit (MMC-6 6.5) formats a BD-RE: type 00h or 30h keeps the
// default spare areas, 31h gives them up. The old contents are erased.
func (d *Drive) formatUnit(c *cmd) reply {
	if c.cdb[1]&0x17 != 0x11 { // FmtData=1, format code 001b
		return fail(badCDB(1, 4))
	}
	p := c.buf
	if c.dir != drive.DirOut || len(p) < 4 || be16(p[2:4]) != 8 || len(p) != 12 {
		return fail(newSense(CondParamListLength))
	}
	immed := p[1]&0x02 != 0
	blocks, typ := be32(p[4:8]), p[8]>>2
	disc := d.disc
	if !disc.erasable() {
		return fail(newSense(CondCannotWriteFormat))
	}
	var capacity uint32
	switch typ {
	case 0x00, 0x30:
		capacity = bdreSpareCapacity
	case 0x31:
		capacity = bdreNoSpareCapacity
	default:
		return fail(fieldPointer(CondInvalidFieldInParam, false, 8, 7))
	}
	if blocks > capacity {
		return fail(fieldPointer(CondInvalidFieldInParam, false, 4, 7))
	}
	disc.cache, disc.cacheTotal = disc.cache[:0], 0
	if err := eraseFile(disc); err != nil {
		return reply{err: fmt.Errorf("drivesim.Do: FORMAT UNIT: %v: %w", err, drive.ErrTransport)}
	}
	disc.formatted = capacity
	until := c.now.Add(d.scaled(formatTime))
	if !until.After(c.now) {
		return reply{}
	}
	if immed {
		d.startBusy(CondFormatInProgress, c.now, until)
		return reply{}
	}
	return reply{until: until}
}

// eraseFile empties the disc's sparse file, keeping its size.
func eraseFile(disc *Disc) error {
	if err := disc.f.Truncate(0); err != nil {
		return err
	}
	return disc.f.Truncate(int64(disc.media.Sectors()) * drive.SectorSize)
}

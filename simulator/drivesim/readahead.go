package drivesim

import (
	"copystation/drive"
	"time"
)

// ReadSpeedX is the speed the drive reads a BD at, in x (1x = 4.5 MB/s):
// 8x, 36 MB/s, what GET PERFORMANCE reports as the nominal read speed.
// The model is constant (CLV-like), not CAV: a BD-R 16x writer reads BD-R
// at 8x to 12x CAV, rising from the inside out, but a copy occupies the
// inner part of the disc, where a CAV drive reads slowest, and a constant
// speed makes the read bound exactly "bytes / read speed", the bound the
// tower bench uses.
const ReadSpeedX = 8

// ReadRate is the drive's read speed in bytes per second of modelled time.
const ReadRate = ReadSpeedX * oneXkBps * 1000

// sectorReadTime is the modelled time one 2,048-byte sector takes to read.
const sectorReadTime = time.Duration(drive.SectorSize * int64(time.Second) / ReadRate)

// readAhead is the drive's sequential prefetch: after a READ the drive
// keeps reading the following sectors into its buffer (the same
// Options.CacheSize bytes the write cache uses) until the buffer is full,
// so a READ that continues the stream finds its data, or part of it,
// already there. head is the first sector not yet read off the medium at
// time at; next is where a READ continuing the stream starts.
type readAhead struct {
	valid bool
	next  uint32
	head  uint32
	at    time.Time
}

// queueRead models a READ of n sectors at lba arriving at now and returns
// when it completes: at once when the prefetch already holds the data, or
// once the head has read the rest at ReadRate. A READ that does not
// continue the stream starts a new one at lba (seeking is not modelled:
// it costs nothing). Unthrottled, it returns the zero time.
func (d *Drive) queueRead(now time.Time, lba, n uint32) time.Time {
	if d.opts.TimeScale == 0 {
		return time.Time{}
	}
	per := d.scaled(sectorReadTime)
	if per <= 0 {
		return time.Time{}
	}
	ra := &d.ra
	head, t := lba, now
	if ra.valid && lba == ra.next {
		head, t = d.prefetched(now, per)
	} else {
		d.stats.ReadStreams++
	}
	end := lba + n
	until := t
	if end > head {
		until = t.Add(time.Duration(end-head) * per)
		head, t = end, until
	}
	*ra = readAhead{valid: true, next: end, head: head, at: t}
	d.stats.Reading += time.Duration(n) * per
	d.stats.ReadBytes += int64(n) * drive.SectorSize
	return until
}

// prefetched returns where the head of a continuing stream is at now (or
// at the end of a READ still in progress, if later) and accounts the time
// the drive sat idle with a full buffer, waiting for the host.
func (d *Drive) prefetched(now time.Time, per time.Duration) (uint32, time.Time) {
	ra := &d.ra
	if !now.After(ra.at) {
		return ra.head, ra.at // a READ queued behind one still reading
	}
	stop := ra.next + uint32(d.opts.CacheSize/drive.SectorSize)
	if cp := d.disc.capacity(); stop > cp {
		stop = cp
	}
	if ra.head >= stop {
		d.readIdle(now.Sub(ra.at))
		return ra.head, now
	}
	room := time.Duration(stop-ra.head) * per
	if ran := now.Sub(ra.at); ran < room {
		return ra.head + uint32(ran/per), now
	}
	d.readIdle(now.Sub(ra.at.Add(room)))
	return stop, now
}

// readIdle accounts a stall: the drive's buffer was full and it stopped
// reading for idle, because the host had not asked for the data yet.
func (d *Drive) readIdle(idle time.Duration) {
	if idle > 0 {
		d.stats.ReadStalls++
		d.stats.ReadIdle += idle
	}
}

// endRead forgets the prefetch: a write, a close, a disc change or a reset
// moves the head or empties the buffer.
func (d *Drive) endRead() { d.ra = readAhead{} }

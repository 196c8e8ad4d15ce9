package drivesim

import (
	"encoding/binary"
	"time"
)

// oneXkBps is 1x BD in the kB/s (1000 bytes per second) units MMC uses.
const oneXkBps = 4500

// writeSpeeds lists the speeds (in x) the drive offers for the medium in
// it, fastest first.
func (d *Drive) writeSpeeds() []int {
	top := d.opts.SpeedX
	if d.disc != nil && d.disc.erasable() {
		top = min(top, 2) // BD-RE single layer is a 2x medium
	}
	s := []int{top}
	for _, x := range []int{14, 12, 10, 8, 6, 4, 2, 1} {
		if x < top {
			s = append(s, x)
		}
	}
	return s
}

// currentSpeed is the write speed in use, limited by the medium.
func (d *Drive) currentSpeed() int {
	return min(d.speedX, d.writeSpeeds()[0])
}

// getPerformance (MMC-6 6.8) returns nominal performance (type 00h) or
// write speed descriptors (type 03h).
func (d *Drive) getPerformance(c *cmd) reply {
	typ, maxDesc := c.cdb[10], be16(c.cdb[8:10])
	end := d.disc.capacity()
	if end > 0 {
		end--
	}
	b := make([]byte, 8, 8+16*9)
	switch typ {
	case 0x00:
		dt := c.cdb[1] & 0x1F
		if dt>>3 != 0x2 || dt&0x03 != 0 { // tolerance 10b, nominal only
			return fail(badCDB(1, 4))
		}
		write := dt&0x04 != 0
		speed := ReadSpeedX * oneXkBps // readahead.go
		if write {
			b[4] = 0x02
			speed = d.currentSpeed() * oneXkBps
		}
		if maxDesc > 0 {
			var desc [16]byte
			binary.BigEndian.PutUint32(desc[4:], uint32(speed))
			binary.BigEndian.PutUint32(desc[8:], end)
			binary.BigEndian.PutUint32(desc[12:], uint32(speed))
			b = append(b, desc[:]...)
		}
	case 0x03:
		for i, x := range d.writeSpeeds() {
			if i >= maxDesc {
				break
			}
			var desc [16]byte
			binary.BigEndian.PutUint32(desc[4:], end)
			binary.BigEndian.PutUint32(desc[8:], ReadSpeedX*oneXkBps)
			binary.BigEndian.PutUint32(desc[12:], uint32(x*oneXkBps))
			b = append(b, desc[:]...)
		}
	default:
		return fail(badCDB(10, 7))
	}
	binary.BigEndian.PutUint32(b[0:4], uint32(len(b)-4))
	return reply{data: b, alloc: len(b)}
}

// perfDescLen is the length of a SET STREAMING performance descriptor.
const perfDescLen = 28

// setStreaming (MMC-6 6.39) picks the write speed from a performance
// descriptor: the fastest offered speed not above the request.
func (d *Drive) setStreaming(c *cmd) reply {
	typ, n := c.cdb[8], be16(c.cdb[9:11])
	if typ != 0x00 {
		return fail(badCDB(8, 7))
	}
	if n == 0 {
		return reply{}
	}
	if err := dataOut(c, n); err != nil {
		return reply{err: err}
	}
	if n < perfDescLen {
		return fail(newSense(CondParamListLength))
	}
	p := c.buf
	if p[0]&0x04 != 0 { // RDD: restore drive defaults
		d.speedX = d.opts.SpeedX
		return reply{}
	}
	size, ms := be32(p[20:24]), be32(p[24:28])
	if ms == 0 {
		return fail(fieldPointer(CondInvalidFieldInParam, false, 24, 7))
	}
	want := float64(size) * 1000 / float64(ms) // kB/s
	speeds := d.writeSpeeds()
	d.speedX = speeds[len(speeds)-1]
	for _, x := range speeds {
		if float64(x*oneXkBps) <= want*1.001 {
			d.speedX = x
			break
		}
	}
	return reply{}
}

// queueWrite adds n bytes to the drive's buffer, which drains at the
// current speed, and returns when the command may complete: as soon as the
// data fits in the buffer. Unthrottled, it returns the zero time.
func (d *Drive) queueWrite(now time.Time, n int) time.Time {
	if d.opts.TimeScale == 0 {
		return time.Time{}
	}
	d.endRead()
	rate := float64(d.currentSpeed()) * float64(oneXkBps) * 1000
	drain := d.scaled(time.Duration(float64(n) / rate * float64(time.Second)))
	d.streamWrite(now, drain)
	d.drainAt = maxTime(now, d.drainAt).Add(drain)
	buffered := d.scaled(time.Duration(float64(d.opts.CacheSize) / rate * float64(time.Second)))
	return d.drainAt.Add(-buffered)
}

// startBusy makes the drive report c (long write, format in progress)
// until the given time.
func (d *Drive) startBusy(c Condition, now, until time.Time) {
	d.busyStart, d.busyUntil, d.busyCond = now, until, c
}

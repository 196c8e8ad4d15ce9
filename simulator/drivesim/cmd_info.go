package drivesim

import (
	"encoding/binary"
	"time"
)

// testUnitReady (SPC-4 6.47) has passed every gate once it runs.
func (d *Drive) testUnitReady(c *cmd) reply { return reply{} }

// requestSense (SPC-4 6.39) returns a pending unit attention, else the
// current not-ready condition, else NO SENSE. Sense delivered with CHECK
// CONDITION is not kept: autosense already handed it over.
func (d *Drive) requestSense(c *cmd) reply {
	if c.cdb[1]&0xFE != 0 {
		return fail(badCDB(1, 7))
	}
	s := newSense(CondNoSense)
	if len(d.ua) > 0 {
		s = newSense(d.ua[0])
		d.ua = d.ua[1:]
	} else if nr := d.notReady(c.now); nr != nil {
		s = *nr
	}
	data := s.fixed()
	if c.cdb[1]&0x01 != 0 {
		data = s.descriptor()
	}
	return reply{data: data, alloc: int(c.cdb[4])}
}

// Identity strings of the simulated drive, space padded as INQUIRY wants.
const (
	vendorID   = "COPYSTN "
	productID  = "VIRTUAL BD-RW   "
	revisionID = "1.00"
)

// inquiry (SPC-4 6.6) returns standard data or the VPD pages 00h and 80h.
func (d *Drive) inquiry(c *cmd) reply {
	evpd, page, alloc := c.cdb[1]&0x01 != 0, c.cdb[2], be16(c.cdb[3:5])
	if c.cdb[1]&0xFE != 0 {
		return fail(badCDB(1, 1))
	}
	if !evpd {
		if page != 0 {
			return fail(badCDB(2, 7))
		}
		b := make([]byte, 36)
		b[0] = 0x05        // peripheral device type: CD/DVD (MMC) device
		b[1] = 0x80        // RMB: removable medium
		b[2] = 0x06        // version: SPC-4
		b[3] = 0x02 | 0x10 // response data format 2, HISUP
		b[4] = byte(len(b) - 5)
		copy(b[8:16], vendorID)
		copy(b[16:32], productID)
		copy(b[32:36], revisionID)
		return reply{data: b, alloc: alloc}
	}
	switch page {
	case 0x00:
		return reply{data: []byte{0x05, 0x00, 0x00, 0x02, 0x00, 0x80}, alloc: alloc}
	case 0x80:
		serial := d.serial()
		b := append([]byte{0x05, 0x80, 0x00, byte(len(serial))}, serial...)
		return reply{data: b, alloc: alloc}
	}
	return fail(badCDB(2, 7))
}

// serial is the unit serial number, fixed by the seed.
func (d *Drive) serial() string {
	return "CSIM" + hex8(uint32(d.opts.Seed))
}

func hex8(v uint32) string {
	const digits = "0123456789ABCDEF"
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = digits[v&0xF]
		v >>= 4
	}
	return string(b)
}

// Media event codes of the media class (MMC-6 6.7.2.6, table 136).
const (
	eventNoChange      = 0
	eventEjectRequest  = 1
	eventNewMedia      = 2
	eventMediaRemoval  = 3
	mediaClass         = 4
	mediaClassBit      = 1 << mediaClass
	supportedClassMask = mediaClassBit
)

// getEventStatus (MMC-6 6.7) answers polled requests for the media class.
func (d *Drive) getEventStatus(c *cmd) reply {
	if c.cdb[1]&0x01 == 0 { // asynchronous notification is not supported
		return fail(badCDB(1, 0))
	}
	alloc := be16(c.cdb[7:9])
	if c.cdb[4]&mediaClassBit == 0 {
		return reply{data: []byte{0, 2, 0x80, supportedClassMask}, alloc: alloc}
	}
	var status byte
	if d.disc != nil {
		status |= 0x02
	}
	if d.trayOpen {
		status |= 0x01
	}
	b := []byte{0, 6, mediaClass, supportedClassMask, d.event, status, 0, 0}
	d.event = eventNoChange
	return reply{data: b, alloc: alloc}
}

// modeSense (SPC-4 6.14) returns the pages 01h, 1Ah and 2Ah, or all.
func (d *Drive) modeSense(c *cmd) reply {
	pc, page, sub := c.cdb[2]>>6, c.cdb[2]&0x3F, c.cdb[3]
	if pc == 3 {
		return fail(newSense(CondSavingNotSupported))
	}
	if sub != 0 && sub != 0xFF {
		return fail(badCDB(3, 7))
	}
	var pages [][]byte
	switch page {
	case 0x01, 0x1A, 0x2A:
		pages = append(pages, d.modePage(page, pc == 1))
	case 0x3F:
		for _, p := range []byte{0x01, 0x1A, 0x2A} {
			pages = append(pages, d.modePage(p, pc == 1))
		}
	default:
		return fail(badCDB(2, 5))
	}
	b := make([]byte, 8) // mode parameter header(10), no block descriptors
	for _, p := range pages {
		b = append(b, p...)
	}
	binary.BigEndian.PutUint16(b[0:2], uint16(len(b)-2))
	return reply{data: b, alloc: be16(c.cdb[7:9])}
}

// modePage builds one mode page; changeable pages are all zero because no
// parameter can be changed.
func (d *Drive) modePage(code byte, changeable bool) []byte {
	var p []byte
	switch code {
	case 0x01: // read/write error recovery (MMC-6 7.3)
		p = []byte{0x01, 0x0A, 0x00, 0x05, 0, 0, 0, 0, 0x05, 0, 0, 0}
	case 0x1A: // power condition (SPC-4 7.5.13)
		p = []byte{0x1A, 0x0A, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	case 0x2A: // MM capabilities and mechanical status (MMC-3 5.5.10)
		p = make([]byte, 32)
		p[0], p[1] = 0x2A, 30
		p[2] = 0x3F // reads CD-R/RW, DVD-ROM/R/RAM
		p[3] = 0x37 // writes CD-R/RW, DVD-R/RAM
		p[6] = 0x29 // tray loading mechanism, eject, lock
		binary.BigEndian.PutUint16(p[12:14], uint16(d.opts.CacheSize/1024))
		binary.BigEndian.PutUint16(p[28:30], uint16(d.speedX*oneXkBps))
	}
	if changeable {
		for i := 2; i < len(p); i++ {
			p[i] = 0
		}
	}
	return p
}

// startStopUnit (MMC-6 6.40) ejects or loads the tray.
func (d *Drive) startStopUnit(c *cmd) reply {
	loej, start, power := c.cdb[4]&0x02 != 0, c.cdb[4]&0x01 != 0, c.cdb[4]>>4
	if power != 0 || !loej {
		return reply{}
	}
	if !start { // eject
		if d.prevent {
			return fail(newSense(CondRemovalPrevented))
		}
		if d.trayOpen {
			return reply{}
		}
		until := d.drainAt // the drive empties its buffer before it ejects
		d.flushCache()
		d.trayOpen = true
		d.busyUntil = time.Time{}
		if d.disc != nil {
			d.event = eventMediaRemoval
		}
		return reply{until: until}
	}
	if d.trayOpen {
		d.trayOpen = false
		if d.disc != nil {
			d.mediaArrived(c.now)
		}
	}
	return reply{}
}

// preventAllow (MMC-6 6.12) locks the tray against ejection.
func (d *Drive) preventAllow(c *cmd) reply {
	d.prevent = c.cdb[4]&0x03 != 0
	return reply{}
}

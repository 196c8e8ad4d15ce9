package drivesim

import (
	"encoding/binary"
)

// Disc status and session state values of READ DISC INFORMATION
// (MMC-6 6.22.3.1.4, table 302 and 303).
const (
	statusEmpty      = 0
	statusIncomplete = 1
	statusComplete   = 2
	statusOthers     = 3 // random-access writable media
)

// readDiscInformation (MMC-6 6.22) returns standard disc information.
func (d *Drive) readDiscInformation(c *cmd) reply {
	if c.cdb[1]&0x07 != 0 { // only data type 000b
		return fail(badCDB(1, 2))
	}
	disc := d.disc
	b := make([]byte, 34)
	binary.BigEndian.PutUint16(b[0:2], uint16(len(b)-2))
	var status, last byte
	nSessions, firstLast, lastLast := 1, 1, 1
	switch {
	case disc.erasable() && disc.formatted == 0:
		status, last = statusEmpty, statusEmpty
	case disc.erasable():
		status, last = statusOthers, 3
	default:
		nSessions = disc.sessions
		firstLast, lastLast = disc.sessionTracks(disc.sessions)
		switch {
		case disc.finalized:
			status, last = statusComplete, 3
		case disc.blank():
			status, last = statusEmpty, statusEmpty
		case disc.lastSessionEmpty():
			status, last = statusIncomplete, statusEmpty
		default:
			status, last = statusIncomplete, statusIncomplete
		}
	}
	b[2] = last<<2 | status
	if disc.erasable() {
		b[2] |= 0x10
	}
	b[3] = 1 // first track on disc
	b[4], b[9] = byte(nSessions), byte(nSessions>>8)
	b[5], b[10] = byte(firstLast), byte(firstLast>>8)
	b[6], b[11] = byte(lastLast), byte(lastLast>>8)
	b[7] = 0x20 // URU: unrestricted use
	leadIn, leadOut := uint32(0xFFFFFFFF), uint32(0xFFFFFFFF)
	if status == statusEmpty || status == statusIncomplete {
		if t := disc.openTrack(); t != nil {
			leadIn = t.start
		}
		leadOut = disc.media.Sectors()
	}
	binary.BigEndian.PutUint32(b[16:20], leadIn)
	binary.BigEndian.PutUint32(b[20:24], leadOut)
	return reply{data: b, alloc: be16(c.cdb[7:9])}
}

// readTrackInformation (MMC-6 6.27) addresses a track by LBA, track
// number (FFh: the invisible track) or session number.
func (d *Drive) readTrackInformation(c *cmd) reply {
	kind, addr := c.cdb[1]&0x03, be32(c.cdb[2:6])
	disc := d.disc
	if disc.erasable() {
		return d.rewritableTrack(c, kind, addr)
	}
	var t *track
	switch kind {
	case 0:
		t = disc.trackAt(addr)
		if t == nil {
			return fail(newSense(CondLBAOutOfRange).atLBA(addr))
		}
	case 1:
		if addr == 0xFF {
			t = disc.openTrack()
		} else if addr >= 1 && int(addr) <= len(disc.tracks) {
			t = disc.tracks[addr-1]
		}
	case 2:
		if addr >= 1 && int(addr) <= disc.sessions {
			if first, _ := disc.sessionTracks(int(addr)); first > 0 {
				t = disc.tracks[first-1]
			}
		}
	default:
		return fail(badCDB(1, 1))
	}
	if t == nil {
		return fail(badCDB(2, 7))
	}
	b := trackInfo(t.number, t.session, t.start, t.size)
	if t.blank() {
		b[6] |= 0x40 // Blank
	}
	if !t.closed {
		b[6] |= 0x20 // Packet/Inc: incremental recording
		b[7] |= 0x01 // NWA_V
		binary.BigEndian.PutUint32(b[12:16], t.nwa)
		binary.BigEndian.PutUint32(b[16:20], t.end()-t.nwa)
	}
	if !t.blank() {
		b[7] |= 0x02 // LRA_V
		binary.BigEndian.PutUint32(b[28:32], t.nwa-1)
	}
	return reply{data: b, alloc: be16(c.cdb[7:9])}
}

// rewritableTrack answers READ TRACK INFORMATION for a BD-RE: one track in
// one session covering the formatted area, written at random.
func (d *Drive) rewritableTrack(c *cmd, kind byte, addr uint32) reply {
	capacity := d.disc.formatted
	ok := (kind == 0 && addr < max(capacity, 1)) || (kind == 1 && (addr == 1 || addr == 0xFF)) || (kind == 2 && addr == 1)
	if kind == 3 {
		return fail(badCDB(1, 1))
	}
	if !ok {
		return fail(badCDB(2, 7))
	}
	b := trackInfo(1, 1, 0, capacity)
	if capacity == 0 {
		b[6] |= 0x40
	} else {
		b[7] |= 0x02
		binary.BigEndian.PutUint32(b[28:32], capacity-1)
	}
	binary.BigEndian.PutUint32(b[16:20], capacity)
	return reply{data: b, alloc: be16(c.cdb[7:9])}
}

// trackInfo lays out the common part of the track information block
// (MMC-6 6.27.3, table 553).
func trackInfo(number, session int, start, size uint32) []byte {
	b := make([]byte, 48)
	binary.BigEndian.PutUint16(b[0:2], uint16(len(b)-2))
	b[2], b[32] = byte(number), byte(number>>8)
	b[3], b[33] = byte(session), byte(session>>8)
	b[5] = 0x04 // track mode: data, recorded uninterrupted
	b[6] = 0x01 // data mode 1
	binary.BigEndian.PutUint32(b[8:12], start)
	binary.BigEndian.PutUint32(b[20:24], 32) // blocking factor: one ECC cluster
	binary.BigEndian.PutUint32(b[24:28], size)
	return b
}

// readCapacity (MMC-6 6.23) returns the last recorded LBA (0 on a blank
// disc) and the block length.
func (d *Drive) readCapacity(c *cmd) reply {
	b := make([]byte, 8)
	lba, _ := d.disc.lastRecorded()
	binary.BigEndian.PutUint32(b[0:4], lba)
	binary.BigEndian.PutUint32(b[4:8], 2048)
	return reply{data: b, alloc: len(b)}
}

// readDiscStructure (MMC-6 6.29) answers BD (media type 1) formats 86h
// (AACS media identifier) and FFh (list of formats). A real drive asks
// for AACS bus authentication before 86h; the simulator does not.
func (d *Drive) readDiscStructure(c *cmd) reply {
	media, format, alloc := c.cdb[1]&0x0F, c.cdb[7], be16(c.cdb[8:10])
	if media != 1 {
		if media == 0 {
			return fail(newSense(CondIncompatibleFormat))
		}
		return fail(badCDB(1, 3))
	}
	switch format {
	case 0x86:
		b := make([]byte, 36)
		binary.BigEndian.PutUint16(b[0:2], uint16(len(b)-2))
		copy(b[4:20], d.disc.id[:])
		copy(b[20:36], d.disc.mac[:])
		return reply{data: b, alloc: alloc}
	case 0xFF:
		b := []byte{0, 0, 0, 0, 0x86, 0x40, 0, 36, 0xFF, 0x40, 0, 12}
		binary.BigEndian.PutUint16(b[0:2], uint16(len(b)-2))
		return reply{data: b, alloc: alloc}
	}
	return fail(badCDB(7, 7))
}

// readFormatCapacities (MMC-6 6.24) describes the current capacity and
// the formats a BD-RE offers: 00h (default spare) and 31h (no spare).
func (d *Drive) readFormatCapacities(c *cmd) reply {
	disc := d.disc
	b := make([]byte, 4, 4+8*3)
	desc := func(blocks uint32, typ byte, param uint32) {
		var e [8]byte
		binary.BigEndian.PutUint32(e[0:4], blocks)
		binary.BigEndian.PutUint32(e[4:8], param&0x00FFFFFF)
		e[4] = typ
		b = append(b, e[:]...)
	}
	switch {
	case !disc.erasable():
		desc(disc.media.Sectors(), 0x02, 2048) // formatted media
	case disc.formatted == 0:
		desc(bdreSpareCapacity, 0x01, 2048) // unformatted media
		desc(bdreSpareCapacity, 0x00<<2, 0)
		desc(bdreNoSpareCapacity, 0x31<<2, 0)
	default:
		desc(disc.formatted, 0x02, 2048)
		desc(bdreSpareCapacity, 0x00<<2, 0)
		desc(bdreNoSpareCapacity, 0x31<<2, 0)
	}
	b[3] = byte(len(b) - 4)
	return reply{data: b, alloc: be16(c.cdb[7:9])}
}

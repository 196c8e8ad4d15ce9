package drivesim

import (
	"copystation/drive"
	"encoding/binary"
	"time"
)

// Feature codes the drive reports (MMC-6 5.3, table 86).
const (
	featProfileList    = 0x0000
	featCore           = 0x0001
	featMorphing       = 0x0002
	featRemovable      = 0x0003
	featRandomReadable = 0x0010
	featFormattable    = 0x0023
	featDefectMgmt     = 0x0024
	featBDRead         = 0x0040
	featBDWrite        = 0x0041
	featRealTimeStream = 0x0107
	featSerialNumber   = 0x0108
)

// feature is one feature descriptor before encoding.
type feature struct {
	code       uint16
	version    byte
	persistent bool
	current    bool
	data       []byte
}

func (f feature) encode() []byte {
	b := make([]byte, 4, 4+len(f.data))
	binary.BigEndian.PutUint16(b, f.code)
	b[2] = f.version << 2
	if f.persistent {
		b[2] |= 0x02
	}
	if f.current {
		b[2] |= 0x01
	}
	b[3] = byte(len(f.data))
	return append(b, f.data...)
}

// profiles the drive can use, in the order a BD writer lists them.
var profiles = []drive.Profile{drive.ProfileBDRE, drive.ProfileBDRRRM, drive.ProfileBDRSRM, drive.ProfileBDROM}

// currentProfile is the profile of the medium the drive has identified;
// none while the tray is open, empty or the disc is still spinning up.
func (d *Drive) currentProfile(now time.Time) drive.Profile {
	if d.disc == nil || d.trayOpen || now.Before(d.readyAt) || now.Before(d.noMediumUntil) {
		return drive.ProfileNone
	}
	return d.disc.media.Profile()
}

func (d *Drive) features(now time.Time) []feature {
	cur := d.currentProfile(now)
	plist := make([]byte, 0, 4*len(profiles))
	for _, p := range profiles {
		var c byte
		if p == cur {
			c = 1
		}
		plist = append(plist, byte(p>>8), byte(p), c, 0)
	}
	has := cur != drive.ProfileNone
	re := cur == drive.ProfileBDRE
	writable := has && (re || !d.disc.finalized)
	bdBitmaps := make([]byte, 28) // BD Read (feature 0040h): class 0 bitmaps of BD-RE, BD-R, BD-ROM
	binary.BigEndian.PutUint16(bdBitmaps[4:], 0x0006)
	binary.BigEndian.PutUint16(bdBitmaps[12:], 0x0002)
	binary.BigEndian.PutUint16(bdBitmaps[20:], 0x0002)
	bdWrite := make([]byte, 24) // BD Write (feature 0041h): SVNR, class 0 bitmaps of BD-RE and BD-R
	binary.BigEndian.PutUint16(bdWrite[4:], 0x0006)
	binary.BigEndian.PutUint16(bdWrite[12:], 0x0002)
	serial := []byte(d.serial())
	return []feature{
		{featProfileList, 0, true, true, plist},
		{featCore, 2, true, true, []byte{0, 0, 0, 7, 0x01, 0, 0, 0}}, // Serial ATAPI, DBE
		{featMorphing, 1, true, true, []byte{0x02, 0, 0, 0}},         // OCEvent
		{featRemovable, 2, true, true, []byte{0x39, 0, 0, 0}},        // tray, load, eject, lock
		{featRandomReadable, 0, false, has, []byte{0, 0, 8, 0, 0, 32, 0x01, 0}},
		{featFormattable, 1, false, re, make([]byte, 8)},
		{featDefectMgmt, 1, false, re, []byte{0x80, 0, 0, 0}},
		{featBDRead, 1, false, has, bdBitmaps},
		{featBDWrite, 2, false, writable, bdWrite},
		{featRealTimeStream, 4, false, has, []byte{0x0B, 0, 0, 0}}, // SCS, WSPD, SW
		{featSerialNumber, 0, true, true, serial},
	}
}

// getConfiguration (MMC-6 6.6) lists features by the RT field.
func (d *Drive) getConfiguration(c *cmd) reply {
	rt, start, alloc := c.cdb[1]&0x03, uint16(be16(c.cdb[2:4])), be16(c.cdb[7:9])
	if rt == 3 {
		return fail(badCDB(1, 1))
	}
	b := make([]byte, 8, 256)
	binary.BigEndian.PutUint16(b[6:8], uint16(d.currentProfile(c.now)))
	for _, f := range d.features(c.now) {
		switch {
		case rt == 2 && f.code != start:
			continue
		case f.code < start:
			continue
		case rt == 1 && !f.current:
			continue
		}
		b = append(b, f.encode()...)
	}
	binary.BigEndian.PutUint32(b[0:4], uint32(len(b)-4))
	return reply{data: b, alloc: alloc}
}

// Package h264 reads an H.264 elementary stream in Annex B byte-stream
// form (ITU-T H.264 annex B): NAL units, access units, GOPs, and the
// digest of a GOP's coded pictures that identifies a forensic variant
// whatever container the stream was carried in.
//
// # Concepts
//
// Byte stream → NAL units → access units → GOPs. A remux (m2ts to MKV or
// MP4 with the streams copied) keeps every slice NAL unit byte for byte
// but may add, drop or rewrite the others (access unit delimiters,
// parameter sets, SEI) and changes how NAL units are framed, so a GOP's
// digest covers its slice NAL units only, each length-prefixed.
package h264

import (
	"crypto/sha256"
	"encoding/binary"
)

// NAL unit types (ITU-T H.264 table 7-1) this package tells apart.
const (
	TypeSlice = 1
	TypeIDR   = 5
	TypeSEI   = 6
	TypeSPS   = 7
	TypePPS   = 8
	TypeAUD   = 9
)

// Type is a NAL unit's nal_unit_type; 0 for an empty unit.
func Type(nal []byte) int {
	if len(nal) == 0 {
		return 0
	}
	return int(nal[0] & 0x1F)
}

// NALs splits an Annex B byte stream at its start codes (00 00 01, with
// any zero bytes before it) and returns the NAL units in order, without
// start codes or trailing zero bytes. Bytes before the first start code
// are dropped. The units alias b.
func NALs(b []byte) [][]byte {
	var out [][]byte
	start := -1
	zeros := 0
	for i, c := range b {
		switch {
		case c == 0:
			zeros++
			continue
		case c == 1 && zeros >= 2:
			if start >= 0 {
				out = appendNAL(out, b[start:i-zeros])
			}
			start = i + 1
		}
		zeros = 0
	}
	if start >= 0 {
		out = appendNAL(out, b[start:])
	}
	return out
}

func appendNAL(out [][]byte, n []byte) [][]byte {
	for len(n) > 0 && n[len(n)-1] == 0 {
		n = n[:len(n)-1]
	}
	if len(n) == 0 {
		return out
	}
	return append(out, n)
}

// isSlice reports a coded slice of a picture (IDR or not).
func isSlice(nal []byte) bool {
	t := Type(nal)
	return t == TypeSlice || t == TypeIDR
}

// AccessUnit is the NAL units of one coded picture.
type AccessUnit struct {
	NALs [][]byte
	// Key is set for an IDR picture.
	Key bool
}

// AccessUnits groups NAL units into access units (H.264 7.4.1.2.3): a new
// unit begins at an access unit delimiter, at an SEI or parameter set
// after the current unit's first slice, or at a slice whose
// first_mb_in_slice is 0 (the ue(v) code "1", the top bit of the byte
// after the NAL header) after one.
func AccessUnits(nals [][]byte) []AccessUnit {
	var out []AccessUnit
	var cur AccessUnit
	slice := false
	flush := func() {
		if len(cur.NALs) > 0 {
			out = append(out, cur)
		}
		cur, slice = AccessUnit{}, false
	}
	for _, n := range nals {
		t := Type(n)
		switch {
		case t == TypeAUD:
			flush()
		case (t == TypeSEI || t == TypeSPS || t == TypePPS) && slice:
			flush()
		case isSlice(n) && slice && len(n) > 1 && n[1]&0x80 != 0:
			flush()
		}
		cur.NALs = append(cur.NALs, n)
		if isSlice(n) {
			slice = true
			cur.Key = cur.Key || t == TypeIDR
		}
	}
	flush()
	return out
}

// GOP is a run of access units from one IDR picture to the next.
type GOP struct {
	Units []AccessUnit
	// First is the index, among all access units, of the GOP's IDR.
	First int
}

// GOPs cuts access units at IDR pictures; units before the first IDR
// (the tail of a GOP cut off by an edit) are dropped.
func GOPs(aus []AccessUnit) []GOP {
	var out []GOP
	for i, au := range aus {
		if au.Key {
			out = append(out, GOP{First: i})
		}
		if len(out) > 0 {
			out[len(out)-1].Units = append(out[len(out)-1].Units, au)
		}
	}
	return out
}

// digestLabel separates GOP digests from any other SHA-256 in the project.
const digestLabel = "copystation h264 gop digest v1\x00"

// Digest is SHA-256 over a label and each slice NAL unit of the GOP in
// order, each as u32 length (big-endian) ‖ bytes. Access unit delimiters,
// SEI and parameter sets are left out: a remux may change them.
func (g GOP) Digest() [32]byte {
	h := sha256.New()
	h.Write([]byte(digestLabel))
	var l [4]byte
	for _, au := range g.Units {
		for _, n := range au.NALs {
			if isSlice(n) {
				binary.BigEndian.PutUint32(l[:], uint32(len(n)))
				h.Write(l[:])
				h.Write(n)
			}
		}
	}
	var d [32]byte
	h.Sum(d[:0])
	return d
}

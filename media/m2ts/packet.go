// Package m2ts writes and reads BDAV MPEG-2 transport streams, the stream
// files of a Blu-ray movie (BDMV/STREAM/*.m2ts): 188-byte transport packets
// (ISO/IEC 13818-1) each preceded by a 4-byte TP_extra_header carrying a
// 30-bit arrival time stamp, in aligned units of 32 packets (6144 bytes).
//
// # Concepts
//
// Access → PES → packets → aligned units. Mux takes the video and audio
// access units with their presentation times, wraps each in one PES
// packet, cuts the PES into transport packets and gives every packet an
// arrival time. Accesses may carry two variants (A and B) of their bytes:
// Mux cuts both into the same number of packets (the shorter padded with
// adaptation-field stuffing), so the two renderings of the stream have the
// same packets, continuity counters and times and differ only in payload
// bytes. Forensic segments start and end on aligned-unit boundaries (null
// packets pad up to them), so a segment is a whole number of 2048-byte
// sectors that can be swapped for its other variant.
package m2ts

import "errors"

// Sizes (Blu-ray Disc Audio-Visual format: source packets and aligned units).
const (
	TSPacketSize = 188
	PacketSize   = 192 // TP_extra_header (4) + transport packet (188)
	UnitPackets  = 32
	UnitSize     = UnitPackets * PacketSize // 6144 bytes = 3 sectors
	payloadSize  = TSPacketSize - 4
	syncByte     = 0x47
)

// PIDs and stream types as Blu-ray movies use them (ISO/IEC 13818-1
// table 2-34 for the stream types; 0x81 is AC-3 in a BDAV stream).
const (
	PIDPAT   uint16 = 0x0000
	PIDPMT   uint16 = 0x0100
	PIDVideo uint16 = 0x1011
	PIDAudio uint16 = 0x1100
	PIDNull  uint16 = 0x1FFF

	StreamTypeH264 byte = 0x1B
	StreamTypeAC3  byte = 0x81
)

// Clocks: PTS and DTS count 90 kHz, arrival times and PCR 27 MHz.
const (
	Clock90k = 90000
	clockPCR = 300 // 27 MHz ticks per 90 kHz tick
	atsMask  = 1<<30 - 1
)

// Errors.
var (
	// ErrFormat reports a malformed transport stream.
	ErrFormat = errors.New("m2ts: malformed stream")
	// ErrMux reports input Mux cannot write.
	ErrMux = errors.New("m2ts: cannot mux")
)

// crc32MPEG is the CRC of PSI sections (ISO/IEC 13818-1 annex A:
// polynomial 0x04C11DB7, initial value all ones, no reflection, no final
// inversion).
func crc32MPEG(b []byte) uint32 {
	crc := uint32(0xFFFFFFFF)
	for _, c := range b {
		crc ^= uint32(c) << 24
		for range 8 {
			if crc&0x80000000 != 0 {
				crc = crc<<1 ^ 0x04C11DB7
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// section finishes a PSI section: its length field and CRC.
func section(tableID byte, body []byte) []byte {
	n := len(body) + 4 // + CRC
	s := []byte{tableID, 0xB0 | byte(n>>8), byte(n)}
	s = append(s, body...)
	c := crc32MPEG(s)
	return append(s, byte(c>>24), byte(c>>16), byte(c>>8), byte(c))
}

// pat is the program association section: program 1 at PIDPMT.
func pat() []byte {
	return section(0x00, []byte{0x00, 0x01, 0xC1, 0x00, 0x00,
		0x00, 0x01, 0xE0 | byte(PIDPMT>>8), byte(PIDPMT & 0xFF)})
}

// pmt is the program map section: the HDMV registration descriptor (as
// Blu-ray streams carry, so demuxers read stream type 0x81 as AC-3), the
// PCR on the video PID, then the streams.
func pmt(audio bool) []byte {
	b := []byte{0x00, 0x01, 0xC1, 0x00, 0x00,
		0xE0 | byte(PIDVideo>>8), byte(PIDVideo & 0xFF),
		0xF0, 6, 0x05, 4, 'H', 'D', 'M', 'V',
		StreamTypeH264, 0xE0 | byte(PIDVideo>>8), byte(PIDVideo & 0xFF), 0xF0, 0}
	if audio {
		b = append(b, StreamTypeAC3, 0xE0|byte(PIDAudio>>8), byte(PIDAudio&0xFF), 0xF0, 0)
	}
	return section(0x02, b)
}

// putPTS writes a 33-bit time in the 5-byte PES form with prefix 0010.
func putPTS(b []byte, pts int64) {
	b[0] = 0x21 | byte(pts>>29)&0x0E
	b[1] = byte(pts >> 22)
	b[2] = 0x01 | byte(pts>>14)&0xFE
	b[3] = byte(pts >> 7)
	b[4] = 0x01 | byte(pts<<1)&0xFE
}

// readPTS reads the 5-byte PES form.
func readPTS(b []byte) int64 {
	return int64(b[0]>>1&7)<<30 | int64(b[1])<<22 | int64(b[2]>>1)<<15 | int64(b[3])<<7 | int64(b[4]>>1)
}

// pes wraps one access unit: video (stream_id 0xE0) with an unbounded
// length, audio (private_stream_1, 0xBD, as Blu-ray carries AC-3) bounded.
func pes(video bool, pts int64, data []byte) ([]byte, error) {
	h := make([]byte, 14, 14+len(data))
	copy(h, []byte{0, 0, 1, 0xE0, 0, 0, 0x80, 0x80, 5})
	if !video {
		h[3] = 0xBD
		n := 8 + len(data)
		if n > 0xFFFF {
			return nil, ErrMux
		}
		h[4], h[5] = byte(n>>8), byte(n)
	}
	putPTS(h[9:], pts)
	return append(h, data...), nil
}

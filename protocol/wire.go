package protocol

import (
	"encoding/binary"
	"errors"
	"unicode/utf8"
)

// Field limits. Every message but a KeyRelease for a title with many
// forensic segments fits one frame; that one is sent in fragments.
const (
	MaxIDLen        = 128 // job, token, title, station and node IDs
	MaxMediaIDLen   = 64  // the blank's media identifier
	MaxGrantLen     = 512 // an encoded SignedGrant
	MaxSignatureLen = 80  // ASN.1 DER ECDSA P-256 is at most 72 bytes
	// MaxSealedLen bounds a sealed release: a node's share release for the
	// largest title (4,096 segments: 262,800 bytes sealed) with room.
	MaxSealedLen = 272 << 10
	// MaxMessage bounds a message reassembled from fragments, by default:
	// a KeyRelease of the largest sealed keys and its other fields.
	MaxMessage       = MaxSealedLen + 4096
	MaxReasonLen     = 256  // free text in reports
	MaxMessageLen    = 1024 // free text in refusals
	MaxHashLen       = 64   // disc digests, transaction hashes
	NonceLen         = 32
	HandshakeHashLen = 32
	ReportDigestLen  = 32 // SHA-256, see ReportDigest
	PublicKeyLen     = 65 // uncompressed SEC1 P-256
)

// wenc appends wire fields: integers big-endian, variable fields with a
// 2-byte length prefix.
type wenc struct{ b []byte }

func (e *wenc) u8(v uint8)   { e.b = append(e.b, v) }
func (e *wenc) u16(v uint16) { e.b = binary.BigEndian.AppendUint16(e.b, v) }
func (e *wenc) u32(v uint32) { e.b = binary.BigEndian.AppendUint32(e.b, v) }
func (e *wenc) u64(v uint64) { e.b = binary.BigEndian.AppendUint64(e.b, v) }
func (e *wenc) i64(v int64)  { e.u64(uint64(v)) }
func (e *wenc) fixed(p []byte) {
	e.b = append(e.b, p...)
}
func (e *wenc) bytes(p []byte) {
	e.u16(uint16(len(p)))
	e.b = append(e.b, p...)
}
func (e *wenc) bytes32(p []byte) {
	e.u32(uint32(len(p)))
	e.b = append(e.b, p...)
}
func (e *wenc) str(s string) { e.bytes([]byte(s)) }
func (e *wenc) boolean(v bool) {
	if v {
		e.u8(1)
	} else {
		e.u8(0)
	}
}

// wdec reads wire fields with bounds. The first error sticks; later reads
// return zero values, so a decoder is a straight run of reads and one check.
type wdec struct {
	msg string
	b   []byte
	err error
}

func (d *wdec) fail(field string, err error) {
	if d.err == nil {
		d.err = &DecodeError{Message: d.msg, Field: field, Err: err}
	}
}

func (d *wdec) take(field string, n int) []byte {
	if d.err != nil {
		return nil
	}
	if len(d.b) < n {
		d.fail(field, ErrTruncated)
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

func (d *wdec) u8(field string) uint8 {
	p := d.take(field, 1)
	if p == nil {
		return 0
	}
	return p[0]
}

func (d *wdec) u16(field string) uint16 {
	p := d.take(field, 2)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint16(p)
}

func (d *wdec) u32(field string) uint32 {
	p := d.take(field, 4)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint32(p)
}

func (d *wdec) u64(field string) uint64 {
	p := d.take(field, 8)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint64(p)
}

func (d *wdec) i64(field string) int64 { return int64(d.u64(field)) }

func (d *wdec) boolean(field string) bool {
	v := d.u8(field)
	if v > 1 {
		d.fail(field, ErrFieldInvalid)
	}
	return v == 1
}

// bytes reads a length-prefixed field of at most max bytes and copies it, so
// the result never aliases a frame buffer.
func (d *wdec) bytes(field string, max int) []byte {
	n := int(d.u16(field))
	if d.err != nil {
		return nil
	}
	if n > max {
		d.fail(field, ErrFieldTooLong)
		return nil
	}
	p := d.take(field, n)
	if p == nil {
		return nil
	}
	return append([]byte(nil), p...)
}

// bytes32 reads a field with a 4-byte length prefix, as in SigningBytes.
func (d *wdec) bytes32(field string, max int) []byte {
	n := d.u32(field)
	if d.err != nil {
		return nil
	}
	if n > uint32(max) {
		d.fail(field, ErrFieldTooLong)
		return nil
	}
	p := d.take(field, int(n))
	if p == nil {
		return nil
	}
	return append([]byte(nil), p...)
}

// id32 reads an identifier with a 4-byte length prefix.
func (d *wdec) id32(field string) string {
	p := d.bytes32(field, MaxIDLen)
	if d.err != nil {
		return ""
	}
	d2 := &wdec{msg: d.msg, b: binary.BigEndian.AppendUint16(nil, uint16(len(p)))}
	d2.b = append(d2.b, p...)
	s := d2.id(field)
	if d2.err != nil {
		d.fail(field, errors.Unwrap(d2.err))
	}
	return s
}

// fixedBytes reads a length-prefixed field that must have exactly n bytes.
func (d *wdec) fixedBytes(field string, n int) []byte {
	p := d.bytes(field, n)
	if d.err == nil && len(p) != n {
		d.fail(field, ErrFieldBadLength)
	}
	return p
}

// str reads a length-prefixed UTF-8 string without control characters.
func (d *wdec) str(field string, max int) string {
	p := d.bytes(field, max)
	if d.err != nil {
		return ""
	}
	if !utf8.Valid(p) {
		d.fail(field, ErrFieldInvalid)
		return ""
	}
	for _, r := range string(p) {
		if r < 0x20 || r == 0x7f {
			d.fail(field, ErrFieldInvalid)
			return ""
		}
	}
	return string(p)
}

// id reads an identifier: non-empty, printable, at most MaxIDLen bytes.
func (d *wdec) id(field string) string {
	s := d.str(field, MaxIDLen)
	if d.err == nil && s == "" {
		d.fail(field, ErrFieldInvalid)
	}
	return s
}

func (d *wdec) finish() error {
	if d.err == nil && len(d.b) != 0 {
		d.fail("", ErrTrailingBytes)
	}
	return d.err
}

// Format is how a copy is laid out and closed on its disc, as a KeyRelease
// carries it: the same fields as the sealed copy keys' format (a
// keys.FormatMetadata converts to it), so a station can check the two
// agree. The wire format knows no other package of the project.
type Format struct {
	Profile       uint16 // MMC profile: 0x41 BD-R SRM, 0x43 BD-RE
	Layers        uint8  // 1 or 2
	Finalize      bool   // close the disc
	MaxSpeedX     uint8  // 0: the drive's best
	HeaderSectors uint32 // sectors of the disc header before the image
}

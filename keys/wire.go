package keys

import (
	"encoding/binary"
	"errors"
)

// errShort is returned by the reader when the input ends early; callers wrap
// it into their own typed error.
var errShort = errors.New("input ends early")

// reader walks a byte slice for the length-prefixed encodings of this
// package. It never allocates more than the input holds.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.err = errShort
		return nil
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

func (r *reader) u8() uint8 {
	p := r.take(1)
	if p == nil {
		return 0
	}
	return p[0]
}

func (r *reader) u16() uint16 {
	p := r.take(2)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint16(p)
}

func (r *reader) u32() uint32 {
	p := r.take(4)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint32(p)
}

// bytes16 reads a field prefixed by a 16-bit length.
func (r *reader) bytes16() []byte { return r.take(int(r.u16())) }

// appendBytes16 appends p prefixed by its 16-bit big-endian length. Callers
// check the bound before calling.
func appendBytes16(b, p []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(p)))
	return append(b, p...)
}

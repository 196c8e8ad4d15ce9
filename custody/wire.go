package custody

import (
	"encoding/binary"
	"fmt"
	"math"
)

// The binary encodings of this package share one shape: a length-prefixed
// magic string naming the structure and version, then fixed-width big-endian
// integers and u16-length-prefixed byte strings, every count bounded before
// anything is allocated. Decoders reject trailing bytes, so each value has one
// encoding.

func appendU16(b []byte, v int) []byte { return binary.BigEndian.AppendUint16(b, uint16(v)) }
func appendU32(b []byte, v int) []byte { return binary.BigEndian.AppendUint32(b, uint32(v)) }

// appendField appends u16(len(f)) ‖ f. Callers bound len(f) first.
func appendField(b, f []byte) []byte {
	b = appendU16(b, len(f))
	return append(b, f...)
}

// reader decodes one encoding; the first failure sticks, so a decoder reads
// every field and checks r.err once.
type reader struct {
	op  string
	b   []byte
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%s: %w: %s", r.op, ErrEncoding, fmt.Sprintf(format, args...))
	}
}

func (r *reader) bytes(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.fail("%s: need %d bytes, have %d", what, n, len(r.b))
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8(what string) int {
	v := r.bytes(1, what)
	if v == nil {
		return 0
	}
	return int(v[0])
}

func (r *reader) u16(what string) int {
	v := r.bytes(2, what)
	if v == nil {
		return 0
	}
	return int(binary.BigEndian.Uint16(v))
}

func (r *reader) u32(what string) int {
	v := r.bytes(4, what)
	if v == nil {
		return 0
	}
	u := binary.BigEndian.Uint32(v)
	if uint64(u) > math.MaxInt32 {
		r.fail("%s: %d out of range", what, u)
		return 0
	}
	return int(u)
}

// field reads u16(len) ‖ bytes with len in [min, max].
func (r *reader) field(min, max int, what string) []byte {
	n := r.u16(what + " length")
	if r.err == nil && (n < min || n > max) {
		r.fail("%s is %d bytes, want %d to %d", what, n, min, max)
		return nil
	}
	return r.bytes(n, what)
}

// magic reads and checks the structure's name.
func (r *reader) magic(want string) {
	got := r.field(0, 255, "magic")
	if r.err == nil && string(got) != want {
		r.fail("magic %q, want %q", got, want)
	}
}

// count reads a u16 count bounded by max.
func (r *reader) count(min, max int, what string) int {
	n := r.u16(what)
	if r.err == nil && (n < min || n > max) {
		r.fail("%s is %d, want %d to %d", what, n, min, max)
		return 0
	}
	return n
}

// done reports the first failure, or trailing bytes.
func (r *reader) done() error {
	if r.err == nil && len(r.b) != 0 {
		r.fail("%d trailing bytes", len(r.b))
	}
	return r.err
}

func appendMagic(b []byte, m string) []byte { return appendField(b, []byte(m)) }

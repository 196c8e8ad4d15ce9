package serial

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// Frame layout constants; see docs/serial-link.md.
const (
	Magic0  = 0xA5
	Magic1  = 0x5C
	Version = 1

	// HeaderSize is magic(2) version(1) type(1) seq(4) length(4) header CRC(4).
	HeaderSize = 16
	// TrailerSize is the frame CRC-32.
	TrailerSize = 4
	// Overhead is the number of bytes a frame adds to its payload.
	Overhead = HeaderSize + TrailerSize

	// HardMaxPayload bounds every payload whatever the options say, so a
	// corrupt or hostile length field never makes either side allocate more.
	HardMaxPayload = 4 << 20
	// DefaultMaxPayload fits a 512-sector (1 MiB) transfer plus its command.
	DefaultMaxPayload = 1<<20 + 1024
)

// FrameType says what a frame carries.
type FrameType uint8

const (
	// TypeCommand (host to device): a command block, its data-out bytes and
	// the expected data-in length.
	TypeCommand FrameType = 0x01
	// TypePoll (host to device, empty): "what happened to command seq?".
	TypePoll FrameType = 0x02
	// TypeAck (device to host, empty): command seq was received and runs.
	TypeAck FrameType = 0x81
	// TypeResponse (device to host): status, sense and data-in bytes.
	TypeResponse FrameType = 0x82
	// TypeNak (device to host, empty): frame seq arrived corrupt, or seq is
	// unknown; the host sends its Command again.
	TypeNak FrameType = 0x83
	// TypeFailure (device to host): the device could not run command seq
	// (code byte and a message).
	TypeFailure FrameType = 0x84
)

func (t FrameType) String() string {
	switch t {
	case TypeCommand:
		return "Command"
	case TypePoll:
		return "Poll"
	case TypeAck:
		return "Ack"
	case TypeResponse:
		return "Response"
	case TypeNak:
		return "Nak"
	case TypeFailure:
		return "Failure"
	}
	return fmt.Sprintf("FrameType(0x%02x)", uint8(t))
}

func (t FrameType) known() bool {
	switch t {
	case TypeCommand, TypePoll, TypeAck, TypeResponse, TypeNak, TypeFailure:
		return true
	}
	return false
}

// Frame is one decoded frame.
type Frame struct {
	Type    FrameType
	Seq     uint32
	Payload []byte
}

// Errors of the framing layer.
var (
	// ErrCorruptFrame: a frame with a valid header failed its CRC. The
	// decoder returns it wrapped in a *CorruptError and keeps going.
	ErrCorruptFrame = errors.New("serial: corrupt frame")
	// ErrPayloadTooLarge: a payload exceeds the configured limit.
	ErrPayloadTooLarge = errors.New("serial: payload too large")
	// ErrMalformed: a payload does not parse as its frame type requires.
	ErrMalformed = errors.New("serial: malformed payload")
	// ErrClosed: the transport was closed or its line failed.
	ErrClosed = errors.New("serial: link closed")
)

// CorruptError names the frame whose payload CRC failed, so the receiver
// can ask for it again.
type CorruptError struct {
	Type FrameType
	Seq  uint32
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("serial: corrupt %v frame seq %d: CRC mismatch", e.Type, e.Seq)
}

// Unwrap makes errors.Is(err, ErrCorruptFrame) hold.
func (e *CorruptError) Unwrap() error { return ErrCorruptFrame }

// AppendFrame appends the encoding of f to dst.
func AppendFrame(dst []byte, f Frame) []byte {
	start := len(dst)
	dst = append(dst, Magic0, Magic1, Version, byte(f.Type))
	dst = binary.BigEndian.AppendUint32(dst, f.Seq)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(f.Payload)))
	dst = binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:start+12]))
	dst = append(dst, f.Payload...)
	return binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:]))
}

// Decoder reads frames from a byte stream, skipping anything that is not a
// frame.
type Decoder struct {
	r          *bufio.Reader
	maxPayload int
	// Skipped counts bytes discarded while looking for a frame.
	Skipped int64
}

// NewDecoder returns a decoder reading from r that refuses payloads longer
// than maxPayload (capped at HardMaxPayload; <= 0 means DefaultMaxPayload).
func NewDecoder(r io.Reader, maxPayload int) *Decoder {
	return &Decoder{r: bufio.NewReaderSize(r, 64<<10), maxPayload: clampPayload(maxPayload)}
}

func clampPayload(n int) int {
	if n <= 0 {
		return DefaultMaxPayload
	}
	return min(n, HardMaxPayload)
}

// Next returns the next frame. A frame whose payload CRC fails yields a
// *CorruptError (the stream stays usable); any other error comes from the
// underlying reader and is final.
func (d *Decoder) Next() (Frame, error) {
	for {
		hdr, err := d.r.Peek(HeaderSize)
		if err != nil {
			if len(hdr) > 0 && errors.Is(err, io.EOF) {
				d.Skipped += int64(len(hdr))
				err = io.ErrUnexpectedEOF
			}
			return Frame{}, err
		}
		n, ok := d.header(hdr)
		if !ok {
			// Not a frame start: drop bytes up to the next magic byte.
			d.skipToMagic()
			continue
		}
		f := Frame{Type: FrameType(hdr[3]), Seq: binary.BigEndian.Uint32(hdr[4:8])}
		whole := make([]byte, HeaderSize+n+TrailerSize)
		if _, err := io.ReadFull(d.r, whole); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return Frame{}, err
		}
		body := whole[:HeaderSize+n]
		if crc32.ChecksumIEEE(body) != binary.BigEndian.Uint32(whole[HeaderSize+n:]) {
			return Frame{}, &CorruptError{Type: f.Type, Seq: f.Seq}
		}
		f.Payload = whole[HeaderSize : HeaderSize+n : HeaderSize+n]
		return f, nil
	}
}

// header checks a candidate header and returns its payload length.
func (d *Decoder) header(h []byte) (int, bool) {
	if h[0] != Magic0 || h[1] != Magic1 || h[2] != Version {
		return 0, false
	}
	if crc32.ChecksumIEEE(h[:12]) != binary.BigEndian.Uint32(h[12:16]) {
		return 0, false
	}
	n := binary.BigEndian.Uint32(h[8:12])
	if uint64(n) > uint64(d.maxPayload) || !FrameType(h[3]).known() {
		return 0, false
	}
	return int(n), true
}

// skipToMagic discards the first byte and then everything up to (not
// including) the next Magic0 among the bytes already buffered.
func (d *Decoder) skipToMagic() {
	d.r.Discard(1)
	d.Skipped++
	buf, _ := d.r.Peek(d.r.Buffered())
	i := 0
	for i < len(buf) && buf[i] != Magic0 {
		i++
	}
	d.r.Discard(i)
	d.Skipped += int64(i)
}

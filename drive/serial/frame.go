package serial

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"time"
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
	// TypeSync (host to device, empty): a host opened the link; forget the
	// previous host's sequence numbers. The host sends it first, after a
	// silence, and sends no Command until it is answered with SyncAck.
	TypeSync FrameType = 0x03
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
	// TypeSyncAck (device to host, empty): Sync seq was received, the
	// device is idle and its sequence memory is clear. A device still
	// running a command answers Sync with Ack instead.
	TypeSyncAck FrameType = 0x85
)

func (t FrameType) String() string {
	switch t {
	case TypeCommand:
		return "Command"
	case TypePoll:
		return "Poll"
	case TypeSync:
		return "Sync"
	case TypeSyncAck:
		return "SyncAck"
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
	case TypeCommand, TypePoll, TypeSync, TypeAck, TypeResponse, TypeNak, TypeFailure, TypeSyncAck:
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
	// ErrPartialFrame: a frame stopped arriving midway (its sender died or
	// the line dropped bytes); the receiver dropped what it had and waits
	// for the next frame.
	ErrPartialFrame = errors.New("serial: partial frame")
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
	gap        *gapReader // nil: no inter-byte timeout
	maxPayload int
	// Skipped counts bytes discarded while looking for a frame.
	Skipped int64
	// Dropped counts partial frames dropped after InterByteTimeout.
	Dropped int64
}

// NewDecoder returns a decoder reading from r that refuses payloads longer
// than maxPayload (capped at HardMaxPayload; <= 0 means DefaultMaxPayload).
// It waits for the rest of a frame as long as r takes: for a stream with
// no sender that can die midway (a file, a capture).
func NewDecoder(r io.Reader, maxPayload int) *Decoder {
	return &Decoder{r: bufio.NewReaderSize(r, 64<<10), maxPayload: clampPayload(maxPayload)}
}

// NewLineDecoder is NewDecoder for a live line: once a frame has started
// arriving, a silence of gap (InterByteTimeout on a real link) drops the
// bytes received and Next returns an error wrapping ErrPartialFrame. A
// goroutine reads r until r fails or stop closes; close r to release it.
func NewLineDecoder(r io.Reader, maxPayload int, gap time.Duration, stop <-chan struct{}) *Decoder {
	g := newGapReader(r, gap, stop)
	return &Decoder{r: bufio.NewReaderSize(g, 64<<10), gap: g, maxPayload: clampPayload(maxPayload)}
}

func clampPayload(n int) int {
	if n <= 0 {
		return DefaultMaxPayload
	}
	return min(n, HardMaxPayload)
}

// Next returns the next frame. A frame whose payload CRC fails yields a
// *CorruptError, and a frame cut off by a silence an error wrapping
// ErrPartialFrame (the stream stays usable after either); any other error
// comes from the underlying reader and is final.
func (d *Decoder) Next() (Frame, error) {
	for {
		if d.gap != nil && d.r.Buffered() == 0 && len(d.gap.rest) == 0 {
			d.gap.midFrame = false // between frames: wait as long as it takes
		}
		hdr, err := d.r.Peek(HeaderSize)
		if errors.Is(err, errGap) {
			return Frame{}, d.drop(d.r.Buffered(), HeaderSize)
		}
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
		if got, err := io.ReadFull(d.r, whole); err != nil {
			if errors.Is(err, errGap) {
				return Frame{}, d.drop(got, len(whole))
			}
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

// drop discards the got bytes of a frame cut off after want bytes.
func (d *Decoder) drop(got, want int) error {
	d.r.Discard(d.r.Buffered())
	d.Dropped++
	d.Skipped += int64(got)
	return fmt.Errorf("%w: %d of %d bytes, then %v of silence; dropped them", ErrPartialFrame, got, want, d.gap.gap)
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

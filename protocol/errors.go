package protocol

import (
	"errors"
	"fmt"
)

// Decoding and framing errors. Every one of them ends the channel.
var (
	ErrTruncated       = errors.New("message ends before a field is complete")
	ErrTrailingBytes   = errors.New("bytes left over after the last field")
	ErrFieldTooLong    = errors.New("field longer than its limit")
	ErrFieldBadLength  = errors.New("field does not have its fixed length")
	ErrFieldInvalid    = errors.New("field value not allowed")
	ErrUnknownType     = errors.New("unknown message type")
	ErrVersion         = errors.New("unsupported protocol version")
	ErrFrameTooLarge   = errors.New("frame larger than the protocol allows")
	ErrEmptyFrame      = errors.New("empty frame")
	ErrHandshake       = errors.New("noise handshake failed")
	ErrDecrypt         = errors.New("frame does not decrypt (tampered or out of order)")
	ErrUnexpected      = errors.New("message not expected at this point of the conversation")
	ErrFragment        = errors.New("message fragments do not add up (wrong total, or a message that fits one frame sent in fragments)")
	ErrMessageTooLarge = errors.New("message larger than this side accepts")
)

// DecodeError says which message and field could not be decoded.
type DecodeError struct {
	Message string // message or structure being decoded
	Field   string // field name; empty for the header or trailer
	Err     error  // one of the sentinels above
}

func (e *DecodeError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("protocol: decode %s: %v", e.Message, e.Err)
	}
	return fmt.Sprintf("protocol: decode %s.%s: %v", e.Message, e.Field, e.Err)
}

// Unwrap lets errors.Is match the sentinel.
func (e *DecodeError) Unwrap() error { return e.Err }

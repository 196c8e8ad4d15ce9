package protocol

import (
	"encoding/binary"
	"fmt"
)

// readPlain reads and decrypts one frame.
func (c *Channel) readPlain() ([]byte, error) {
	frame, err := ReadFrame(c.conn, c.buf)
	if err != nil {
		return nil, err
	}
	pt, err := c.recv.Decrypt(frame[:0], nil, frame)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// isFragment reports whether a frame's plaintext is a Fragment of this
// protocol version.
func isFragment(pt []byte) bool {
	return len(pt) >= fragmentHead && binary.BigEndian.Uint16(pt) == Version && MsgType(pt[2]) == MsgFragment
}

// reassemble collects the fragments of one message, first already read.
// Every fragment names the same total; the fragments add up to exactly it;
// only a message that cannot fit one frame may be fragmented (one encoding
// per message); the total is bounded before anything is allocated.
func (c *Channel) reassemble(first []byte) ([]byte, error) {
	limit := c.MaxMessage
	if limit <= 0 {
		limit = MaxMessage
	}
	total := int(binary.BigEndian.Uint32(first[3:]))
	switch {
	case total > limit:
		return nil, fmt.Errorf("%w: a message of %d bytes announced, this side takes %d", ErrMessageTooLarge, total, limit)
	case total+16 <= MaxFrame:
		return nil, fmt.Errorf("%w: %d bytes fit one frame", ErrFragment, total)
	}
	msg := make([]byte, 0, total)
	for pt := first; ; {
		if !isFragment(pt) || int(binary.BigEndian.Uint32(pt[3:])) != total {
			return nil, fmt.Errorf("%w: a frame of another kind or total inside a fragmented message", ErrFragment)
		}
		part := pt[fragmentHead:]
		if len(part) == 0 || len(msg)+len(part) > total {
			return nil, fmt.Errorf("%w: fragments exceed the announced %d bytes", ErrFragment, total)
		}
		msg = append(msg, part...)
		if len(msg) == total {
			return msg, nil
		}
		var err error
		if pt, err = c.readPlain(); err != nil {
			return nil, err
		}
	}
}

package burn

import (
	"fmt"

	"copystation/burn/titlepkg"
)

// selector drops, from the package stream, the variant of each forensic
// segment that the codeword does not name.
type selector struct {
	drops []span // stream byte ranges to drop, in order
	pos   int64  // stream offset of the next byte
}

type span struct{ start, end int64 }

func newSelector(m *titlepkg.Manifest, codeword []byte) *selector {
	s := &selector{}
	var extra int64 // variant B bytes before this segment in the stream
	for i, sg := range m.Segments {
		a := int64(sg.Start)*titlepkg.SectorSize + extra
		n := int64(sg.Sectors) * titlepkg.SectorSize
		if titlepkg.CodewordBit(codeword, i) == 1 {
			s.drops = append(s.drops, span{a, a + n}) // keep B, drop A
		} else {
			s.drops = append(s.drops, span{a + n, a + 2*n})
		}
		extra += n
	}
	return s
}

// keep passes the parts of b (the next stream bytes) that survive to emit.
func (s *selector) keep(b []byte, emit func([]byte) error) error {
	for len(b) > 0 {
		for len(s.drops) > 0 && s.pos >= s.drops[0].end {
			s.drops = s.drops[1:]
		}
		n := int64(len(b))
		if len(s.drops) > 0 && s.pos >= s.drops[0].start {
			n = min(n, s.drops[0].end-s.pos)
		} else {
			if len(s.drops) > 0 {
				n = min(n, s.drops[0].start-s.pos)
			}
			if err := emit(b[:n]); err != nil {
				return err
			}
		}
		s.pos += n
		b = b[n:]
	}
	return nil
}

// skip passes over the next n stream bytes unread: a chunk of a variant
// the copy holds no key for. It must lie inside a variant the codeword
// drops; anything else means the keys do not match the codeword.
func (s *selector) skip(n int64) error {
	for len(s.drops) > 0 && s.pos >= s.drops[0].end {
		s.drops = s.drops[1:]
	}
	if len(s.drops) == 0 || s.pos < s.drops[0].start || s.pos+n > s.drops[0].end {
		return fmt.Errorf("%w: no key for stream bytes %d to %d, which this copy's codeword keeps", ErrJob, s.pos, s.pos+n)
	}
	s.pos += n
	return nil
}

package m2ts

import "fmt"

// PES is one PES packet read back from a stream.
type PES struct {
	PTS    int64 // -1 when the header has none
	HasPTS bool
	Data   []byte // the PES payload (an elementary-stream access unit)
	SPN    int    // source packet number of its first packet
}

// Demux reads a BDAV stream (whole 192-byte source packets) and returns,
// per PID, the PES packets it carries (PSI and null packets are skipped).
// It checks every packet's sync byte, adaptation field length, and PES
// start code and header length; anything else is ErrFormat with the
// packet number. A PES cut off at the end of the stream is returned as
// far as it goes. Continuity counters are not checked: a remux or a cut
// is still read.
func Demux(data []byte) (map[uint16][]PES, error) {
	if len(data)%PacketSize != 0 {
		return nil, fmt.Errorf("m2ts.Demux: %w: %d bytes is not a whole number of %d-byte source packets", ErrFormat, len(data), PacketSize)
	}
	out := map[uint16][]PES{}
	open := map[uint16]*PES{}
	raw := map[uint16][]byte{}
	finish := func(pid uint16) error {
		p := open[pid]
		if p == nil {
			return nil
		}
		delete(open, pid)
		if err := parsePES(p, raw[pid]); err != nil {
			return fmt.Errorf("m2ts.Demux: packet %d: %w", p.SPN, err)
		}
		out[pid] = append(out[pid], *p)
		return nil
	}
	for spn := 0; spn*PacketSize < len(data); spn++ {
		tp := data[spn*PacketSize+4 : (spn+1)*PacketSize]
		if tp[0] != syncByte {
			return nil, fmt.Errorf("m2ts.Demux: %w: packet %d has no sync byte", ErrFormat, spn)
		}
		pid := uint16(tp[1]&0x1F)<<8 | uint16(tp[2])
		start := tp[1]&0x40 != 0
		afc := tp[3] >> 4 & 3
		body := tp[4:]
		if afc&2 != 0 {
			n := int(body[0])
			if n > len(body)-1 || (afc&1 != 0 && n > len(body)-2) {
				return nil, fmt.Errorf("m2ts.Demux: %w: packet %d has an adaptation field of %d bytes", ErrFormat, spn, n)
			}
			body = body[1+n:]
		}
		if afc&1 == 0 || pid == PIDNull || pid == PIDPAT || pid == PIDPMT {
			continue
		}
		if start {
			if err := finish(pid); err != nil {
				return nil, err
			}
			open[pid] = &PES{SPN: spn}
			raw[pid] = raw[pid][:0]
		}
		if open[pid] == nil {
			continue // the tail of a PES that began before the stream did
		}
		raw[pid] = append(raw[pid], body...)
	}
	for pid := range open {
		if err := finish(pid); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parsePES reads a PES header (ISO/IEC 13818-1 2.4.3.6) from b into p.
func parsePES(p *PES, b []byte) error {
	if len(b) < 9 || b[0] != 0 || b[1] != 0 || b[2] != 1 {
		return fmt.Errorf("%w: PES packet without a start code", ErrFormat)
	}
	n := int(b[4])<<8 | int(b[5])
	hl := int(b[8])
	if b[6]&0xC0 != 0x80 || 9+hl > len(b) {
		return fmt.Errorf("%w: PES header of %d bytes in %d", ErrFormat, hl, len(b))
	}
	if b[7]&0x80 != 0 {
		if hl < 5 {
			return fmt.Errorf("%w: PES header flags a PTS it has no room for", ErrFormat)
		}
		p.PTS, p.HasPTS = readPTS(b[9:]), true
	} else {
		p.PTS = -1
	}
	end := len(b)
	if n != 0 && 6+n < end {
		end = 6 + n // a bounded PES: what follows is stuffing
	}
	if 9+hl > end {
		return fmt.Errorf("%w: PES length %d shorter than its header", ErrFormat, n)
	}
	p.Data = append([]byte(nil), b[9+hl:end]...)
	return nil
}

package m2ts

import (
	"bytes"
	"fmt"
	"io"
	"sort"
)

// Access is one access unit of an elementary stream: a video picture or
// an audio frame.
type Access struct {
	// PTS is the presentation time (90 kHz); with no B-pictures the
	// decoding time is the same.
	PTS int64
	// Data holds the access unit's bytes in variant A and in variant B.
	// Data[1] nil means the access has one rendering.
	Data [2][]byte
	// Key marks a video random access point (an IDR picture starting a
	// closed GOP): the PAT and PMT go before it, and it gets an entry
	// point.
	Key bool
	// Segment is the forensic segment the GOP starting at this key
	// access belongs to, or -1. Only key video accesses set it; the rest
	// of the GOP, and the audio between, belong to the same run.
	Segment int
}

// EntryPoint is a place a player may start decoding: the source packet
// number of the PAT before a key picture, and the picture's PTS.
type EntryPoint struct {
	SPN uint32
	PTS int64
}

// Span is a forensic segment's place in the stream, in aligned units.
type Span struct {
	Segment     int
	Start, Size int // units
}

// Result is a muxed stream in both renderings.
type Result struct {
	// A and B are the stream with every access in variant A, and in
	// variant B where it has one; they differ only inside Spans.
	A, B    []byte
	Entries []EntryPoint
	Spans   []Span
	// Start and End are the presentation interval of the video (90 kHz):
	// the first picture's PTS and the last one's plus a frame.
	Start, End int64
}

// Timing of the stream: the first picture is presented 0.6 s after the
// first packet arrives, packets arrive at most at Blu-ray's 48 Mbit/s
// transport rate and no earlier than 0.5 s before their decoding time.
const (
	FirstPTS   = 54000
	decodeLead = 45000 * clockPCR
	packetGap  = 27000000 * TSPacketSize * 8 / 48000000
)

// Muxer writes a BDAV stream as its accesses come, in presentation
// order, without holding the stream: rendering A goes to one writer and,
// inside forensic segments only, rendering B to another (outside them
// the two are the same bytes). Mux is the in-memory form.
type Muxer struct {
	r        Result // Entries and Spans; A and B stay nil
	a, b     io.Writer
	bAll     bool // write B outside segments too (Mux's whole B stream)
	audio    bool
	packets  int
	ats      int64 // arrival time of the last packet, 27 MHz
	cc       map[uint16]byte
	segment  int
	spanAt   int
	err      error
	first    bool
	start    int64
	lastPTS  int64
	accesses int
}

// NewMuxer starts a stream that writes rendering A to a and rendering B
// of the segments to b (the concatenation of every segment's B bytes, in
// order). audio says whether the program map lists the audio stream.
func NewMuxer(a, b io.Writer, audio bool) *Muxer {
	return &Muxer{a: a, b: b, audio: audio, cc: map[uint16]byte{}, segment: -1, first: true}
}

// Add writes the next access in presentation order (video before audio
// at equal times). The first video access must be a key picture.
func (m *Muxer) Add(a Access, video bool) error {
	if m.err != nil {
		return m.err
	}
	switch {
	case video && m.first && !a.Key:
		return fmt.Errorf("m2ts.Mux: %w: the video must start with a key picture", ErrMux)
	case a.PTS < m.lastPTS:
		return fmt.Errorf("m2ts.Mux: %w: access %d at PTS %d after PTS %d: accesses come in presentation order", ErrMux, m.accesses, a.PTS, m.lastPTS)
	case !video && m.first:
		return fmt.Errorf("m2ts.Mux: %w: the video must start with a key picture", ErrMux)
	}
	if video && m.first {
		m.first, m.start = false, a.PTS
	}
	m.lastPTS = a.PTS
	if video && a.Key {
		if a.Segment != m.segment {
			m.alignTo(a.Segment)
		}
		m.r.Entries = append(m.r.Entries, EntryPoint{SPN: uint32(m.packets), PTS: a.PTS})
		m.psi(PIDPAT, pat())
		m.psi(PIDPMT, pmt(m.audio))
	} else if video && a.Segment >= 0 && a.Segment != m.segment {
		return fmt.Errorf("m2ts.Mux: %w: access %d names segment %d but is not a key picture", ErrMux, m.accesses, a.Segment)
	}
	m.accesses++
	if err := m.access(a, video); err != nil {
		return fmt.Errorf("m2ts.Mux: %w", err)
	}
	return m.err
}

// Close pads the stream to an aligned unit and returns the entry points,
// the segments' spans and the presentation interval (the first picture's
// PTS to end). A and B of the result are nil.
func (m *Muxer) Close(end int64) (*Result, error) {
	if m.first {
		return nil, fmt.Errorf("m2ts.Mux: %w: the video must start with a key picture", ErrMux)
	}
	m.alignTo(-1)
	m.r.Start, m.r.End = m.start, end
	return &m.r, m.err
}

// Mux writes video and audio (each in presentation order; audio may be
// empty) as one BDAV stream, frameDur the video frame duration in 90 kHz
// ticks. Segments start and end on aligned-unit boundaries and the stream
// ends on one.
func Mux(video, audio []Access, frameDur int64) (*Result, error) {
	if len(video) == 0 || !video[0].Key {
		return nil, fmt.Errorf("m2ts.Mux: %w: the video must start with a key picture", ErrMux)
	}
	var a, b bytes.Buffer
	m := NewMuxer(&a, &b, len(audio) > 0)
	m.bAll = true
	type item struct {
		a     Access
		video bool
	}
	items := make([]item, 0, len(video)+len(audio))
	for _, a := range video {
		items = append(items, item{a, true})
	}
	for _, a := range audio {
		items = append(items, item{a, false})
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].a.PTS < items[j].a.PTS })
	for _, it := range items {
		if err := m.Add(it.a, it.video); err != nil {
			return nil, err
		}
	}
	r, err := m.Close(video[len(video)-1].PTS + frameDur)
	if err != nil {
		return nil, err
	}
	r.A, r.B = a.Bytes(), b.Bytes()
	return r, nil
}

// alignTo pads to an aligned-unit boundary, closing the open segment and
// opening segment s (-1 for none).
func (m *Muxer) alignTo(s int) {
	for m.packets%(UnitSize/PacketSize) != 0 {
		m.null()
	}
	unit := m.packets / (UnitSize / PacketSize)
	if m.segment >= 0 {
		m.r.Spans = append(m.r.Spans, Span{Segment: m.segment, Start: m.spanAt, Size: unit - m.spanAt})
	}
	m.segment, m.spanAt = s, unit
}

// header starts a source packet: arrival time, then the 4-byte transport
// packet header. earliest is the earliest arrival time (27 MHz).
func (m *Muxer) header(pid uint16, start bool, earliest int64) []byte {
	m.ats = max(m.ats+packetGap, earliest)
	if m.packets == 0 {
		m.ats = 0
	}
	p := make([]byte, PacketSize)
	ats := uint32(m.ats) & atsMask
	p[0], p[1], p[2], p[3] = byte(ats>>24), byte(ats>>16), byte(ats>>8), byte(ats)
	p[4] = syncByte
	p[5] = byte(pid>>8) & 0x1F
	if start {
		p[5] |= 0x40
	}
	p[6] = byte(pid)
	p[7] = 0x10 | m.cc[pid] // payload only; the caller adds an adaptation field
	m.cc[pid] = (m.cc[pid] + 1) & 0x0F
	return p
}

// emit writes one source packet in both renderings: B only inside a
// segment (or everywhere for Mux).
func (m *Muxer) emit(a, b []byte) {
	m.packets++
	if m.err != nil {
		return
	}
	if _, err := m.a.Write(a); err != nil {
		m.err = fmt.Errorf("m2ts.Mux: %w", err)
		return
	}
	if m.segment >= 0 || m.bAll {
		if _, err := m.b.Write(b); err != nil {
			m.err = fmt.Errorf("m2ts.Mux: %w", err)
		}
	}
}

func (m *Muxer) null() {
	p := m.header(PIDNull, false, 0)
	for i := 8; i < PacketSize; i++ {
		p[i] = 0xFF
	}
	m.emit(p, p)
}

// psi writes one section in one packet: pointer field, section, stuffing.
func (m *Muxer) psi(pid uint16, sec []byte) {
	p := m.header(pid, true, 0)
	p[8] = 0
	n := copy(p[9:], sec)
	for i := 9 + n; i < PacketSize; i++ {
		p[i] = 0xFF
	}
	m.emit(p, p)
}

// access writes one access unit in both renderings over the same number
// of packets; a video key picture's first packet carries the PCR.
func (m *Muxer) access(a Access, video bool) error {
	pid := PIDAudio
	if video {
		pid = PIDVideo
	}
	var streams [2][]byte
	for v := range 2 {
		d := a.Data[v]
		if d == nil {
			d = a.Data[0]
		}
		s, err := pes(video, a.PTS, d)
		if err != nil {
			return fmt.Errorf("%w: audio frame of %d bytes is longer than a PES packet", ErrMux, len(d))
		}
		streams[v] = s
	}
	pcr := video
	first := payloadSize
	if pcr {
		first -= 8
	}
	need := func(l int) int { return 1 + max(0, (l-first+payloadSize-1)/payloadSize) }
	n := max(need(len(streams[0])), need(len(streams[1])))
	if min(len(streams[0]), len(streams[1])) < n {
		return fmt.Errorf("%w: variants of %d and %d bytes cannot share %d packets", ErrMux, len(streams[0]), len(streams[1]), n)
	}
	earliest := a.PTS*clockPCR - decodeLead
	var sizes [2][]int
	for v := range 2 {
		rem := len(streams[v])
		for i := range n {
			c := payloadSize
			if i == 0 {
				c = first
			}
			s := min(c, rem-(n-i-1))
			sizes[v] = append(sizes[v], s)
			rem -= s
		}
	}
	for i := range n {
		withPCR := pcr && i == 0
		h := m.header(pid, i == 0, earliest)
		var out [2][]byte
		for v := range 2 {
			p := append([]byte(nil), h...)
			body := p[8:]
			s := sizes[v][i]
			if withPCR || s < payloadSize {
				p[7] |= 0x20
				afLen := payloadSize - s - 1 // bytes after the length byte
				body[0] = byte(afLen)
				if afLen > 0 {
					body[1] = 0
					if withPCR {
						body[1] = 0x10
						putPCR(body[2:], m.ats)
					}
					for j := 2 + pcrLen(withPCR); j < 1+afLen; j++ {
						body[j] = 0xFF
					}
				}
				body = body[1+afLen:]
			}
			copy(body, streams[v][:s])
			streams[v] = streams[v][s:]
			out[v] = p
		}
		m.emit(out[0], out[1])
	}
	return nil
}

func pcrLen(with bool) int {
	if with {
		return 6
	}
	return 0
}

// putPCR writes a program clock reference: 33-bit base (90 kHz), 6
// reserved bits, 9-bit extension.
func putPCR(b []byte, t int64) {
	base, ext := t/clockPCR, t%clockPCR
	b[0] = byte(base >> 25)
	b[1] = byte(base >> 17)
	b[2] = byte(base >> 9)
	b[3] = byte(base >> 1)
	b[4] = byte(base<<7) | 0x7E | byte(ext>>8)
	b[5] = byte(ext)
}

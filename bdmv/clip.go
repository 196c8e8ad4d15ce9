package bdmv

// ClipInfo is CLIPINF/00000.clpi: the clip's stream type and size, one
// ATC and one STC sequence, the program (PMT, video, audio), and the
// entry-point map of the video (coarse and fine entries, as a player
// seeks through them).
func ClipInfo(c Clip) []byte {
	w := &writer{}
	w.str("HDMV0200")
	at := w.at()
	w.zero(20) // sequence, program, CPI, clip mark and extension starts
	w.zero(12)

	info := w.length32()
	w.u16(0)
	w.u8(1)  // clip stream type: AV stream
	w.u8(1)  // application type: main TS of a movie
	w.u32(0) // not an ATC delta
	w.u32(c.Rate)
	w.u32(c.Packets)
	w.zero(128)
	ts := w.length16() // TS type info block
	w.u8(0x80)
	w.str("HDMV")
	w.zero(25)
	ts()
	info()

	w.put32(at, uint32(w.at()))
	seq := w.length32()
	w.u8(0)
	w.u8(1)  // ATC sequences
	w.u32(0) // SPN of ATC start
	w.u8(1)  // STC sequences
	w.u8(0)  // STC id offset
	w.u16(c.VideoPID)
	w.u32(0) // SPN of STC start
	w.u32(to45k(c.Start))
	w.u32(to45k(c.End))
	seq()

	w.put32(at+4, uint32(w.at()))
	prog := w.length32()
	w.u8(0)
	w.u8(1)  // programs
	w.u32(0) // SPN of program sequence start
	w.u16(c.PMTPID)
	n := byte(1)
	if c.AudioPID != 0 {
		n = 2
	}
	w.u8(n)
	w.u8(0) // program groups
	w.u16(c.VideoPID)
	attr := w.length8()
	w.u8(CodingH264)
	w.u8(c.VideoFormat<<4 | c.FPS)
	w.u8(Aspect169 << 4)
	w.zero(18)
	attr()
	if c.AudioPID != 0 {
		w.u16(c.AudioPID)
		attr := w.length8()
		w.u8(CodingAC3)
		w.u8(c.AudioFormat<<4 | c.Sample)
		w.str(lang(c.AudioLang))
		w.zero(16)
		attr()
	}
	prog()

	w.put32(at+8, uint32(w.at()))
	cpi(w, c)

	w.put32(at+12, uint32(w.at()))
	w.u32(0) // no clip marks
	return w.b
}

// cpi writes the characteristic point information: an EP map with one
// stream, the video. A fine entry keeps bits 19..9 of the PTS and the low
// 17 bits of the SPN; a coarse entry, written whenever the higher bits
// change, keeps bits 32..19 of the PTS and the whole SPN, and the index of
// its first fine entry.
func cpi(w *writer, c Clip) {
	done := w.length32()
	w.u16(1) // CPI type 1: EP map
	epMap := w.at()
	w.u8(0)
	w.u8(1) // streams
	w.u16(c.VideoPID)
	type coarse struct {
		fine uint32
		pts  uint32
		spn  uint32
	}
	var cs []coarse
	for i, e := range c.Entries {
		p, s := uint32(e.PTS>>19)&0x3FFF, e.SPN
		if len(cs) == 0 || cs[len(cs)-1].pts != p || cs[len(cs)-1].spn>>17 != s>>17 {
			cs = append(cs, coarse{uint32(i), p, s})
		}
	}
	// 10 reserved bits, stream type 1 (video), 16-bit coarse count, 18-bit fine count.
	v := uint64(1)<<34 | uint64(len(cs))<<18 | uint64(len(c.Entries))
	w.bytes(byte(v>>40), byte(v>>32), byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	start := w.at()
	w.u32(0) // stream start, relative to the EP map
	w.put32(start, uint32(w.at()-epMap))

	w.u32(uint32(4 + 8*len(cs))) // fine table start, relative to the stream's
	for _, e := range cs {
		w.u32(e.fine<<14 | e.pts)
		w.u32(e.spn)
	}
	for _, e := range c.Entries {
		// angle change point 0, I end position offset 1.
		w.u32(1<<28 | uint32(e.PTS>>9&0x7FF)<<17 | e.SPN&0x1FFFF)
	}
	done()
}

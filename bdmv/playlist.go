package bdmv

// Playlist is PLAYLIST/00000.mpls: one play item, the whole of clip
// 00000 from c.Start to c.End, its video and audio streams, and one entry
// mark (chapter 1) at the start.
func Playlist(c Clip) []byte {
	w := &writer{}
	w.str("MPLS0200")
	at := w.at()
	w.u32(0) // playlist start, filled below
	w.u32(0) // playlist mark start
	w.u32(0) // no extension data
	w.zero(20)
	app := w.length32() // AppInfoPlayList
	w.u8(0)
	w.u8(1)   // playback type: sequential
	w.u16(0)  // playback count
	w.zero(8) // user operation mask: nothing masked
	w.u16(0)  // random access, audio mix, lossless bypass flags clear
	app()

	w.put32(at, uint32(w.at()))
	list := w.length32()
	w.u16(0)
	w.u16(1) // play items
	w.u16(0) // sub-paths
	item := w.length16()
	w.str("00000M2TS")
	w.u16(0x0001) // not multi-angle; connection condition 1
	w.u8(0)       // STC id
	w.u32(to45k(c.Start))
	w.u32(to45k(c.End))
	w.zero(8) // user operation mask
	w.u8(0)   // random access flag clear
	w.u8(0)   // still mode: none
	w.u16(0)
	stn(w, c)
	item()
	list()

	w.put32(at+4, uint32(w.at()))
	marks := w.length32()
	w.u16(1)
	w.u8(0)
	w.u8(1)  // entry mark
	w.u16(0) // play item 0
	w.u32(to45k(c.Start))
	w.u16(0xFFFF) // no elementary stream
	w.u32(0)      // duration
	marks()
	return w.b
}

// stn writes the play item's stream number table.
func stn(w *writer, c Clip) {
	done := w.length16()
	w.u16(0)
	w.u8(1) // video streams
	var audio byte
	if c.AudioPID != 0 {
		audio = 1
	}
	w.u8(audio)
	w.zero(6) // PG, IG, secondary audio and video, PiP PG, DV: none
	w.zero(4)
	entry := func(pid uint16) {
		e := w.length8()
		w.u8(1) // stream of the play item's own clip
		w.u16(pid)
		w.zero(6)
		e()
	}
	entry(c.VideoPID)
	a := w.length8()
	w.u8(CodingH264)
	w.u8(c.VideoFormat<<4 | c.FPS)
	w.zero(3)
	a()
	if audio == 1 {
		entry(c.AudioPID)
		a := w.length8()
		w.u8(CodingAC3)
		w.u8(c.AudioFormat<<4 | c.Sample)
		w.str(lang(c.AudioLang))
		w.zero(1)
		a()
	}
	done()
}

func lang(s string) string {
	if len(s) != 3 {
		return "und"
	}
	return s
}

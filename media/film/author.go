package film

import (
	"bytes"
	"fmt"

	"copystation/bdmv"
	"copystation/burn/titlepkg"
	"copystation/media/h264"
	"copystation/media/m2ts"
	"copystation/media/udf"
)

// MaxSource bounds each source file Author reads: the authoring step
// holds the film in memory (twice), which suits test films and demos, not
// a feature film.
const MaxSource = 512 << 20

// frameDur is one frame at FPS, in 90 kHz ticks.
const frameDur = m2ts.Clock90k / FPS

// Paths in the image.
const (
	StreamPath = "BDMV/STREAM/00000.m2ts"
	label      = "COPYSTATION"
)

// Film is an authored title: the image to package, its forensic segments'
// B variants and the digests that tell the variants apart.
type Film struct {
	Image    []byte
	Variants []titlepkg.Variant // in segment order (by start sector)
	Table    Table
	// StreamSector is the image sector of the m2ts's first byte; Stream
	// is the m2ts (every segment in variant A).
	StreamSector int
	Stream       []byte
	// Frames is the number of video frames; Start and End the
	// presentation interval (90 kHz).
	Frames     int
	Start, End int64
	format     byte // bdmv.Video720p or bdmv.Video1080p
}

// Author builds the film from the issuer's encodings: every GOP but the
// first and the last is a forensic segment (the first carries the
// encoder's own SEI and the last may be short). The two encodings must
// have the same GOPs, access unit for access unit, with the same
// parameter sets, and differ in every segment.
func Author(e *Encoding, title string) (*Film, error) {
	var src [3][]byte
	for i, p := range []string{e.VideoA, e.VideoB, e.Audio} {
		b, err := readBounded(p, MaxSource)
		if err != nil {
			return nil, fmt.Errorf("film.Author: %w", err)
		}
		src[i] = b
	}
	ga := h264.GOPs(h264.AccessUnits(h264.NALs(src[0])))
	gb := h264.GOPs(h264.AccessUnits(h264.NALs(src[1])))
	if len(ga) == 0 {
		return nil, fmt.Errorf("film.Author: %w: %s holds no IDR picture", ErrSource, e.VideoA)
	}
	format, err := videoFormat(ga[0])
	if err != nil {
		return nil, fmt.Errorf("film.Author: %w", err)
	}
	if err := matchGOPs(ga, gb); err != nil {
		return nil, fmt.Errorf("film.Author: %w", err)
	}
	f := &Film{Table: Table{Title: title}, format: format}
	var video []m2ts.Access
	for g := range ga {
		seg := -1
		if g > 0 && g < len(ga)-1 {
			seg = len(f.Table.Segments)
			da, db := ga[g].Digest(), gb[g].Digest()
			f.Table.Segments = append(f.Table.Segments, SegmentDigests{FirstFrame: len(video), Frames: len(ga[g].Units), A: da[:], B: db[:]})
		}
		for i, au := range ga[g].Units {
			a := m2ts.Access{PTS: m2ts.FirstPTS + int64(len(video))*frameDur, Data: [2][]byte{annexB(au)}, Key: i == 0, Segment: -1}
			if seg >= 0 {
				a.Data[1] = annexB(gb[g].Units[i])
				if i == 0 {
					a.Segment = seg
				}
			}
			video = append(video, a)
		}
	}
	if err := f.Table.check(); err != nil {
		return nil, fmt.Errorf("film.Author: %w: the digest table would be unusable: %v (a repeated digest means two GOPs coded the same, as a still stretch is)", ErrSource, err)
	}
	audio, err := ac3Frames(src[2])
	if err != nil {
		return nil, fmt.Errorf("film.Author: %w", err)
	}
	r, err := m2ts.Mux(video, audio, frameDur)
	if err != nil {
		return nil, fmt.Errorf("film.Author: %w", err)
	}
	f.Frames, f.Start, f.End, f.Stream = len(video), r.Start, r.End, r.A
	if err := f.image(r); err != nil {
		return nil, fmt.Errorf("film.Author: %w", err)
	}
	return f, nil
}

// matchGOPs checks that the two encodings can be mixed GOP by GOP.
func matchGOPs(a, b []h264.GOP) error {
	if len(a) < 3 {
		return fmt.Errorf("%w: %d GOPs; a film needs at least 3 (segments are the GOPs between the first and the last)", ErrSource, len(a))
	}
	if len(a) != len(b) {
		return fmt.Errorf("%w: the encodings have %d and %d GOPs; encode both with the same fixed GOP length", ErrSource, len(a), len(b))
	}
	for g := range a {
		if len(a[g].Units) != len(b[g].Units) {
			return fmt.Errorf("%w: GOP %d has %d and %d pictures in the two encodings", ErrSource, g, len(a[g].Units), len(b[g].Units))
		}
		if !bytes.Equal(paramSets(a[g]), paramSets(b[g])) {
			return fmt.Errorf("%w: GOP %d's parameter sets differ between the encodings; encode both with the same settings", ErrSource, g)
		}
		if g > 0 && g < len(a)-1 && a[g].Digest() == b[g].Digest() {
			return fmt.Errorf("%w: GOP %d is coded the same in both encodings, so its variants could not be told apart", ErrSource, g)
		}
	}
	return nil
}

// videoFormat reads the first GOP's SPS: the film must be 720x480,
// 1280x720 or 1920x1080 at FPS frames per second (what the clip information and the
// muxer's timing declare).
func videoFormat(g h264.GOP) (byte, error) {
	for _, n := range g.Units[0].NALs {
		if h264.Type(n) != h264.TypeSPS {
			continue
		}
		s, err := h264.ParseSPS(n)
		if err != nil {
			return 0, fmt.Errorf("%w: %v", ErrSource, err)
		}
		if s.FrameRate != FPS {
			return 0, fmt.Errorf("%w: %g frames per second; encode at %d", ErrSource, s.FrameRate, FPS)
		}
		switch {
		case s.Width == 720 && s.Height == 480:
			return bdmv.Video480p, nil
		case s.Width == 1280 && s.Height == 720:
			return bdmv.Video720p, nil
		case s.Width == 1920 && s.Height == 1080:
			return bdmv.Video1080p, nil
		}
		return 0, fmt.Errorf("%w: %dx%d pictures; encode at 720x480, 1280x720 or 1920x1080", ErrSource, s.Width, s.Height)
	}
	return 0, fmt.Errorf("%w: the first picture has no sequence parameter set", ErrSource)
}

func paramSets(g h264.GOP) []byte {
	var b []byte
	for _, n := range g.Units[0].NALs {
		if t := h264.Type(n); t == h264.TypeSPS || t == h264.TypePPS {
			b = append(append(b, 0, 0, 1), n...)
		}
	}
	return b
}

// annexB frames an access unit's NAL units with 4-byte start codes.
func annexB(au h264.AccessUnit) []byte {
	var b []byte
	for _, n := range au.NALs {
		b = append(append(b, 0, 0, 0, 1), n...)
	}
	return b
}

// image writes the BDMV tree into a UDF 2.50 image and places the
// segments in it.
func (f *Film) image(r *m2ts.Result) error {
	video := f.format
	secs := max(1, (r.End-r.Start)/m2ts.Clock90k)
	c := bdmv.Clip{Packets: uint32(len(r.A) / m2ts.PacketSize), Rate: uint32(int64(len(r.A)) / secs),
		Start: r.Start, End: r.End, VideoPID: m2ts.PIDVideo, VideoFormat: video, FPS: bdmv.Rate24,
		PMTPID: m2ts.PIDPMT, AudioPID: m2ts.PIDAudio, AudioLang: "eng", AudioFormat: bdmv.AudioStereo, Sample: bdmv.Audio48k}
	for _, e := range r.Entries {
		c.Entries = append(c.Entries, bdmv.Entry{SPN: e.SPN, PTS: e.PTS})
	}
	index, mobj := bdmv.Index(video, bdmv.Rate24), bdmv.MovieObject()
	mpls, clpi := bdmv.Playlist(c), bdmv.ClipInfo(c)
	u, err := udf.Blank(label, 2048)
	if err != nil {
		return err
	}
	err = u.Add([]udf.File{
		{Path: "BDMV"}, {Path: "CERTIFICATE"},
		{Path: "BDMV/index.bdmv", Data: index}, {Path: "BDMV/MovieObject.bdmv", Data: mobj},
		{Path: "BDMV/PLAYLIST"}, {Path: "BDMV/PLAYLIST/00000.mpls", Data: mpls},
		{Path: "BDMV/CLIPINF"}, {Path: "BDMV/CLIPINF/00000.clpi", Data: clpi},
		{Path: "BDMV/STREAM"}, {Path: StreamPath, Data: r.A},
		{Path: "BDMV/BACKUP"}, {Path: "BDMV/BACKUP/index.bdmv", Data: index},
		{Path: "BDMV/BACKUP/MovieObject.bdmv", Data: mobj},
		{Path: "BDMV/BACKUP/PLAYLIST"}, {Path: "BDMV/BACKUP/PLAYLIST/00000.mpls", Data: mpls},
		{Path: "BDMV/BACKUP/CLIPINF"}, {Path: "BDMV/BACKUP/CLIPINF/00000.clpi", Data: clpi},
	})
	if err != nil {
		return err
	}
	f.Image = u.Image()
	f.StreamSector, _ = u.Where(StreamPath)
	const sectorsPerUnit = m2ts.UnitSize / 2048
	for _, s := range r.Spans {
		f.Variants = append(f.Variants, titlepkg.Variant{
			Start: uint64(f.StreamSector + s.Start*sectorsPerUnit),
			B:     r.B[s.Start*m2ts.UnitSize : (s.Start+s.Size)*m2ts.UnitSize]})
		f.Table.Segments[s.Segment].Start = f.Variants[len(f.Variants)-1].Start
		f.Table.Segments[s.Segment].Sectors = uint32(s.Size * sectorsPerUnit)
	}
	return nil
}

// ac3Frames cuts an AC-3 elementary stream into its sync frames (ATSC
// A/52 5.3: sync word 0x0B77, fscod and frmsizecod in byte 4), 48 kHz
// only, 1536 samples (2880 ticks of 90 kHz) each.
func ac3Frames(b []byte) ([]m2ts.Access, error) {
	kbps := [...]int{32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 576, 640}
	var out []m2ts.Access
	for off := 0; off < len(b); {
		if len(b)-off < 5 || b[off] != 0x0B || b[off+1] != 0x77 {
			return nil, fmt.Errorf("%w: AC-3 stream has no sync frame at byte %d", ErrSource, off)
		}
		fscod, code := b[off+4]>>6, int(b[off+4]&0x3F)
		if fscod != 0 || code/2 >= len(kbps) {
			return nil, fmt.Errorf("%w: AC-3 frame at byte %d is not 48 kHz at a listed bit rate", ErrSource, off)
		}
		n := kbps[code/2] * 4 // 2 words per kbit/s at 48 kHz, 2 bytes a word
		if off+n > len(b) {
			return nil, fmt.Errorf("%w: AC-3 stream ends inside a frame at byte %d", ErrSource, off)
		}
		out = append(out, m2ts.Access{PTS: m2ts.FirstPTS + int64(len(out))*2880, Data: [2][]byte{b[off : off+n]}, Segment: -1})
		off += n
	}
	return out, nil
}

// MinPSNR is the visibility threshold the variants are held to: between
// a segment's two variants, every decoded frame is at least this close
// (PSNR over Y, U and V, ffmpeg's psnr filter psnr_avg), in dB.
const MinPSNR = 45.0

package film

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"copystation/bdmv"
	"copystation/burn/titlepkg"
	"copystation/media/h264"
	"copystation/media/m2ts"
	"copystation/media/udf"
)

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
	// Image and Variants are in memory (Author); ImagePath and
	// VariantsPath on disk (AuthorTo), Image and Variants then nil.
	Image    []byte
	Variants []titlepkg.Variant // in segment order (by start sector)
	Table    Table
	// ImagePath holds the image (ImageSize bytes); VariantsPath every
	// segment's B variant, concatenated in segment order (LoadVariants).
	ImagePath, VariantsPath string
	ImageSize               int64
	// StreamSector is the image sector of the m2ts's first byte, of
	// StreamSize bytes; Stream is the m2ts (every segment in variant A),
	// in memory after Author only.
	StreamSector int
	StreamSize   int64
	Stream       []byte
	// Frames is the number of video frames; Start and End the
	// presentation interval (90 kHz).
	Frames     int
	Start, End int64
	format     byte // bdmv.Video480p, Video720p or Video1080p
}

// Author is AuthorTo in memory: it authors into a temporary directory
// and reads the image and the variants back. For test films and demos;
// the issuer's path (validatord title package --film) uses AuthorTo.
func Author(e *Encoding, title string) (*Film, error) {
	dir, err := os.MkdirTemp("", "film-author-*")
	if err != nil {
		return nil, fmt.Errorf("film.Author: %w", err)
	}
	defer os.RemoveAll(dir)
	f, err := AuthorTo(e, title, dir)
	if err != nil {
		return nil, err
	}
	if f.Image, err = os.ReadFile(f.ImagePath); err != nil {
		return nil, fmt.Errorf("film.Author: %w", err)
	}
	if f.Variants, err = f.LoadVariants(); err != nil {
		return nil, err
	}
	at := int64(f.StreamSector) * 2048
	f.Stream = f.Image[at : at+f.StreamSize]
	f.ImagePath, f.VariantsPath = "", ""
	return f, nil
}

// LoadVariants reads the segments' B variants from VariantsPath: what
// titlepkg.Spec takes, in memory (a package holds each segment's B).
func (f *Film) LoadVariants() ([]titlepkg.Variant, error) {
	r, err := os.Open(f.VariantsPath)
	if err != nil {
		return nil, fmt.Errorf("film.LoadVariants: %w", err)
	}
	defer r.Close()
	br := bufio.NewReader(r)
	vs := make([]titlepkg.Variant, len(f.Table.Segments))
	for i, s := range f.Table.Segments {
		vs[i] = titlepkg.Variant{Start: s.Start, B: make([]byte, int(s.Sectors)*2048)}
		if _, err := io.ReadFull(br, vs[i].B); err != nil {
			return nil, fmt.Errorf("film.LoadVariants: segment %d: %w", i, err)
		}
	}
	return vs, nil
}

// AuthorTo builds the film from the issuer's encodings into dir, as it
// reads them: the image goes to dir/<title>.udf and the segments' B
// variants to dir/<title>.variants; memory holds a GOP of each encoding
// and the navigation files, not the film. Every GOP but the first and
// the last is a forensic segment (the first carries the encoder's own
// SEI and the last may be short). The two encodings must have the same
// GOPs, access unit for access unit, with the same parameter sets, and
// differ in every segment.
func AuthorTo(e *Encoding, title, dir string) (*Film, error) {
	src, err := openSources(e)
	if err != nil {
		return nil, fmt.Errorf("film.Author: %w", err)
	}
	defer src.close()
	f := &Film{Table: Table{Title: title}, ImagePath: filepath.Join(dir, title+".udf"), VariantsPath: filepath.Join(dir, title+".variants")}
	tmp := filepath.Join(dir, "."+title+".m2ts.tmp")
	defer os.Remove(tmp)
	r, err := f.mux(src, tmp)
	if err != nil {
		return nil, fmt.Errorf("film.Author: %w", err)
	}
	if err := f.Table.check(); err != nil {
		return nil, fmt.Errorf("film.Author: %w: the digest table would be unusable: %v (a repeated digest means two GOPs coded the same, as a still stretch is)", ErrSource, err)
	}
	if err := f.image(r, tmp); err != nil {
		return nil, fmt.Errorf("film.Author: %w", err)
	}
	return f, nil
}

// mux reads both encodings GOP by GOP (one GOP ahead, to know the last)
// and the audio, and muxes the m2ts into path and the B variants into
// f.VariantsPath.
func (f *Film) mux(src *sources, path string) (*m2ts.Result, error) {
	out, err := newSink(path)
	if err != nil {
		return nil, err
	}
	defer out.abort()
	vars, err := newSink(f.VariantsPath)
	if err != nil {
		return nil, err
	}
	defer vars.abort()
	if err := src.muxAudioBefore(nil, 0); err != nil { // peeks: does the film have audio?
		return nil, err
	}
	m := m2ts.NewMuxer(out.w, vars.w, src.audioLeft)
	ga, gb, ok, err := src.nextGOPs(0)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s holds no IDR picture", ErrSource, src.va.path)
	}
	if f.format, err = videoFormat(ga); err != nil {
		return nil, err
	}
	for g := 0; ; g++ {
		na, nb, more, err := src.nextGOPs(g + 1)
		if err != nil {
			return nil, err
		}
		if g == 1 && !more {
			return nil, fmt.Errorf("%w: 2 GOPs; a film needs at least 3 (segments are the GOPs between the first and the last)", ErrSource)
		}
		if err := f.addGOP(src, m, g, ga, gb, g > 0 && more); err != nil {
			return nil, err
		}
		if !more {
			break
		}
		ga, gb = na, nb
	}
	if err := src.muxAudioBefore(m, -1); err != nil {
		return nil, err
	}
	f.End = m2ts.FirstPTS + int64(f.Frames)*frameDur
	r, err := m.Close(f.End)
	if err != nil {
		return nil, err
	}
	if err := out.commit(); err != nil {
		return nil, err
	}
	return r, vars.commit()
}

// addGOP checks GOP g of the two encodings and muxes it, as a segment
// if inner.
func (f *Film) addGOP(src *sources, m *m2ts.Muxer, g int, ga, gb h264.GOP, inner bool) error {
	if err := matchGOP(g, ga, gb, inner); err != nil {
		return err
	}
	seg := -1
	if inner {
		seg = len(f.Table.Segments)
		da, db := ga.Digest(), gb.Digest()
		f.Table.Segments = append(f.Table.Segments, SegmentDigests{FirstFrame: f.Frames, Frames: len(ga.Units), A: da[:], B: db[:]})
	}
	for i, au := range ga.Units {
		a := m2ts.Access{PTS: m2ts.FirstPTS + int64(f.Frames)*frameDur, Data: [2][]byte{annexB(au)}, Key: i == 0, Segment: -1}
		if seg >= 0 {
			a.Data[1] = annexB(gb.Units[i])
			if i == 0 {
				a.Segment = seg
			}
		}
		if err := src.muxAudioBefore(m, a.PTS); err != nil {
			return err
		}
		if err := m.Add(a, true); err != nil {
			return err
		}
		f.Frames++
	}
	return nil
}

// matchGOP checks that GOP g of the two encodings can be mixed.
func matchGOP(g int, a, b h264.GOP, inner bool) error {
	if len(a.Units) != len(b.Units) {
		return fmt.Errorf("%w: GOP %d has %d and %d pictures in the two encodings", ErrSource, g, len(a.Units), len(b.Units))
	}
	if !bytes.Equal(paramSets(a), paramSets(b)) {
		return fmt.Errorf("%w: GOP %d's parameter sets differ between the encodings; encode both with the same settings", ErrSource, g)
	}
	if inner && a.Digest() == b.Digest() {
		return fmt.Errorf("%w: GOP %d is coded the same in both encodings, so its variants could not be told apart", ErrSource, g)
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

// image writes the BDMV tree into a UDF 2.50 image at f.ImagePath, the
// stream copied from the muxed file at path, and places the segments.
func (f *Film) image(r *m2ts.Result, path string) error {
	st, err := os.Open(path)
	if err != nil {
		return err
	}
	defer st.Close()
	fi, err := st.Stat()
	if err != nil {
		return err
	}
	f.Start, f.StreamSize = r.Start, fi.Size()
	video := f.format
	secs := max(1, (r.End-r.Start)/m2ts.Clock90k)
	c := bdmv.Clip{Packets: uint32(f.StreamSize / m2ts.PacketSize), Rate: uint32(f.StreamSize / secs),
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
	out, err := newSink(f.ImagePath)
	if err != nil {
		return err
	}
	defer out.abort()
	if err := u.StreamTo(out.w); err != nil {
		return err
	}
	err = u.Add([]udf.File{
		{Path: "BDMV"}, {Path: "CERTIFICATE"},
		{Path: "BDMV/index.bdmv", Data: index}, {Path: "BDMV/MovieObject.bdmv", Data: mobj},
		{Path: "BDMV/PLAYLIST"}, {Path: "BDMV/PLAYLIST/00000.mpls", Data: mpls},
		{Path: "BDMV/CLIPINF"}, {Path: "BDMV/CLIPINF/00000.clpi", Data: clpi},
		{Path: "BDMV/STREAM"}, {Path: StreamPath, Reader: bufio.NewReaderSize(st, 1<<20), Size: f.StreamSize},
		{Path: "BDMV/BACKUP"}, {Path: "BDMV/BACKUP/index.bdmv", Data: index},
		{Path: "BDMV/BACKUP/MovieObject.bdmv", Data: mobj},
		{Path: "BDMV/BACKUP/PLAYLIST"}, {Path: "BDMV/BACKUP/PLAYLIST/00000.mpls", Data: mpls},
		{Path: "BDMV/BACKUP/CLIPINF"}, {Path: "BDMV/BACKUP/CLIPINF/00000.clpi", Data: clpi},
	})
	if err != nil {
		return err
	}
	if f.ImageSize, err = out.size(); err != nil {
		return err
	}
	if err := out.commit(); err != nil {
		return err
	}
	f.StreamSector, _ = u.Where(StreamPath)
	const sectorsPerUnit = m2ts.UnitSize / 2048
	for _, s := range r.Spans {
		f.Table.Segments[s.Segment].Start = uint64(f.StreamSector + s.Start*sectorsPerUnit)
		f.Table.Segments[s.Segment].Sectors = uint32(s.Size * sectorsPerUnit)
	}
	return nil
}

// MinPSNR is the visibility threshold the variants are held to: between
// a segment's two variants, every decoded frame is at least this close
// (PSNR over Y, U and V, ffmpeg's psnr filter psnr_avg), in dB.
const MinPSNR = 45.0

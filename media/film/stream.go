package film

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"

	"copystation/media/h264"
	"copystation/media/m2ts"
)

// readChunk is what a source reader reads at a time; maxGOPBytes bounds
// one GOP of a source (a GOP longer than this is refused, not held).
const (
	readChunk   = 1 << 20
	maxGOPBytes = 64 << 20
)

// gopReader cuts an H.264 elementary stream into GOPs as it reads: it
// holds the GOP being read and one chunk, never the stream.
type gopReader struct {
	r    io.Reader
	path string
	buf  []byte     // from the start of the GOP not yet complete
	out  []h264.GOP // complete GOPs not yet returned
	eof  bool
	// chunk is the read size; 0 means readChunk (the fuzz target reads
	// in small pieces to cut the stream everywhere).
	chunk int
}

// next returns the next GOP; ok is false at the end of the stream.
func (g *gopReader) next() (gop h264.GOP, ok bool, err error) {
	for len(g.out) == 0 {
		if g.eof {
			return h264.GOP{}, false, nil
		}
		chunk := make([]byte, cmp.Or(g.chunk, readChunk))
		n, err := io.ReadFull(g.r, chunk)
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			g.eof = true
		case err != nil:
			return h264.GOP{}, false, fmt.Errorf("%w: reading %s: %v", ErrSource, g.path, err)
		}
		buf := append(g.buf, chunk[:n]...)
		if g.eof {
			g.out, g.buf = h264.GOPs(h264.AccessUnits(h264.NALs(buf))), nil
			break
		}
		// The NAL unit after the last start code may be cut short: parse
		// only up to it, so every NAL unit parsed is whole and the GOPs
		// found are those of the whole stream.
		gops := h264.GOPs(h264.AccessUnits(h264.NALs(buf[:max(0, bytes.LastIndex(buf, []byte{0, 0, 1}))])))
		// A GOP is complete once the next one's key picture is read: keep
		// the last GOP's bytes (from its first start code) for the next
		// chunk, in a buffer of their own, since the GOPs returned point
		// into this one.
		if len(gops) < 2 {
			if len(buf) > maxGOPBytes {
				return h264.GOP{}, false, fmt.Errorf("%w: %s has a GOP longer than %d bytes", ErrSource, g.path, maxGOPBytes)
			}
			g.buf = buf
			continue
		}
		last := gops[len(gops)-1]
		off := cap(buf) - cap(last.Units[0].NALs[0]) - 3 // the 00 00 01 before it
		g.out, g.buf = gops[:len(gops)-1], bytes.Clone(buf[off:])
	}
	if len(g.out) == 0 { // the stream ended with no GOP left
		return h264.GOP{}, false, nil
	}
	gop, g.out = g.out[0], g.out[1:]
	return gop, true, nil
}

// ac3Reader cuts an AC-3 elementary stream into its sync frames (ATSC
// A/52 5.3: sync word 0x0B77, fscod and frmsizecod in byte 4), 48 kHz
// only, 1536 samples (2880 ticks of 90 kHz) each, as it reads.
type ac3Reader struct {
	r      *bufio.Reader
	off    int64
	frames int
}

var ac3Kbps = [...]int{32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 576, 640}

// next returns the next frame as an access; ok is false at the end.
func (a *ac3Reader) next() (acc m2ts.Access, ok bool, err error) {
	head, err := a.r.Peek(5)
	if len(head) == 0 && errors.Is(err, io.EOF) {
		return m2ts.Access{}, false, nil
	}
	if len(head) < 5 || head[0] != 0x0B || head[1] != 0x77 {
		return m2ts.Access{}, false, fmt.Errorf("%w: AC-3 stream has no sync frame at byte %d", ErrSource, a.off)
	}
	fscod, code := head[4]>>6, int(head[4]&0x3F)
	if fscod != 0 || code/2 >= len(ac3Kbps) {
		return m2ts.Access{}, false, fmt.Errorf("%w: AC-3 frame at byte %d is not 48 kHz at a listed bit rate", ErrSource, a.off)
	}
	frame := make([]byte, ac3Kbps[code/2]*4) // 2 words per kbit/s at 48 kHz, 2 bytes a word
	if _, err := io.ReadFull(a.r, frame); err != nil {
		return m2ts.Access{}, false, fmt.Errorf("%w: AC-3 stream ends inside a frame at byte %d", ErrSource, a.off)
	}
	acc = m2ts.Access{PTS: m2ts.FirstPTS + int64(a.frames)*2880, Data: [2][]byte{frame}, Segment: -1}
	a.off += int64(len(frame))
	a.frames++
	return acc, true, nil
}

// sources opens the issuer's three source files for reading.
type sources struct {
	files  []*os.File
	va, vb *gopReader
	audio  *ac3Reader
	// nextAudio is the first audio frame not yet muxed.
	nextAudio   m2ts.Access
	audioLeft   bool
	audioRead   bool
	audioFrames int
}

func openSources(e *Encoding) (*sources, error) {
	s := &sources{}
	for _, p := range []string{e.VideoA, e.VideoB, e.Audio} {
		f, err := os.Open(p)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("%w: %v", ErrSource, err)
		}
		s.files = append(s.files, f)
	}
	s.va = &gopReader{r: s.files[0], path: e.VideoA}
	s.vb = &gopReader{r: s.files[1], path: e.VideoB}
	s.audio = &ac3Reader{r: bufio.NewReaderSize(s.files[2], 64<<10)}
	return s, nil
}

func (s *sources) close() {
	for _, f := range s.files {
		f.Close()
	}
}

// nextGOPs returns the next GOP of both encodings; ok is false when both
// end, an error when only one does.
func (s *sources) nextGOPs(g int) (a, b h264.GOP, ok bool, err error) {
	a, okA, err := s.va.next()
	if err != nil {
		return a, b, false, err
	}
	b, okB, err := s.vb.next()
	if err != nil {
		return a, b, false, err
	}
	if okA != okB {
		return a, b, false, fmt.Errorf("%w: one encoding ends after %d GOPs, the other goes on; encode both with the same fixed GOP length", ErrSource, g)
	}
	return a, b, okA, nil
}

// muxAudioBefore muxes the audio frames presented before pts (video goes
// first at equal times); pts < 0 muxes the rest.
func (s *sources) muxAudioBefore(m *m2ts.Muxer, pts int64) error {
	for {
		if !s.audioRead {
			acc, ok, err := s.audio.next()
			if err != nil {
				return err
			}
			s.nextAudio, s.audioLeft, s.audioRead = acc, ok, true
		}
		if !s.audioLeft || (pts >= 0 && s.nextAudio.PTS >= pts) {
			return nil
		}
		if err := m.Add(s.nextAudio, false); err != nil {
			return err
		}
		s.audioRead = false
		s.audioFrames++
	}
}

// sink is a file written through a buffer, removed unless committed.
type sink struct {
	f    *os.File
	w    *bufio.Writer
	done bool
}

func newSink(path string) (*sink, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &sink{f: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
}

func (s *sink) size() (int64, error) {
	if err := s.w.Flush(); err != nil {
		return 0, err
	}
	fi, err := s.f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

func (s *sink) commit() error {
	err := s.w.Flush()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.done = err == nil
	return err
}

func (s *sink) abort() {
	if !s.done {
		s.f.Close()
		os.Remove(s.f.Name())
	}
}

package film

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"copystation/media/h264"
	"copystation/media/udf"
	"copystation/tracing/tardos"
)

// MaxLeak bounds the video elementary stream Decide reads from a leak.
const MaxLeak = 8 << 30

// MaxImage bounds a disc image Decide reads: it reads images whole, so
// today a leaked image of a short film, not of a full disc.
const MaxImage = 2 << 30

// ErrNoVideo reports a leak with no H.264 video to read.
var ErrNoVideo = errors.New("film: no H.264 video in the leak")

// Decide reads a leak — a disc image (UDF, as burned and decrypted), a
// BDAV or MPEG-2 transport stream, or any container ffmpeg reads (MKV,
// MP4) holding the video stream copied unchanged — and decides, for each
// segment of the table, which variant it shows: A or B when one of the
// leak's GOPs has that variant's digest, Erased when none has either, or
// when both appear (a leak that shows both variants of a position tells
// nothing about it). The video stream is read GOP by GOP as ffmpeg
// writes it, never held whole.
func Decide(ctx context.Context, path string, t *Table) (tardos.Decisions, error) {
	if err := t.check(); err != nil {
		return nil, fmt.Errorf("film.Decide: %w", err)
	}
	d := newDecider(t)
	if err := videoES(ctx, path, d.add); err != nil {
		return nil, fmt.Errorf("film.Decide: %w", err)
	}
	return d.decisions(), nil
}

// DecideES is Decide on an H.264 elementary stream in Annex B form.
func DecideES(es []byte, t *Table) (tardos.Decisions, error) {
	if err := t.check(); err != nil {
		return nil, fmt.Errorf("film.DecideES: %w", err)
	}
	d := newDecider(t)
	for _, g := range h264.GOPs(h264.AccessUnits(h264.NALs(es))) {
		d.add(g)
	}
	return d.decisions(), nil
}

// decider looks each GOP's digest up in the table and keeps which
// variants of each segment were seen.
type decider struct {
	index map[[32]byte]hit
	seen  []tardos.Decision
}

type hit struct {
	seg int
	v   tardos.Decision
}

func newDecider(t *Table) *decider {
	d := &decider{index: make(map[[32]byte]hit, 2*len(t.Segments)), seen: make([]tardos.Decision, len(t.Segments))}
	for i, s := range t.Segments {
		d.index[[32]byte(s.A)] = hit{i, tardos.A}
		d.index[[32]byte(s.B)] = hit{i, tardos.B}
	}
	return d
}

func (d *decider) add(g h264.GOP) {
	if h, ok := d.index[g.Digest()]; ok {
		d.seen[h.seg] |= h.v
	}
}

func (d *decider) decisions() tardos.Decisions {
	out := make(tardos.Decisions, len(d.seen))
	for i, s := range d.seen {
		if s == tardos.A || s == tardos.B {
			out[i] = s
		}
	}
	return out
}

// videoES reads the leak's first video stream as Annex B and hands each
// GOP to use. A disc image is opened here (its BDMV/STREAM/00000.m2ts
// read with media/udf, since ffmpeg cannot read a VAT volume); ffmpeg
// demuxes everything else, copying the stream ("-c copy") and rewriting
// MP4/MKV length-prefixed NAL units as Annex B (h264_mp4toannexb), which
// leaves every slice byte as it was. ffmpeg is used rather than MKV and
// MP4 parsers of our own: leaks come in every container ffmpeg reads, and
// none of its changes touch a slice.
func videoES(ctx context.Context, path string, use func(h264.GOP)) error {
	src := path
	if img, ok, err := udfImage(path); err != nil {
		return err
	} else if ok {
		m2ts, err := udf.ReadFile(img, StreamPath)
		if err != nil {
			return err
		}
		f, err := os.CreateTemp("", "leak-*.m2ts")
		if err != nil {
			return err
		}
		defer os.Remove(f.Name())
		if _, err := f.Write(m2ts); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		src = f.Name()
	}
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		return fmt.Errorf("%w: not installed (apt-get install ffmpeg)", ErrTool)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops ffmpeg if the stream is refused before it ends
	cmd := exec.CommandContext(ctx, ff, "-v", "error", "-nostdin", "-i", src, "-map", "0:v:0", "-c", "copy",
		"-bsf:v", "h264_mp4toannexb", "-f", "h264", "-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%w: %v", ErrTool, err)
	}
	n := &countingReader{r: io.LimitReader(out, MaxLeak+1)}
	rerr := readGOPs(n, path, use)
	if rerr == nil && n.n > MaxLeak {
		rerr = fmt.Errorf("%w: the video stream is longer than %d bytes", ErrSource, int64(MaxLeak))
	}
	if rerr != nil {
		cancel()
		io.Copy(io.Discard, out)
	}
	werr := cmd.Wait()
	switch {
	case rerr != nil:
		return rerr
	case werr != nil && strings.Contains(stderr.String(), "matches no streams"):
		return fmt.Errorf("%w: %s", ErrNoVideo, path)
	case werr != nil:
		return fmt.Errorf("%w: reading %s: %v: %s", ErrTool, path, werr, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// readGOPs hands every GOP of an Annex B stream to use, as it reads.
func readGOPs(r io.Reader, path string, use func(h264.GOP)) error {
	g := &gopReader{r: r, path: path}
	for {
		gop, ok, err := g.next()
		if err != nil || !ok {
			return err
		}
		use(gop)
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// udfImage reads path whole if it is a UDF image.
func udfImage(path string) ([]byte, bool, error) {
	if ok, err := IsImage(path); err != nil || !ok {
		return nil, false, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, false, err
	}
	if fi.Size() > MaxImage {
		return nil, false, fmt.Errorf("%w: image of %d bytes is larger than this reader holds in memory", ErrSource, fi.Size())
	}
	img, err := os.ReadFile(path)
	return img, err == nil, err
}

// IsImage reports whether path is a UDF disc image (the volume
// recognition sequence names NSR02 or NSR03), which a sector reader can
// read; a transport stream or an MKV or MP4 file is not.
func IsImage(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("film.IsImage: %w", err)
	}
	defer f.Close()
	head := make([]byte, 20*2048)
	if _, err := io.ReadFull(f, head); err != nil {
		return false, nil // too short for an image
	}
	return bytes.Contains(head[16*2048:], []byte("NSR0")), nil
}

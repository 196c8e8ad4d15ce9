// Package film makes a title a Blu-ray player can open: it encodes a test
// film (ffmpeg), authors it as a BDMV movie in a UDF 2.50 image with
// forensic segments inside the video stream, and reads a leaked copy (a
// disc image, an m2ts, or an MKV or MP4 remux) back to per-segment
// decisions.
//
// # Concepts
//
// Two encodings → segments → image → digests. The issuer encodes the film
// twice, the same way, from the same frames, the second time with an
// invisible noise pattern added (one grey level of temporal noise), so
// the two encodings have the same GOPs, frame for frame, and differ in
// every coded byte. A forensic segment is one whole GOP: variant A is
// that GOP from the first encoding, variant B the same GOP from the
// second. The muxer (media/m2ts) lays both out over the same packets, so
// a segment is a run of whole aligned units, a run of sectors of the
// image. Each segment's two variants are told apart by the digest of the
// GOP's slice NAL units (media/h264), which a remux does not change.
package film

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Errors.
var (
	// ErrTool reports that ffmpeg (or ffprobe) is missing or failed.
	ErrTool = errors.New("film: ffmpeg")
	// ErrSource reports encodings Author cannot use as a film's variants.
	ErrSource = errors.New("film: unusable source")
	// ErrTable reports a malformed digest table.
	ErrTable = errors.New("film: malformed digest table")
)

// Encoding is what Encode makes: the issuer's inputs to Author.
type Encoding struct {
	// VideoA and VideoB are H.264 elementary streams (Annex B) of the
	// same frames, B with the invisible pattern.
	VideoA, VideoB string
	// Audio is an AC-3 elementary stream (48 kHz).
	Audio string
}

// Options shape the test film.
type Options struct {
	Seconds int // length
	Width   int // 720 (480p), 1280 (720p) or 1920 (1080p)
	GOP     int // frames per GOP at 24 frames per second
}

// DefaultOptions is a 6-second 720p film with 1-second GOPs.
var DefaultOptions = Options{Seconds: 6, Width: 1280, GOP: 24}

// TracingOptions is the film the tracing tests burn: enough GOPs
// (forensic segments) for tracing parameters that name a coalition of 3
// among 4 copies (N=4, C=3, Eps1=0.01 needs 533 segments; this film has
// 538), made in seconds: 90 seconds of 480p in GOPs of 4 frames (a sixth
// of a second). The short GOP buys segments per second of film, the low
// resolution encoding time (docs/film.md, "The tracing film").
var TracingOptions = Options{Seconds: 90, Width: 720, GOP: 4}

// FPS is the test film's frame rate (24p, which Blu-ray allows at 720p
// and 1080p).
const FPS = 24

func (o Options) height() int {
	switch o.Width {
	case 1920:
		return 1080
	case 720:
		return 480
	}
	return 720
}

// x264 settings both encodings share, so their GOPs match frame for
// frame: fixed GOP length, no scene-cut keyframes, closed GOPs starting
// at IDR pictures, no B-pictures, parameter sets and an access unit
// delimiter in every access unit that needs them (as Blu-ray requires).
func x264Args(o Options) []string {
	g := fmt.Sprint(o.GOP)
	return []string{"-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-level", "4.1",
		"-bf", "0", "-g", g, "-keyint_min", g, "-sc_threshold", "0", "-crf", "16", "-pix_fmt", "yuv420p",
		"-x264-params", "aud=1:open-gop=0:repeat-headers=1:bluray-compat=1", "-f", "h264"}
}

// Encode generates the test film with ffmpeg's lavfi sources (testsrc2
// and a 440 Hz tone; nothing is downloaded) into dir: both encodings of
// the video and the audio.
func Encode(ctx context.Context, dir string, o Options) (*Encoding, error) {
	if o.Seconds < 1 || o.GOP < 1 || (o.Width != 720 && o.Width != 1280 && o.Width != 1920) {
		return nil, fmt.Errorf("film.Encode: %w: want at least a second, a GOP of at least one frame, width 720, 1280 or 1920", ErrSource)
	}
	e := &Encoding{VideoA: filepath.Join(dir, "video-a.h264"), VideoB: filepath.Join(dir, "video-b.h264"), Audio: filepath.Join(dir, "audio.ac3")}
	src := fmt.Sprintf("testsrc2=size=%dx%d:rate=%d:duration=%d", o.Width, o.height(), FPS, o.Seconds)
	in := []string{"-f", "lavfi", "-i", src}
	// The pattern: temporal noise of one grey level (alls=1), from the
	// filter's fixed default seed, so B is made the same way every time.
	// The two encodings run at once: each is one ffmpeg process.
	var errB error
	done := make(chan struct{})
	go func() {
		defer close(done)
		errB = ffmpeg(ctx, append(append(append(slices.Clip(in), "-vf", "noise=alls=1:allf=t"), x264Args(o)...), e.VideoB)...)
	}()
	errA := ffmpeg(ctx, append(append(slices.Clip(in), x264Args(o)...), e.VideoA)...)
	<-done
	if err := errors.Join(errA, errB); err != nil {
		return nil, fmt.Errorf("film.Encode: %w", err)
	}
	tone := fmt.Sprintf("sine=frequency=440:sample_rate=48000:duration=%d", o.Seconds)
	if err := ffmpeg(ctx, "-f", "lavfi", "-i", tone, "-ac", "2", "-c:a", "ac3", "-b:a", "192k", "-f", "ac3", e.Audio); err != nil {
		return nil, fmt.Errorf("film.Encode: %w", err)
	}
	return e, nil
}

// Tools checks that the tools making a film are installed: ffmpeg (the
// encodings) and mkudffs (the image). It names the missing ones and the
// Debian packages that hold them.
func Tools() error {
	var missing []string
	for _, t := range []string{"ffmpeg", "mkudffs"} {
		if _, err := exec.LookPath(t); err != nil {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s not installed (apt-get install ffmpeg udftools)", ErrTool, strings.Join(missing, " and "))
	}
	return nil
}

// ffmpeg runs ffmpeg quietly; its error output goes into the error.
func ffmpeg(ctx context.Context, args ...string) error {
	return run(ctx, "ffmpeg", append([]string{"-v", "error", "-nostdin", "-y"}, args...)...)
}

func run(ctx context.Context, tool string, args ...string) error {
	path, err := exec.LookPath(tool)
	if err != nil {
		return fmt.Errorf("%w: %s not installed (apt-get install ffmpeg)", ErrTool, tool)
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w: %s %s: %v: %s", ErrTool, tool, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

package validatord

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"copystation/burn/titlepkg"
	"copystation/media/film"
	"copystation/tracing/digests"
	"copystation/tracing/leak"
	"copystation/tracing/tardos"
)

// filmSpec is the input mode "a BDMV film" of title package: dir holds
// the issuer's two encodings of the video and the audio (video-a.h264,
// video-b.h264, audio.ac3, as film.Encode makes them). It authors the
// BDMV image with one forensic segment per inner GOP and sets the spec's
// image and variants. Authoring streams into work (film.AuthorTo); the
// image is read from there, the B variants are loaded (a package holds
// them in memory). The caller closes the returned image file.
func filmSpec(dir, work, title string, spec *titlepkg.Spec) (*film.Film, *os.File, error) {
	enc := &film.Encoding{VideoA: filepath.Join(dir, "video-a.h264"), VideoB: filepath.Join(dir, "video-b.h264"),
		Audio: filepath.Join(dir, "audio.ac3")}
	f, err := film.AuthorTo(enc, title, work)
	if err != nil {
		return nil, nil, fmt.Errorf("title package --film: %w", err)
	}
	if spec.Variants, err = f.LoadVariants(); err != nil {
		return nil, nil, fmt.Errorf("title package --film: %w", err)
	}
	img, err := os.Open(f.ImagePath)
	if err != nil {
		return nil, nil, fmt.Errorf("title package --film: %w", err)
	}
	spec.Image, spec.ImageSize = img, f.ImageSize
	return f, img, nil
}

// filmRecord is a film's trace record (version 2): each segment's image
// digests, as for any title, and its video digests, which survive a
// remux (docs/tracing.md, "Variants in the video stream").
func filmRecord(f *film.Film, img *os.File, variants []titlepkg.Variant, p tardos.Params) (*digests.Record, error) {
	rec, err := leak.Build(f.Table.Title, p, io.NewSectionReader(img, 0, f.ImageSize), variants)
	if err != nil {
		return nil, err
	}
	if len(rec.Entries) != len(f.Table.Segments) {
		return nil, fmt.Errorf("title package --film: %d segments in the image, %d in the video", len(rec.Entries), len(f.Table.Segments))
	}
	rec.Video = true
	for i, s := range f.Table.Segments {
		e := &rec.Entries[i]
		if e.Start != s.Start || e.Sectors != s.Sectors {
			return nil, fmt.Errorf("title package --film: segment %d is at sector %d in the image, %d in the video", i, e.Start, s.Start)
		}
		e.VA, e.VB = [32]byte(s.A), [32]byte(s.B)
	}
	return rec, rec.Check()
}

// filmTable is the video digest table a film's trace record holds.
func filmTable(rec *digests.Record) *film.Table {
	t := &film.Table{Title: rec.TitleID}
	for _, e := range rec.Entries {
		t.Segments = append(t.Segments, film.SegmentDigests{Start: e.Start, Sectors: e.Sectors, A: bytes.Clone(e.VA[:]), B: bytes.Clone(e.VB[:])})
	}
	return t
}

// decideLeak reads a leak's decisions. A disc image (a plain copy or a
// rip, whole or cut short) is read by its sectors (leak.Read, streaming);
// for a film's record, anything else — an m2ts, an MKV or MP4 remux, a
// splice — is read from its video stream (film.Decide).
func decideLeak(ctx context.Context, path string, rec *digests.Record) (tardos.Decisions, leak.Report, error) {
	isImage, err := film.IsImage(path)
	if err != nil {
		return nil, leak.Report{}, err
	}
	if rec.Video && !isImage {
		d, err := film.Decide(ctx, path, filmTable(rec))
		if err != nil {
			return nil, leak.Report{}, err
		}
		var rep leak.Report
		for _, x := range d {
			switch x {
			case tardos.A:
				rep.A++
			case tardos.B:
				rep.B++
			default:
				rep.Erased++
			}
		}
		return d, rep, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, leak.Report{}, err
	}
	defer f.Close()
	return leak.Read(f, rec)
}

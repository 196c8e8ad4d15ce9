package validatord

import (
	"bytes"
	"fmt"
	"path/filepath"

	"copystation/atomicfile"
	"copystation/burn/titlepkg"
	"copystation/media/film"
)

// filmSpec is the input mode "a BDMV film" of title package: dir holds
// the issuer's two encodings of the video and the audio (video-a.h264,
// video-b.h264, audio.ac3, as film.Encode makes them). It authors the
// BDMV image with one forensic segment per inner GOP, sets the spec's
// image and variants, and writes the title's digest table to
// out/<title>.variants.json for tracing (docs/tracing.md).
func filmSpec(dir, out, title string, spec *titlepkg.Spec) (string, error) {
	enc := &film.Encoding{VideoA: filepath.Join(dir, "video-a.h264"), VideoB: filepath.Join(dir, "video-b.h264"),
		Audio: filepath.Join(dir, "audio.ac3")}
	f, err := film.Author(enc, title)
	if err != nil {
		return "", fmt.Errorf("title package --film: %w", err)
	}
	spec.Image, spec.ImageSize, spec.Variants = bytes.NewReader(f.Image), int64(len(f.Image)), f.Variants
	table, err := f.Table.Marshal()
	if err != nil {
		return "", err
	}
	path := filepath.Join(out, title+".variants.json")
	if err := atomicfile.Write(path, table); err != nil {
		return "", fmt.Errorf("title package --film: %w", err)
	}
	return path, nil
}

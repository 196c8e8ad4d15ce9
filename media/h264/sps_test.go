package h264

import (
	"encoding/hex"
	"errors"
	"testing"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// SPS NAL units written by Debian's ffmpeg 5.1 (libx264): the test film's
// (High profile, 1280x720, 24 fps) and a 1920x1080 25 fps one (cropped
// from 1088 lines).
var (
	sps720  = mustHex("67640029acb402802dd808800000030080000018078c1950")
	sps1080 = mustHex("67640028acd940780227e5c044000003000400000300c83c60c658")
)

func TestParseSPS(t *testing.T) {
	for _, tc := range []struct {
		name string
		nal  []byte
		want SPS
	}{
		{"720p24", sps720, SPS{Width: 1280, Height: 720, FrameRate: 24}},
		{"1080p25", sps1080, SPS{Width: 1920, Height: 1080, FrameRate: 25}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSPS(tc.nal)
			if err != nil || *got != tc.want {
				t.Fatalf("ParseSPS(%s) = %+v, %v; want %+v", tc.name, got, err, tc.want)
			}
		})
	}
	for _, bad := range [][]byte{sps720[:6], {0x68, 1, 2}, {0x67}} {
		if _, err := ParseSPS(bad); !errors.Is(err, ErrSPS) {
			t.Errorf("ParseSPS(%x) = %v, want ErrSPS", bad, err)
		}
	}
}

func FuzzParseSPS(f *testing.F) {
	f.Add(sps720)
	f.Add(sps1080)
	f.Fuzz(func(t *testing.T, nal []byte) {
		s, err := ParseSPS(nal)
		if err != nil {
			if !errors.Is(err, ErrSPS) {
				t.Fatalf("ParseSPS() = %v, want nil or ErrSPS", err)
			}
			return
		}
		if s.Width <= 0 || s.Height <= 0 || s.Width > 16384 || s.Height > 32768 {
			t.Fatalf("ParseSPS() = %+v: a size no SPS can code", s)
		}
	})
}

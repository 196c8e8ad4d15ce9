// Package qrscan reads a QR code from one camera frame: the kiosk's camera
// reader sends the frame's luminance (one byte a pixel), because Chromium
// on Linux has no BarcodeDetector (docs/kiosk.md, "The camera"). Decoding
// is github.com/makiuchi-d/gozxing, the Go port of ZXing, the reader most
// phones' scanners descend from; a frame is outside input, bounded before
// it is read and fuzzed (FuzzDecode).
package qrscan

import (
	"errors"
	"fmt"
	"image"
	"strconv"

	"github.com/makiuchi-d/gozxing"
	multiqr "github.com/makiuchi-d/gozxing/multi/qrcode"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// Bounds of a frame: big enough for a phone's code held at arm's length,
// small enough that a frame costs little to send and to scan.
const (
	MinSide  = 32
	MaxSide  = 1280
	MaxPixel = 640 * 480
	// MaxText bounds the text a frame may yield: a grant code is far
	// shorter (grantcode: at most about 700 characters).
	MaxText = 2048
	// maxFinders bounds the finder-pattern candidates one pass may
	// collect. ZXing picks its triple from all pairs and triples of them
	// (cubic work, and a decode attempt for each plausible triple), so a
	// frame tiled with finder-like squares would keep a core busy for
	// minutes; a real code's frame yields 3 to 7 (1,000 random codes),
	// camera noise about 10.
	maxFinders = 32
)

// Errors of a frame.
var (
	ErrFrame  = errors.New("not a camera frame: want width and height of 32 to 1280 pixels, at most 640×480 pixels in all, and exactly width×height bytes of luminance")
	ErrNoCode = errors.New("no QR code in this frame: hold the phone's screen flat in front of the camera")
)

// Frame is one frame's luminance, row-major, one byte a pixel (0 black).
type Frame struct {
	W, H int
	Y    []byte
}

// ParseFrame checks a frame as it arrives: width and height in decimal,
// the luminance bytes.
func ParseFrame(w, h string, y []byte) (*Frame, error) {
	wi, err1 := strconv.Atoi(w)
	hi, err2 := strconv.Atoi(h)
	switch {
	case err1 != nil || err2 != nil:
		return nil, fmt.Errorf("qrscan.ParseFrame: %w: width %q, height %q", ErrFrame, w, h)
	case wi < MinSide || hi < MinSide || wi > MaxSide || hi > MaxSide || wi*hi > MaxPixel:
		return nil, fmt.Errorf("qrscan.ParseFrame: %w: %d×%d", ErrFrame, wi, hi)
	case len(y) != wi*hi:
		return nil, fmt.Errorf("qrscan.ParseFrame: %w: %d bytes for %d×%d", ErrFrame, len(y), wi, hi)
	}
	return &Frame{W: wi, H: hi, Y: y}, nil
}

// Decode returns the text of the QR code in the frame, or ErrNoCode.
func Decode(f *Frame) (string, error) {
	src, err := gozxing.NewPlanarYUVLuminanceSource(f.Y, f.W, f.H, 0, 0, f.W, f.H, false)
	if err != nil {
		return "", fmt.Errorf("qrscan.Decode: %w: %v", ErrFrame, err)
	}
	text, err := read(src)
	if err != nil {
		return "", fmt.Errorf("qrscan.Decode: %w", err)
	}
	return text, nil
}

// DecodeImage returns the text of the QR code in a still image (a
// wallet's or a receipt's PNG), read exactly as a camera frame is but
// without a frame's bounds.
func DecodeImage(img image.Image) (string, error) {
	text, err := read(gozxing.NewLuminanceSourceFromImage(img))
	if err != nil {
		return "", fmt.Errorf("qrscan.DecodeImage: %w", err)
	}
	return text, nil
}

// read decodes in two passes. ZXing's single-code detector stops scanning
// as soon as it holds three finder patterns of one size, so a finder-like
// 1:1:3:1:1 block in the data, met before the real bottom-left pattern,
// ends the search with a wrong triple: about 3 % of grant-sized
// (version 17) codes then fail as "dimension" or "format" errors
// although they are valid (zbar reads them). The multi-code detector
// scans every row and tries every plausible triple, so it reads those;
// it runs only when the first pass fails.
func read(src gozxing.LuminanceSource) (text string, err error) {
	// gozxing is a port of Java code that throws; an image that trips an
	// unforeseen path must cost one frame, never the screen.
	defer func() {
		switch r := recover(); {
		case r == errTooManyFinders:
			text, err = "", fmt.Errorf("%w: more than %d finder-like squares in it", ErrNoCode, maxFinders)
		case r != nil:
			text, err = "", fmt.Errorf("%w (the decoder failed: %v)", ErrNoCode, r)
		}
	}()
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(src))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrFrame, err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, passHints())
	if err != nil {
		all, merr := multiqr.NewQRCodeMultiReader().DecodeMultiple(bmp, passHints())
		if merr != nil || len(all) == 0 {
			return "", ErrNoCode
		}
		res = all[0]
	}
	if t := res.GetText(); len(t) <= MaxText {
		return t, nil
	}
	return "", fmt.Errorf("%w: the code holds more than %d characters", ErrNoCode, MaxText)
}

// errTooManyFinders is panicked by passHints' callback to stop a pass,
// and recovered by read: gozxing offers no other way to stop a search.
var errTooManyFinders = errors.New("qrscan: too many finder-pattern candidates")

// passHints are one pass's decoding hints: try harder, and a callback that
// stops the pass once it has met more than maxFinders finder-pattern
// candidates.
func passHints() map[gozxing.DecodeHintType]any {
	n := 0
	stop := gozxing.ResultPointCallback(func(p gozxing.ResultPoint) {
		if _, ok := p.(*detector.FinderPattern); ok {
			if n++; n > maxFinders {
				panic(errTooManyFinders)
			}
		}
	})
	return map[gozxing.DecodeHintType]any{
		gozxing.DecodeHintType_TRY_HARDER:                 true,
		gozxing.DecodeHintType_NEED_RESULT_POINT_CALLBACK: stop,
	}
}

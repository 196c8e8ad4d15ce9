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
	"strconv"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
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
func Decode(f *Frame) (text string, err error) {
	// gozxing is a port of Java code that throws; a frame that trips an
	// unforeseen path must cost one frame, never the screen.
	defer func() {
		if r := recover(); r != nil {
			text, err = "", fmt.Errorf("qrscan.Decode: %w (the decoder failed: %v)", ErrNoCode, r)
		}
	}()
	src, err := gozxing.NewPlanarYUVLuminanceSource(f.Y, f.W, f.H, 0, 0, f.W, f.H, false)
	if err != nil {
		return "", fmt.Errorf("qrscan.Decode: %w: %v", ErrFrame, err)
	}
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(src))
	if err != nil {
		return "", fmt.Errorf("qrscan.Decode: %w: %v", ErrFrame, err)
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		return "", fmt.Errorf("qrscan.Decode: %w", ErrNoCode)
	}
	if t := res.GetText(); len(t) <= MaxText {
		return t, nil
	}
	return "", fmt.Errorf("qrscan.Decode: %w: the code holds more than %d characters", ErrNoCode, MaxText)
}

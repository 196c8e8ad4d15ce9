// Package qrtest reads QR codes back for tests, with gozxing (the Go port
// of ZXing), a decoder independent of the encoder, as a phone's camera or
// a barcode scanner would. Only tests import it.
package qrtest

import (
	"bytes"
	"fmt"
	"image"
	_ "image/png" // the codes under test are PNGs

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

// Decode returns the text of the QR code in a PNG or other image.
func Decode(p []byte) (string, error) {
	img, _, err := image.Decode(bytes.NewReader(p))
	if err != nil {
		return "", fmt.Errorf("qrtest.Decode: %w", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", fmt.Errorf("qrtest.Decode: %w", err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		return "", fmt.Errorf("qrtest.Decode: %w", err)
	}
	return res.GetText(), nil
}

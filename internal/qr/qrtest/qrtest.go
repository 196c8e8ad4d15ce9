// Package qrtest reads QR codes back for tests with the kiosk's own reader
// (qrscan, gozxing: the Go port of ZXing, a decoder independent of the
// encoder), as the kiosk's camera would. Only tests import it.
package qrtest

import (
	"bytes"
	"fmt"
	"image"
	_ "image/png" // the codes under test are PNGs

	"copystation/internal/qr/qrscan"
)

// Decode returns the text of the QR code in a PNG or other image.
func Decode(p []byte) (string, error) {
	img, _, err := image.Decode(bytes.NewReader(p))
	if err != nil {
		return "", fmt.Errorf("qrtest.Decode: %w", err)
	}
	text, err := qrscan.DecodeImage(img)
	if err != nil {
		return "", fmt.Errorf("qrtest.Decode: %w", err)
	}
	return text, nil
}

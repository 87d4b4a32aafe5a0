// Package qr draws QR codes (with gozxing's encoder) as images, for the
// app's export screen, the CLI's export files and the server's pages.
package qr

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// Image draws text as a black-on-white QR code about size pixels wide,
// with the standard quiet zone of four modules.
func Image(text string, size int) (*image.Gray, error) {
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, size, size,
		map[gozxing.EncodeHintType]any{gozxing.EncodeHintType_MARGIN: 4})
	if err != nil {
		return nil, fmt.Errorf("drawing the QR code: %w", err)
	}
	img := image.NewGray(image.Rect(0, 0, m.GetWidth(), m.GetHeight()))
	for y := range m.GetHeight() {
		for x := range m.GetWidth() {
			if !m.Get(x, y) {
				img.SetGray(x, y, color.Gray{255})
			}
		}
	}
	return img, nil
}

// PNG draws text as a QR code (see Image) and encodes it as PNG.
func PNG(text string, size int) ([]byte, error) {
	img, err := Image(text, size)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

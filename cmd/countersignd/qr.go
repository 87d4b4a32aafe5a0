package main

import (
	"strings"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// qrMargin is the quiet zone around terminal QR codes, in modules.
const qrMargin = 2

// terminalQR draws text as a QR code with Unicode half blocks, two module
// rows per line. Like `qrencode -t UTF8`, light modules are drawn (as
// blocks) and dark ones left blank: on the usual dark terminal the code
// shows dark on light, as scanners expect.
func terminalQR(text string) (string, error) {
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 0, 0,
		map[gozxing.EncodeHintType]any{gozxing.EncodeHintType_MARGIN: qrMargin})
	if err != nil {
		return "", err
	}
	w, h := m.GetWidth(), m.GetHeight()
	light := func(x, y int) bool { return y >= h || !m.Get(x, y) }
	var b strings.Builder
	for y := 0; y < h; y += 2 {
		for x := range w {
			switch top, bottom := light(x, y), light(x, y+1); {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
	}
	return b.String(), nil
}

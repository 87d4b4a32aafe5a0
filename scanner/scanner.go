// Package scanner finds and decodes QR codes in images: files (PNG, JPEG,
// GIF, WebP), bytes pasted or dropped on a window, and captures of the
// screen. Decoding is done by gozxing, the Go port of ZXing.
package scanner

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // GIF decoder
	_ "image/jpeg" // JPEG decoder
	_ "image/png"  // PNG decoder
	"io/fs"
	"os"
	"slices"

	"github.com/makiuchi-d/gozxing"
	multiqr "github.com/makiuchi-d/gozxing/multi/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode"
	xdraw "golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // WebP decoder
)

// ErrNoCode is wrapped by the error returned when an image holds no QR code
// that could be read.
var ErrNoCode = errors.New("no QR code found in the image; make sure the whole code is visible, sharp and not too small")

// MaxPixels bounds the images the scanner decodes (a 16K × 8K screen), so a
// small file that claims a huge size cannot exhaust memory.
const MaxPixels = 16384 * 8192

// MaxFileSize bounds the image files the scanner reads.
const MaxFileSize = 64 << 20

// Decode returns the text of every QR code in img, deduplicated, ordered top
// to bottom then left to right. It finds codes that are small in a large
// image, rotated, or light on dark. It returns an error wrapping ErrNoCode
// when there is none.
func Decode(img image.Image) ([]string, error) {
	b := img.Bounds()
	if b.Empty() {
		return nil, fmt.Errorf("the image is empty: %w", ErrNoCode)
	}
	if b.Dx()*b.Dy() > MaxPixels {
		return nil, fmt.Errorf("the image is too large (%d×%d pixels)", b.Dx(), b.Dy())
	}
	source := gozxing.NewLuminanceSourceFromImage(img)
	for _, attempt := range []func() []found{
		func() []found { return decodeSource(source, hybrid) },
		func() []found { return decodeSource(source.Invert(), hybrid) },
		func() []found { return decodeSource(source, global) },
		func() []found { return decodeTiles(source) },
		func() []found { return decodeScaled(img, 1.5, xdraw.CatmullRom) },
		func() []found { return decodeScaled(img, 2, xdraw.BiLinear) },
	} {
		if codes := attempt(); len(codes) > 0 {
			return texts(codes), nil
		}
	}
	return nil, ErrNoCode
}

// found is one decoded code and where it is.
type found struct {
	text string
	x, y float64
}

var hints = map[gozxing.DecodeHintType]any{
	gozxing.DecodeHintType_TRY_HARDER:       true,
	gozxing.DecodeHintType_POSSIBLE_FORMATS: []gozxing.BarcodeFormat{gozxing.BarcodeFormat_QR_CODE},
}

// Binarizers: the hybrid one thresholds by neighbourhood (uneven light,
// clutter); the global one by the whole histogram (low contrast, blur).
var (
	hybrid = gozxing.NewHybridBinarizer
	global = gozxing.NewGlobalHistgramBinarizer
)

// decodeSource reads every QR code of one luminance source: first with the
// multiple-code reader, then, if it finds nothing, with the single-code
// reader, whose detector is more forgiving.
func decodeSource(source gozxing.LuminanceSource, binarizer func(gozxing.LuminanceSource) gozxing.Binarizer) (codes []found) {
	defer func() {
		// gozxing may panic on odd input; an unreadable image is not a crash.
		if recover() != nil {
			codes = nil
		}
	}()
	bitmap, err := gozxing.NewBinaryBitmap(binarizer(source))
	if err != nil {
		return nil
	}
	results, _ := multiqr.NewQRCodeMultiReader().DecodeMultiple(bitmap, hints)
	if len(results) == 0 {
		if r, err := qrcode.NewQRCodeReader().Decode(bitmap, hints); err == nil {
			results = []*gozxing.Result{r}
		}
	}
	for _, r := range results {
		codes = append(codes, newFound(r, 0, 0))
	}
	return codes
}

func newFound(r *gozxing.Result, dx, dy int) found {
	f := found{text: r.GetText(), x: float64(dx), y: float64(dy)}
	if pts := r.GetResultPoints(); len(pts) > 0 {
		f.x += pts[0].GetX()
		f.y += pts[0].GetY()
	}
	return f
}

// decodeTiles looks at overlapping quarters of the image: in a cluttered
// screen capture, the detector finds a small code in a tile that it misses
// in the whole.
func decodeTiles(source gozxing.LuminanceSource) []found {
	w, h := source.GetWidth(), source.GetHeight()
	if w < 400 || h < 400 {
		return nil
	}
	tw, th := w*3/5, h*3/5
	var codes []found
	for _, origin := range [][2]int{{0, 0}, {w - tw, 0}, {0, h - th}, {w - tw, h - th}} {
		tile, err := source.Crop(origin[0], origin[1], tw, th)
		if err != nil {
			continue
		}
		for _, s := range []gozxing.LuminanceSource{tile, tile.Invert()} {
			for _, f := range decodeSource(s, hybrid) {
				f.x += float64(origin[0])
				f.y += float64(origin[1])
				codes = append(codes, f)
			}
		}
	}
	return codes
}

// maxScaledPixels bounds the enlarged copies tried last (a 4K screen).
const maxScaledPixels = 3840 * 2160

// decodeScaled enlarges the image and tries again: codes with modules of
// two or three pixels, blurred or low in contrast, are often read once the
// interpolation has given each module more pixels.
func decodeScaled(img image.Image, factor float64, kernel xdraw.Interpolator) []found {
	b := img.Bounds()
	w, h := int(float64(b.Dx())*factor), int(float64(b.Dy())*factor)
	if w*h > maxScaledPixels {
		return nil
	}
	scaled := image.NewGray(image.Rect(0, 0, w, h))
	kernel.Scale(scaled, scaled.Bounds(), img, b, xdraw.Src, nil)
	source := gozxing.NewLuminanceSourceFromImage(scaled)
	codes := decodeSource(source, hybrid)
	if len(codes) == 0 {
		codes = decodeSource(source, global)
	}
	for i := range codes {
		codes[i].x /= factor
		codes[i].y /= factor
	}
	return codes
}

// texts orders codes top to bottom, left to right, and drops repeats.
func texts(codes []found) []string {
	slices.SortStableFunc(codes, func(a, b found) int {
		// Codes whose tops are within 20 pixels are on one row.
		if d := a.y - b.y; d < -20 || d > 20 {
			return int(d)
		}
		if a.x < b.x {
			return -1
		}
		if a.x > b.x {
			return 1
		}
		return 0
	})
	var out []string
	for _, c := range codes {
		if !slices.Contains(out, c.text) {
			out = append(out, c.text)
		}
	}
	return out
}

// IsImage reports whether data is an image the scanner reads (PNG, JPEG,
// GIF or WebP), by its header.
func IsImage(data []byte) bool {
	_, _, err := image.DecodeConfig(bytes.NewReader(data))
	return err == nil
}

// DecodeBytes decodes a PNG, JPEG, GIF or WebP image and returns the text of
// every QR code in it.
func DecodeBytes(data []byte) ([]string, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("not a PNG, JPEG, GIF or WebP image: %w", err)
	}
	if cfg.Width*cfg.Height > MaxPixels || cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("the %s image is %d×%d pixels; at most %d pixels are read", format, cfg.Width, cfg.Height, MaxPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("the %s image is damaged: %w", format, err)
	}
	return Decode(img)
}

// DecodeFile decodes the image file at path and returns the text of every QR
// code in it.
func DecodeFile(path string) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, withoutPath(err))
	}
	if fi.Size() > MaxFileSize {
		return nil, fmt.Errorf("%s is too large for an image (%d MiB)", path, fi.Size()>>20)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, withoutPath(err))
	}
	codes, err := DecodeBytes(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return codes, nil
}

// withoutPath drops the path from an *fs.PathError, for messages that name
// the file already.
func withoutPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

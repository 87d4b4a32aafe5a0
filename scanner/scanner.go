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
// image, rotated, light on dark, dense (an export of many accounts) or
// photographed. It returns an error wrapping ErrNoCode when there is none.
func Decode(img image.Image) ([]string, error) {
	b := img.Bounds()
	if b.Empty() {
		return nil, fmt.Errorf("the image is empty: %w", ErrNoCode)
	}
	if b.Dx()*b.Dy() > MaxPixels {
		return nil, fmt.Errorf("the image is too large (%d×%d pixels)", b.Dx(), b.Dy())
	}
	return decodeLuminance(luminance(img))
}

func decodeLuminance(g gray) ([]string, error) {
	if codes := decodeGray(g); len(codes) > 0 {
		return texts(codes), nil
	}
	return nil, ErrNoCode
}

// found is one decoded code and where it is: its top-left corner's finder
// pattern, and the centres of its bottom-left, top-left and top-right ones.
type found struct {
	text    string
	x, y    float64
	corners [3]point
}

// pass is one way of reading an image.
type pass struct {
	name string
	run  func(g gray, s *state) matrixResult
}

// state is what passes share while reading one image.
type state struct {
	hybrid *gozxing.BitMatrix // the first pass's binary image
}

// passes are the ways of reading an image, cheapest and likeliest first:
// a clean code costs the first only. Each later one is there for images
// the ones before miss (see BenchmarkCorpus).
var passes = []pass{
	// ZXing's hybrid binarizer (8×8 blocks), every finder pattern, the
	// dimensions around gozxing's estimate, a third finder pattern where
	// two were seen.
	{"hybrid", func(g gray, s *state) matrixResult {
		s.hybrid = hybridMatrix(g)
		return readMatrix(s.hybrid)
	}},
	// Light on dark: the same binary image, flipped.
	{"inverted", func(g gray, s *state) matrixResult {
		if s.hybrid == nil {
			return matrixResult{}
		}
		s.hybrid.FlipAll()
		return readMatrix(s.hybrid)
	}},
	// Large images (a camera's photo, a phone's screenshot): at half size,
	// averaged 2×2, which also averages out noise, moiré and compression
	// artefacts, and makes modules of 15 pixels and more, whose dark insides
	// the hybrid binarizer takes for light, small enough for it.
	{"half", func(g gray, s *state) matrixResult {
		if g.w*g.h < 2_000_000 {
			return matrixResult{}
		}
		return scaled(readMatrix(hybridMatrix(halved(g))), 2)
	}},
	// Blurred codes, grey on grey: the whole histogram's threshold, then
	// thresholds from smaller neighbourhoods (4×4 blocks).
	{"global", func(g gray, s *state) matrixResult { return readMatrix(binarize(g, global)) }},
	{"fine", func(g gray, s *state) matrixResult { return readMatrix(hybridMatrixBlocks(g, 4, false)) }},
	// Blurred codes and soft photos: an unsharp mask first.
	{"sharpen", func(g gray, s *state) matrixResult { return readMatrix(hybridMatrix(sharpened(g, 1))) }},
	// Grey on grey on a lighter page: flat blocks take their neighbours'
	// thresholds.
	{"fill", func(g gray, s *state) matrixResult { return readMatrix(hybridMatrixBlocks(g, 4, true)) }},
	// Small images with small modules: enlarged 1.5 times (Catmull-Rom,
	// which also sharpens). A large image with modules under two pixels is
	// out of reach anyway, and would cost hundreds of milliseconds here.
	{"x1.5", func(g gray, s *state) matrixResult {
		if g.w*g.h > maxScaledPixels {
			return matrixResult{}
		}
		return decodeScaled(g, 1.5, xdraw.CatmullRom)
	}},
}

// decodeGray runs the passes until one reads a code and every finder
// pattern seen by any pass is part of a code read, and returns every code
// read by any.
func decodeGray(g gray) []found {
	var s state
	var codes []found
	var left []point
	for _, p := range passes {
		r := p.run(g, &s)
		codes = append(codes, r.codes...)
		left = append(left, r.left...)
		left = slices.DeleteFunc(left, func(p point) bool { return inside(p, codes) })
		if len(r.codes) > 0 && len(left) == 0 {
			break
		}
	}
	return codes
}

// scaled maps the positions of codes read in an image scaled by 1/f back.
func scaled(r matrixResult, f float64) matrixResult {
	for i := range r.codes {
		r.codes[i].x *= f
		r.codes[i].y *= f
		for j := range r.codes[i].corners {
			r.codes[i].corners[j].x *= f
			r.codes[i].corners[j].y *= f
		}
	}
	for i := range r.left {
		r.left[i].x *= f
		r.left[i].y *= f
	}
	return r
}

// global is gozxing's binarizer by the whole histogram's threshold.
var global = gozxing.NewGlobalHistgramBinarizer

// binarize thresholds g into black and white with one of gozxing's
// binarizers, or returns nil if it cannot.
func binarize(g gray, binarizer func(gozxing.LuminanceSource) gozxing.Binarizer) *gozxing.BitMatrix {
	src, err := gozxing.NewPlanarYUVLuminanceSource(g.pix, g.w, g.h, 0, 0, g.w, g.h, false)
	if err != nil {
		return nil
	}
	m, err := binarizer(src).GetBlackMatrix()
	if err != nil {
		return nil
	}
	return m
}

// maxScaledPixels bounds the images enlarged by the last pass.
const maxScaledPixels = 1280 * 960

// decodeScaled enlarges the image and tries again: codes with modules of
// two or three pixels, blurred or low in contrast, are often read once the
// interpolation has given each module more pixels.
func decodeScaled(g gray, factor float64, kernel xdraw.Interpolator) matrixResult {
	w, h := int(float64(g.w)*factor), int(float64(g.h)*factor)
	return scaled(readMatrix(hybridMatrix(scaleGray(g, w, h, kernel))), 1/factor)
}

// scaleGray resizes g to w×h with kernel.
func scaleGray(g gray, w, h int, kernel xdraw.Interpolator) gray {
	src := &image.Gray{Pix: g.pix, Stride: g.w, Rect: image.Rect(0, 0, g.w, g.h)}
	dst := image.NewGray(image.Rect(0, 0, w, h))
	kernel.Scale(dst, dst.Bounds(), src, src.Bounds(), xdraw.Src, nil)
	return gray{pix: dst.Pix, w: w, h: h}
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
	if format == "png" {
		// The common PNGs decode straight to luminance; the rest, and
		// damaged files, go to image/png, whose errors say what is wrong.
		if g, err := pngLuminance(data); err == nil {
			return decodeLuminance(g)
		}
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

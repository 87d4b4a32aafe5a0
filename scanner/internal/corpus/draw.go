// Package corpus makes the images the scanner's tests and benchmarks decode:
// QR codes drawn as apps and browsers show them, placed in desktop captures,
// phone screenshots and simulated photos of screens, saved as PNG, JPEG or
// WebP. Everything is drawn from a seed, so a corpus is the same on every
// run and every machine.
package corpus

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/encoder"
	xdraw "golang.org/x/image/draw"
)

// Levels are the four error-correction levels, L to H.
var Levels = []decoder.ErrorCorrectionLevel{decoder.ErrorCorrectionLevel_L, decoder.ErrorCorrectionLevel_M, decoder.ErrorCorrectionLevel_Q, decoder.ErrorCorrectionLevel_H}

// QR encodes text as a QR code of about size×size pixels, black on white,
// with a quiet zone of four modules, as gozxing's writer draws it (whole
// pixels per module, the rest as margin).
func QR(text string, size int, level decoder.ErrorCorrectionLevel) (*image.Gray, error) {
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, size, size,
		map[gozxing.EncodeHintType]any{gozxing.EncodeHintType_MARGIN: 4, gozxing.EncodeHintType_ERROR_CORRECTION: level})
	if err != nil {
		return nil, err
	}
	img := image.NewGray(image.Rect(0, 0, m.GetWidth(), m.GetHeight()))
	for y := range m.GetHeight() {
		for x := range m.GetWidth() {
			if !m.Get(x, y) {
				img.Pix[y*img.Stride+x] = 255
			}
		}
	}
	return img, nil
}

// Modules encodes text and returns its modules, one pixel each (0 dark, 255
// light), with a quiet zone of quiet modules, and the code's version.
func Modules(text string, level decoder.ErrorCorrectionLevel, quiet int) (*image.Gray, int, error) {
	code, err := encoder.Encoder_encode(text, level, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("encoding %d bytes: %w", len(text), err)
	}
	m := code.GetMatrix()
	n := m.GetWidth()
	img := image.NewGray(image.Rect(0, 0, n+2*quiet, n+2*quiet))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for y := range n {
		for x := range n {
			if m.Get(x, y) == 1 {
				img.Pix[(y+quiet)*img.Stride+x+quiet] = 0
			}
		}
	}
	return img, code.GetVersion().GetVersionNumber(), nil
}

// Scale resizes img to w×h with the given interpolation (nil: nearest
// neighbour, crisp edges).
func Scale(img image.Image, w, h int, kernel xdraw.Interpolator) *image.RGBA {
	if kernel == nil {
		kernel = xdraw.NearestNeighbor
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	kernel.Scale(out, out.Bounds(), img, img.Bounds(), xdraw.Src, nil)
	return out
}

// Desktop returns a 1920×1080 desktop-like canvas: a grey background with
// text-like stripes and a dark title bar, so a code is not alone.
func Desktop() *image.RGBA {
	s := image.NewRGBA(image.Rect(0, 0, 1920, 1080))
	Fill(s, s.Bounds(), color.RGBA{0xee, 0xee, 0xf0, 0xff})
	Fill(s, image.Rect(0, 0, 1920, 40), color.RGBA{0x30, 0x30, 0x40, 0xff})
	for y := 80; y < 1040; y += 24 {
		for x := 60; x < 1860; x += 97 {
			Fill(s, image.Rect(x, y, x+70, y+10), color.RGBA{0x55, 0x55, 0x60, 0xff})
		}
	}
	return s
}

// Fill paints r of dst in c.
func Fill(dst draw.Image, r image.Rectangle, c color.Color) {
	draw.Draw(dst, r, &image.Uniform{c}, image.Point{}, draw.Src)
}

// Place draws src on dst with its top-left corner at at.
func Place(dst draw.Image, src image.Image, at image.Point) {
	r := src.Bounds().Sub(src.Bounds().Min).Add(at)
	draw.Draw(dst, r, src, src.Bounds().Min, draw.Src)
}

// Rotate turns img by deg degrees around its centre (nearest neighbour), on
// a white background.
func Rotate(img image.Image, deg float64) *image.Gray {
	b := img.Bounds()
	rad := deg * math.Pi / 180
	sin, cos := math.Sin(rad), math.Cos(rad)
	side := int(float64(b.Dx())*(math.Abs(sin)+math.Abs(cos))) + 2
	out := image.NewGray(image.Rect(0, 0, side, side))
	for i := range out.Pix {
		out.Pix[i] = 255
	}
	cx, cy := float64(b.Dx())/2, float64(b.Dy())/2
	oc := float64(side) / 2
	for y := range side {
		for x := range side {
			dx, dy := float64(x)-oc, float64(y)-oc
			sx, sy := cos*dx+sin*dy+cx, -sin*dx+cos*dy+cy
			if sx >= 0 && sy >= 0 && int(sx) < b.Dx() && int(sy) < b.Dy() {
				out.Set(x, y, img.At(b.Min.X+int(sx), b.Min.Y+int(sy)))
			}
		}
	}
	return out
}

// Invert returns img in grey, light for dark.
func Invert(img image.Image) *image.Gray {
	b := img.Bounds()
	out := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			g := color.GrayModel.Convert(img.At(x, y)).(color.Gray)
			out.SetGray(x, y, color.Gray{255 - g.Y})
		}
	}
	return out
}

// Blur is a box blur of radius r.
func Blur(img *image.Gray, r int) *image.Gray {
	b := img.Bounds()
	out := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			sum, n := 0, 0
			for dy := -r; dy <= r; dy++ {
				for dx := -r; dx <= r; dx++ {
					if p := image.Pt(x+dx, y+dy); p.In(b) {
						sum += int(img.GrayAt(p.X, p.Y).Y)
						n++
					}
				}
			}
			out.SetGray(x, y, color.Gray{uint8(sum / n)})
		}
	}
	return out
}

// boxBlurRGBA blurs img in place with a separable box of radius r, passes
// times (three passes are close to a Gaussian).
func boxBlurRGBA(img *image.RGBA, r, passes int) {
	if r <= 0 {
		return
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	tmp := make([]uint8, len(img.Pix))
	for range passes {
		blurLines(img.Pix, tmp, w, h, 4, img.Stride, r)
		blurLines(tmp, img.Pix, h, w, img.Stride, 4, r)
	}
}

// blurLines box-blurs n lines of length pixels each from src to dst; step
// is the distance between a line's pixels, next between lines' starts.
// Transposing (swapping step and next) blurs the other direction.
func blurLines(src, dst []uint8, length, n, step, next, r int) {
	for line := range n {
		base := line * next
		for c := range 3 {
			sum, cnt := 0, 0
			for i := 0; i <= r && i < length; i++ {
				sum += int(src[base+i*step+c])
				cnt++
			}
			for i := range length {
				dst[base+i*step+c] = uint8(sum / cnt)
				if j := i + r + 1; j < length {
					sum += int(src[base+j*step+c])
					cnt++
				}
				if j := i - r; j >= 0 {
					sum -= int(src[base+j*step+c])
					cnt--
				}
			}
		}
		for i := range length {
			dst[base+i*step+3] = src[base+i*step+3]
		}
	}
}

// grayOf converts img to grey.
func grayOf(img image.Image) *image.Gray {
	out := image.NewGray(img.Bounds())
	draw.Draw(out, out.Bounds(), img, img.Bounds().Min, draw.Src)
	return out
}

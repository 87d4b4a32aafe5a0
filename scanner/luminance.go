package scanner

import (
	"image"
	"image/color"
	"image/draw"
)

// gray is an image's luminance, one byte a pixel, rows w bytes apart.
type gray struct {
	pix  []byte
	w, h int
}

// luminance returns img's luminance, transparent parts composed on white.
// The image types Go's decoders return are read straight from their pixel
// arrays (YCbCr's Y plane as it is), which is many times faster than
// converting pixel by pixel through image.Image.At.
func luminance(img image.Image) gray {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	g := gray{pix: make([]byte, w*h), w: w, h: h}
	switch m := img.(type) {
	case *image.Gray:
		for y := range h {
			copy(g.pix[y*w:(y+1)*w], m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):])
		}
	case *image.YCbCr:
		for y := range h {
			copy(g.pix[y*w:(y+1)*w], m.Y[m.YOffset(b.Min.X, b.Min.Y+y):])
		}
	case *image.NYCbCrA:
		for y := range h {
			yo, ao := m.YOffset(b.Min.X, b.Min.Y+y), m.AOffset(b.Min.X, b.Min.Y+y)
			row := g.pix[y*w : (y+1)*w]
			for x := range row {
				a := uint32(m.A[ao+x])
				row[x] = uint8((uint32(m.Y[yo+x])*a + 255*(255-a)) / 255)
			}
		}
	case *image.RGBA:
		// Premultiplied: the colour is already scaled by alpha.
		for y := range h {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			row := g.pix[y*w : (y+1)*w]
			for x := range row {
				p := src[4*x : 4*x+4 : 4*x+4]
				row[x] = uint8((uint32(p[0])+2*uint32(p[1])+uint32(p[2]))/4 + 255 - uint32(p[3]))
			}
		}
	case *image.NRGBA:
		for y := range h {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			row := g.pix[y*w : (y+1)*w]
			for x := range row {
				p := src[4*x : 4*x+4 : 4*x+4]
				l, a := (uint32(p[0])+2*uint32(p[1])+uint32(p[2]))/4, uint32(p[3])
				row[x] = uint8((l*a + 255*(255-a)) / 255)
			}
		}
	case *image.Paletted:
		var lut [256]uint8
		for i, c := range m.Palette {
			lut[i] = lumaOf(c)
		}
		for y := range h {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			row := g.pix[y*w : (y+1)*w]
			for x := range row {
				row[x] = lut[src[x]]
			}
		}
	default:
		// Anything else (16-bit PNG, CMYK JPEG…): through RGBA, whose
		// conversion draw.Draw does in bulk.
		rgba := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.Draw(rgba, rgba.Bounds(), img, b.Min, draw.Src)
		return luminance(rgba)
	}
	return g
}

// lumaOf is one colour's luminance on white, as luminance computes it.
func lumaOf(c color.Color) uint8 {
	r, g, b, a := c.RGBA() // premultiplied, 16 bits
	return uint8((r+2*g+b)/4>>8 + 255 - a>>8)
}

// sharpened is g with an unsharp mask: each pixel pushed away from the
// mean of its 5×5 neighbourhood by amount (1: as far again).
func sharpened(g gray, amount int) gray {
	w, h := g.w, g.h
	if w < 5 || h < 5 {
		return g
	}
	// Sums of five: along rows, then those along columns.
	rows := make([]uint16, w*h)
	for y := range h {
		src, dst := g.pix[y*w:(y+1)*w], rows[y*w:(y+1)*w]
		sum := 0
		for x := range 2 {
			sum += int(src[x])
		}
		for x := range dst {
			if x+2 < w {
				sum += int(src[x+2])
			}
			if x >= 3 {
				sum -= int(src[x-3])
			}
			dst[x] = uint16(sum)
		}
	}
	out := gray{pix: make([]byte, w*h), w: w, h: h}
	sums := make([]int, w)
	for y := range 2 {
		for x, v := range rows[y*w : (y+1)*w] {
			sums[x] += int(v)
		}
	}
	for y := range h {
		if y+2 < h {
			for x, v := range rows[(y+2)*w : (y+3)*w] {
				sums[x] += int(v)
			}
		}
		if y >= 3 {
			for x, v := range rows[(y-3)*w : (y-2)*w] {
				sums[x] -= int(v)
			}
		}
		src, dst := g.pix[y*w:(y+1)*w], out.pix[y*w:(y+1)*w]
		if y < 2 || y >= h-2 {
			// Rows near the top and bottom: fewer neighbours.
			for x := range dst {
				n := (min(x+2, w-1) - max(x-2, 0) + 1) * (min(y+2, h-1) - max(y-2, 0) + 1)
				v := int(src[x])
				dst[x] = uint8(min(255, max(0, v+amount*(v-sums[x]/n))))
			}
			continue
		}
		for x := range dst {
			v := int(src[x])
			n := 25
			if x < 2 || x >= w-2 {
				n = (min(x+2, w-1) - max(x-2, 0) + 1) * 5
			}
			dst[x] = uint8(min(255, max(0, v+amount*(v-sums[x]/n))))
		}
	}
	return out
}

// halved is g at half its width and height, each pixel the mean of four.
func halved(g gray) gray {
	w, h := g.w/2, g.h/2
	out := gray{pix: make([]byte, w*h), w: w, h: h}
	for y := range h {
		a, b := g.pix[2*y*g.w:(2*y+1)*g.w], g.pix[(2*y+1)*g.w:(2*y+2)*g.w]
		dst := out.pix[y*w : (y+1)*w]
		for x := range dst {
			dst[x] = uint8((uint(a[2*x]) + uint(a[2*x+1]) + uint(b[2*x]) + uint(b[2*x+1]) + 2) / 4)
		}
	}
	return out
}

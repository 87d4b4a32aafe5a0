package corpus

import (
	"image"
	"image/color"
	"image/draw"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

var (
	fontsOnce     sync.Once
	regular, bold *opentype.Font
	facesMu       sync.Mutex
	faces         = map[[2]int]font.Face{}
)

// face returns the Go font at size pixels, bold or not; faces are kept.
func face(size int, isBold bool) font.Face {
	fontsOnce.Do(func() {
		regular, _ = opentype.Parse(goregular.TTF)
		bold, _ = opentype.Parse(gobold.TTF)
	})
	key := [2]int{size, 0}
	f := regular
	if isBold {
		key[1] = 1
		f = bold
	}
	facesMu.Lock()
	defer facesMu.Unlock()
	if fc, ok := faces[key]; ok {
		return fc
	}
	fc, err := opentype.NewFace(f, &opentype.FaceOptions{Size: float64(size), DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		panic(err) // the embedded fonts parse
	}
	faces[key] = fc
	return fc
}

// Text draws s with its baseline's left end at (x, y), anti-aliased, in c,
// and returns the x where it ends.
func Text(dst draw.Image, s string, x, y, size int, isBold bool, c color.Color) int {
	d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: face(size, isBold), Dot: fixed.P(x, y)}
	d.DrawString(s)
	return d.Dot.X.Round()
}

// TextWidth is the width in pixels of s drawn by Text.
func TextWidth(s string, size int, isBold bool) int {
	return font.MeasureString(face(size, isBold), s).Round()
}

// Paragraph draws words wrapped to width from (x, y), with lines size*1.4
// apart, and returns the y below the last line.
func Paragraph(dst draw.Image, s string, x, y, width, size int, c color.Color) int {
	line := ""
	flush := func() {
		if line != "" {
			y += size * 14 / 10
			Text(dst, line, x, y, size, false, c)
			line = ""
		}
	}
	word := ""
	for _, r := range s + " " {
		if r != ' ' {
			word += string(r)
			continue
		}
		if word == "" {
			continue
		}
		try := word
		if line != "" {
			try = line + " " + word
		}
		if TextWidth(try, size, false) > width && line != "" {
			flush()
			try = word
		}
		line, word = try, ""
	}
	flush()
	return y + size/2
}

package scanner

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"testing"

	"github.com/makiuchi-d/gozxing"
)

// noisy draws a w×h test picture: gradients, noise and a QR code, so that
// PNG's encoder picks every row filter and the binarizer sees every case.
func noisy(t *testing.T, w, h int) *image.NRGBA {
	rng := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			n := uint8(rng.IntN(24))
			img.SetNRGBA(x, y, color.NRGBA{uint8(x*255/w) + n, uint8(y*255/h) + n, uint8((x+y)*97) + n, uint8(128 + rng.IntN(128))})
		}
	}
	if w > 120 && h > 120 {
		place(img, qrImage(t, sampleURI, 110), image.Pt(w/3, h/3))
	}
	return img
}

// TestPNGLuminance decodes PNGs of every colour type pngLuminance reads and
// checks that it gives what image/png then luminance give, byte for byte,
// and that the other PNGs fall back to image/png.
func TestPNGLuminance(t *testing.T) {
	src := noisy(t, 301, 203)
	opaque := image.NewRGBA(src.Bounds())
	grey := image.NewGray(src.Bounds())
	pal := image.NewPaletted(src.Bounds(), nil)
	for i := range 256 {
		pal.Palette = append(pal.Palette, color.NRGBA{uint8(i), uint8(255 - i), uint8(i * 7), uint8(max(0, 255-i*3))})
	}
	wide := image.NewRGBA64(src.Bounds())
	for y := range src.Rect.Dy() {
		for x := range src.Rect.Dx() {
			c := src.NRGBAAt(x, y)
			opaque.Set(x, y, color.RGBA{c.R, c.G, c.B, 255})
			grey.Set(x, y, c)
			pal.SetColorIndex(x, y, c.R)
			wide.Set(x, y, c)
		}
	}
	// Rows equal to the row above (PNG's Up filter, all zero) are copied.
	repeated := image.NewRGBA(src.Bounds())
	copy(repeated.Pix, opaque.Pix)
	for y := 50; y < 120; y++ {
		copy(repeated.Pix[y*repeated.Stride:(y+1)*repeated.Stride], opaque.Pix[49*opaque.Stride:50*opaque.Stride])
	}
	cases := map[string]image.Image{"RGB": opaque, "RGB, rows repeated": repeated, "RGBA": src, "grey": grey, "palette with alpha": pal, "16-bit": wide}
	for name, img := range cases {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		checkPNG(t, name, buf.Bytes(), name == "16-bit")
	}
	checkPNG(t, "grey and alpha", greyAlphaPNG(t, src), false)
}

func checkPNG(t *testing.T, name string, data []byte, fallback bool) {
	t.Helper()
	decoded, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	want := luminance(decoded)
	got, err := pngLuminance(data)
	if fallback {
		if !errors.Is(err, errPNGFallback) {
			t.Errorf("%s: got %v, want errPNGFallback", name, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if got.w != want.w || got.h != want.h || !bytes.Equal(got.pix, want.pix) {
		t.Errorf("%s: luminance differs from image/png's", name)
	}
	// A flipped bit anywhere is an error, not a different image.
	for _, i := range []int{40, len(data) / 2, len(data) - 20} {
		bad := bytes.Clone(data)
		bad[i] ^= 0x10
		if _, err := pngLuminance(bad); err == nil {
			t.Errorf("%s: damaged at byte %d, decoded without error", name, i)
		}
	}
}

// greyAlphaPNG encodes img's green and alpha as an 8-bit grey-and-alpha PNG
// (colour type 4, which Go's encoder never writes), rows unfiltered.
func greyAlphaPNG(t *testing.T, img *image.NRGBA) []byte {
	var raw bytes.Buffer
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for y := range h {
		raw.WriteByte(0)
		for x := range w {
			c := img.NRGBAAt(x, y)
			raw.Write([]byte{c.G, c.A})
		}
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(raw.Bytes())
	zw.Close()
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, body []byte) {
		binary.Write(&out, binary.BigEndian, uint32(len(body)))
		out.WriteString(typ)
		out.Write(body)
		binary.Write(&out, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), body...)))
	}
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, uint32(w)), uint32(h))
	chunk("IHDR", append(ihdr, 8, 4, 0, 0, 0))
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}

// TestHybridMatrix checks that the fast binarizer makes the bits gozxing's
// HybridBinarizer makes, on sizes that are and are not multiples of 8.
func TestHybridMatrix(t *testing.T) {
	for _, size := range [][2]int{{320, 240}, {301, 203}, {41, 97}, {640, 41}} {
		g := luminance(noisy(t, size[0], size[1]))
		want := binarize(g, gozxing.NewHybridBinarizer)
		// The fast binarizer, and the general one (any block size) with
		// ZXing's 8×8 blocks.
		for name, got := range map[string]*gozxing.BitMatrix{"hybridMatrix": hybridMatrix(g), "hybridMatrixBlocks": hybridMatrixBlocks(g, 8, false)} {
			diff := 0
			for y := range g.h {
				for x := range g.w {
					if got.Get(x, y) != want.Get(x, y) {
						diff++
					}
				}
			}
			// gozxing sets a pixel covered by two of the last, shifted
			// blocks if either says black; here the rows they share take
			// one block's threshold, so a few pixels there may differ.
			if size[1]%8 == 0 && diff != 0 || diff > g.w*8/10 {
				t.Errorf("%s, %dx%d: %d pixels differ from gozxing's", name, g.w, g.h, diff)
			}
		}
	}
}

// TestSharpened checks the unsharp mask against its definition, borders
// included.
func TestSharpened(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range [][2]int{{5, 5}, {7, 9}, {64, 33}, {301, 203}} {
		w, h := size[0], size[1]
		g := gray{pix: make([]byte, w*h), w: w, h: h}
		for i := range g.pix {
			g.pix[i] = byte(rng.IntN(256))
		}
		got := sharpened(g, 1)
		for y := range h {
			for x := range w {
				sum, n := 0, 0
				for yy := max(0, y-2); yy <= min(h-1, y+2); yy++ {
					for xx := max(0, x-2); xx <= min(w-1, x+2); xx++ {
						sum += int(g.pix[yy*w+xx])
						n++
					}
				}
				v := int(g.pix[y*w+x])
				if want := uint8(min(255, max(0, 2*v-sum/n))); got.pix[y*w+x] != want {
					t.Fatalf("%dx%d at %d,%d: %d, want %d", w, h, x, y, got.pix[y*w+x], want)
				}
			}
		}
	}
}

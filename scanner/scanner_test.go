package scanner

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
)

const sampleURI = "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example"

// qrImage encodes text as a QR code of size×size pixels, black on white,
// with a quiet zone.
func qrImage(t testing.TB, text string, size int) *image.Gray {
	return qrImageLevel(t, text, size, decoder.ErrorCorrectionLevel_L)
}

// qrImageLevel is qrImage with a chosen error-correction level.
func qrImageLevel(t testing.TB, text string, size int, level decoder.ErrorCorrectionLevel) *image.Gray {
	t.Helper()
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, size, size,
		map[gozxing.EncodeHintType]any{gozxing.EncodeHintType_MARGIN: 4, gozxing.EncodeHintType_ERROR_CORRECTION: level})
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, m.GetWidth(), m.GetHeight()))
	for y := range m.GetHeight() {
		for x := range m.GetWidth() {
			if !m.Get(x, y) {
				img.SetGray(x, y, color.Gray{255})
			}
		}
	}
	return img
}

// screen returns a 1920×1080 desktop-like canvas: a grey background with
// text-like stripes and a dark title bar, so the code is not alone.
func screen() *image.RGBA {
	s := image.NewRGBA(image.Rect(0, 0, 1920, 1080))
	draw.Draw(s, s.Bounds(), &image.Uniform{color.RGBA{0xee, 0xee, 0xf0, 0xff}}, image.Point{}, draw.Src)
	draw.Draw(s, image.Rect(0, 0, 1920, 40), &image.Uniform{color.RGBA{0x30, 0x30, 0x40, 0xff}}, image.Point{}, draw.Src)
	for y := 80; y < 1040; y += 24 {
		for x := 60; x < 1860; x += 97 {
			draw.Draw(s, image.Rect(x, y, x+70, y+10), &image.Uniform{color.RGBA{0x55, 0x55, 0x60, 0xff}}, image.Point{}, draw.Src)
		}
	}
	return s
}

func place(dst draw.Image, src image.Image, at image.Point) {
	r := src.Bounds().Sub(src.Bounds().Min).Add(at)
	draw.Draw(dst, r, src, src.Bounds().Min, draw.Src)
}

// rotate turns img by deg degrees around its centre (nearest neighbour),
// on a white background.
func rotate(img image.Image, deg float64) *image.Gray {
	b := img.Bounds()
	rad := deg * math.Pi / 180
	sin, cos := math.Sin(rad), math.Cos(rad)
	side := int(float64(b.Dx())*(math.Abs(sin)+math.Abs(cos))) + 2
	out := image.NewGray(image.Rect(0, 0, side, side))
	draw.Draw(out, out.Bounds(), image.White, image.Point{}, draw.Src)
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

func invert(img image.Image) *image.Gray {
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

func TestDecodeCases(t *testing.T) {
	small := screen()
	place(small, qrImage(t, sampleURI, 150), image.Pt(1500, 700))

	rotated := map[float64]*image.RGBA{}
	for _, deg := range []float64{15, 45, 90, 200} {
		s := screen()
		place(s, rotate(qrImage(t, sampleURI, 300), deg), image.Pt(700, 300))
		rotated[deg] = s
	}

	dark := image.NewRGBA(image.Rect(0, 0, 1280, 720))
	draw.Draw(dark, dark.Bounds(), image.Black, image.Point{}, draw.Src)
	place(dark, invert(qrImage(t, sampleURI, 260)), image.Pt(500, 200))

	several := screen()
	place(several, qrImage(t, "third: bottom left", 220), image.Pt(100, 760))
	place(several, qrImage(t, "second: top right", 220), image.Pt(1500, 100))
	place(several, qrImage(t, "first: top left", 220), image.Pt(100, 90))
	place(several, qrImage(t, "fourth: bottom right", 220), image.Pt(1500, 770))

	repeated := screen()
	place(repeated, qrImage(t, sampleURI, 220), image.Pt(100, 100))
	place(repeated, qrImage(t, sampleURI, 220), image.Pt(900, 100))

	cases := []struct {
		name string
		img  image.Image
		want []string
	}{
		{"plain", qrImage(t, sampleURI, 300), []string{sampleURI}},
		{"150px in full HD", small, []string{sampleURI}},
		{"rotated 15°", rotated[15], []string{sampleURI}},
		{"rotated 45°", rotated[45], []string{sampleURI}},
		{"rotated 90°", rotated[90], []string{sampleURI}},
		{"rotated 200°", rotated[200], []string{sampleURI}},
		{"light on dark", dark, []string{sampleURI}},
		{"four codes, reading order", several, []string{"first: top left", "second: top right", "third: bottom left", "fourth: bottom right"}},
		{"the same code twice", repeated, []string{sampleURI}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Decode(c.img)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestDecodeNoCode(t *testing.T) {
	for name, img := range map[string]image.Image{
		"desktop":   screen(),
		"empty":     image.NewGray(image.Rect(0, 0, 0, 0)),
		"one pixel": image.NewGray(image.Rect(0, 0, 1, 1)),
	} {
		if _, err := Decode(img); !errors.Is(err, ErrNoCode) {
			t.Errorf("%s: got %v, want ErrNoCode", name, err)
		}
	}
}

// TestDecodeFileFormats reads the same code from PNG (made by qrencode),
// JPEG and GIF (Go's encoders) and WebP (made by cwebp; committed).
func TestDecodeFileFormats(t *testing.T) {
	dir := t.TempDir()
	pngPath := filepath.Join(dir, "qrencode.png")
	if out, err := exec.Command("qrencode", "-s", "5", "-o", pngPath, sampleURI).CombinedOutput(); err != nil {
		t.Fatalf("qrencode: %v: %s (apt-get install -y qrencode)", err, out)
	}
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	var jpg, gf bytes.Buffer
	if err := jpeg.Encode(&jpg, img, &jpeg.Options{Quality: 60}); err != nil {
		t.Fatal(err)
	}
	if err := gif.Encode(&gf, img, nil); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "qr.jpg"), jpg.Bytes(), 0o600)
	os.WriteFile(filepath.Join(dir, "qr.gif"), gf.Bytes(), 0o600)
	for _, path := range []string{pngPath, filepath.Join(dir, "qr.jpg"), filepath.Join(dir, "qr.gif"), "testdata/qr.webp", "testdata/qr.png"} {
		got, err := DecodeFile(path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if !reflect.DeepEqual(got, []string{sampleURI}) {
			t.Errorf("%s: got %q", path, got)
		}
	}
}

func TestDecodeFileErrors(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("hello"), 0o600)
	// A PNG header claiming 100000×100000 pixels: refused before decoding.
	var bomb bytes.Buffer
	png.Encode(&bomb, image.NewGray(image.Rect(0, 0, 1, 1)))
	b := bomb.Bytes()
	copy(b[16:24], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0})
	binary.BigEndian.PutUint32(b[29:33], crc32.ChecksumIEEE(b[12:29]))
	bombPath := filepath.Join(dir, "bomb.png")
	os.WriteFile(bombPath, b, 0o600)
	for path, want := range map[string]string{
		filepath.Join(dir, "missing.png"): "no such file",
		text:                              "not a PNG, JPEG, GIF or WebP image",
		bombPath:                          "100000×100000 pixels",
	} {
		_, err := DecodeFile(path)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: got %v, want …%s… naming the file", path, err, want)
		}
	}
}

func FuzzDecodeBytes(f *testing.F) {
	for _, name := range []string{"testdata/qr.png", "testdata/qr.webp"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		codes, err := DecodeBytes(data)
		if err == nil && len(codes) == 0 {
			t.Fatal("no error and no code")
		}
	})
}

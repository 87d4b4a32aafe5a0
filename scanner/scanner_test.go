package scanner

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/countersign/countersign/scanner/internal/corpus"
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
	img, err := corpus.QR(text, size, level)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// screen returns a 1920×1080 desktop-like canvas (see corpus.Desktop).
func screen() *image.RGBA { return corpus.Desktop() }

func place(dst draw.Image, src image.Image, at image.Point) { corpus.Place(dst, src, at) }

func rotate(img image.Image, deg float64) *image.Gray { return corpus.Rotate(img, deg) }

func invert(img image.Image) *image.Gray { return corpus.Invert(img) }

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
